import type { Issue, Parsed } from "../present/errors.ts";
import { echo } from "../present/text.ts";
import type { ActionTriggerId } from "./operations.ts";

/** The secrets an Action reads (`event.secrets`): those it cannot run without, and those it may be given. */
export interface SecretDeclaration {
  required: readonly string[];
  optional: readonly string[];
}

/** A trigger and its version, as `supported_triggers` names it. */
export interface TriggerRef {
  id: ActionTriggerId;
  version: string;
}

/**
 * idlink's post-login Action (`@idlink/link-action`) as idlink deploys it: its name on the tenant, its trigger, the
 * Node runtime it is built for, and the secrets it reads (the names of the package's `config.ts`).
 */
export const linkActionDefaults = {
  name: "idlink-account-linking",
  trigger: { id: "post-login", version: "v3" },
  runtime: "node22",
  secrets: {
    required: [
      "MANAGEMENT_API_DOMAIN",
      "MANAGEMENT_API_CLIENT_ID",
      "MANAGEMENT_API_CLIENT_SECRET",
      "SESSION_TOKEN_SECRET",
      "LINK_PAGE_URL",
    ],
    optional: ["CONNECTIONS", "ALLOW_SKIP", "SKIP_DAYS"],
  },
} as const satisfies { name: string; trigger: TriggerRef; runtime: string; secrets: SecretDeclaration };

/** What `idlink action deploy` is asked to put on the tenant. */
export interface ActionDeployInput {
  /** The Action's name on the tenant (default: `linkActionDefaults.name`). */
  name?: string;
  /** The Action's JavaScript (CommonJS, `exports.onExecutePostLogin = …`), without idlink's marker line. */
  code: string;
  /** Default `node22`. */
  runtime?: string;
  /** Default `post-login` v3. */
  trigger?: TriggerRef;
  /** The secrets' values, by name. Sent to Auth0 as the Action's secrets only; never in a plan or a message. */
  secrets: Readonly<Record<string, string>>;
  /** Which secrets the code reads (default: idlink's Action's). */
  declaration?: SecretDeclaration;
}

/** A deploy input that passed `parseActionDeployInput`: frozen, taken as it is. */
export interface ActionDeployRequest {
  readonly name: string;
  readonly code: string;
  readonly runtime: string;
  readonly trigger: TriggerRef;
  readonly secrets: Readonly<Record<string, string>>;
  readonly declaration: SecretDeclaration;
  /** What deserves a word but stops nothing (a code over Auth0's advised 100 kB). */
  readonly warnings: readonly string[];
}

/** Auth0's limits on secrets (limitations.mdx, "Secrets"). */
export const maxSecretNameLength = 128;
export const maxSecretValueLength = 4096;
/** "Each Action should not exceed 100 kB" (limitations.mdx): advice about latency, not a refusal. */
export const advisedCodeBytes = 100 * 1024;
const maxNameLength = 100;

/** How a face says where a secret's value comes from, for the fix of a missing one. */
export type SecretSourceHint = (name: string) => string;

/**
 * Checks what will be deployed before anything is sent: a name, code that compiles as a CommonJS module (what
 * Auth0's build does first), a runtime, and every required secret present with a value Auth0 takes (at most 4096
 * characters, no quotes or spaces around it a `.env` file kept). No value is ever echoed.
 */
export function parseActionDeployInput(
  input: ActionDeployInput,
  options: { secretHint?: SecretSourceHint } = {},
): Parsed<ActionDeployRequest> {
  const issues: Issue[] = [];
  const warnings: string[] = [];
  const name = input.name ?? linkActionDefaults.name;
  if (typeof name !== "string" || name.trim() === "" || name.trim() !== name) {
    issues.push({ path: "name", message: "the Action's name must not be empty or padded with spaces" });
  } else if (
    name.length > maxNameLength ||
    [...name].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)
  ) {
    issues.push({
      path: "name",
      message: `the Action's name must be at most ${maxNameLength} characters, without control characters`,
    });
  }
  const runtime = input.runtime ?? linkActionDefaults.runtime;
  if (!/^node\d{2}$/.test(runtime)) {
    issues.push({
      path: "runtime",
      message: `runtime must be Auth0's name of a Node version, e.g. node22, not ${echo(runtime)}`,
    });
  }
  const code = input.code;
  if (typeof code !== "string" || code.trim() === "") {
    issues.push({ path: "code", message: "the Action's code is empty — build the Action first" });
  } else {
    const problem = compileProblem(code);
    if (problem !== undefined) {
      issues.push({
        path: "code",
        message: `the Action's code does not compile (${problem}) — Auth0's build would fail: fix and rebuild it`,
      });
    }
    const bytes = new TextEncoder().encode(code).length;
    if (bytes > advisedCodeBytes) {
      warnings.push(
        `the code is ${Math.round(bytes / 1024)} kB; Auth0 advises at most 100 kB per Action (more adds latency to every login)`,
      );
    }
  }
  const declaration = input.declaration ?? linkActionDefaults.secrets;
  issues.push(...checkSecrets(input.secrets, declaration, options.secretHint));
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: Object.freeze({
      name,
      code,
      runtime,
      trigger: input.trigger ?? linkActionDefaults.trigger,
      // An optional secret given empty is left out: the Action reads it as not set.
      secrets: Object.freeze(Object.fromEntries(Object.entries(input.secrets).filter(([, v]) => v !== ""))),
      declaration,
      warnings,
    }),
  };
}

/** Every required secret present, none the Action does not read, each within Auth0's limits. Values never shown. */
export function checkSecrets(
  secrets: Readonly<Record<string, string>>,
  declaration: SecretDeclaration,
  hint: SecretSourceHint = (name) => `give ${name} a value`,
): Issue[] {
  const issues: Issue[] = [];
  const known = new Set([...declaration.required, ...declaration.optional]);
  for (const name of declaration.required) {
    const value = secrets[name];
    if (value === undefined || value.trim() === "") {
      issues.push({
        path: `secrets.${name}`,
        message: `secret ${name} is ${value === undefined ? "missing" : "empty"}: the Action cannot run without it — ${hint(name)}`,
      });
    }
  }
  for (const [name, value] of Object.entries(secrets)) {
    if (!known.has(name)) {
      issues.push({
        path: `secrets.${echo(name, 60)}`,
        message: `${echo(name, 60)} is not a secret this Action reads (it reads ${[...known].join(", ")}) — remove it`,
      });
      continue;
    }
    if (name.length > maxSecretNameLength) {
      issues.push({
        path: `secrets.${name}`,
        message: `a secret's name may have at most ${maxSecretNameLength} characters`,
      });
    }
    if (typeof value !== "string") {
      issues.push({ path: `secrets.${name}`, message: `secret ${name} must be text` });
    } else if (value.length > maxSecretValueLength) {
      issues.push({
        path: `secrets.${name}`,
        message: `secret ${name} is longer than ${maxSecretValueLength} characters, Auth0's limit`,
      });
    } else if (value !== "" && value.trim() !== value) {
      issues.push({
        path: `secrets.${name}`,
        message: `secret ${name} has spaces or a line break at its start or end — give the value alone`,
      });
    } else if (/^(["']).*\1$/s.test(value)) {
      issues.push({
        path: `secrets.${name}`,
        message: `secret ${name} is wrapped in quotes — give the value without them`,
      });
    }
  }
  return issues;
}

/**
 * Whether the code compiles as the body of a CommonJS module — the first thing Auth0's build does. Compiled, never
 * run. The message is the engine's (a line and a token), without the code.
 */
function compileProblem(code: string): string | undefined {
  try {
    // Compiled to check its syntax, never called.
    new Function("exports", "require", "module", "__filename", "__dirname", code);
    return undefined;
  } catch (error) {
    return error instanceof Error ? echo(error.message, 120) : "a syntax error";
  }
}
