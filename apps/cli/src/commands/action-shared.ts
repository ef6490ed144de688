import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { echo, type ManagementClient } from "@idlink/core";
import {
  type ActionProgress,
  type BindingSummary,
  linkActionDefaults,
  type SecretSourceHint,
  type WaitOptions,
} from "@idlink/core/actions";
import type { Handler } from "../command-spec.ts";
import type { CommandContext } from "../context.ts";
import { createClient, readFileFor, resolveConnection, unreadable } from "../credentials.ts";
import type { Io } from "../io.ts";
import type { actionSpec } from "../specs/action.ts";
import { printable as p, type Style } from "../style.ts";
import { UsageError } from "../usage-error.ts";

export type ActionFlags = Parameters<Handler<typeof actionSpec>>[0]["flags"];

/** Where a secret's value comes from, for core's message about a missing one. */
export const secretVariablePrefix = "IDLINK_ACTION_SECRET_";
export const secretHint: SecretSourceHint = (name) =>
  `set ${secretVariablePrefix}${name}, or add ${name}=… to the --secrets file`;

/** Where the default code comes from, as messages and `--json` name it. */
const builtInCode = "@idlink/link-action's dist/link-action.js (built into idlink)";

/** The Action's code and where it came from (a path, shown; never the code). */
export interface ActionCode {
  text: string;
  source: string;
}

/**
 * `--code FILE`, else the Action idlink was built with: @idlink/link-action's dist/link-action.js, whose text the
 * bundle embeds (apps/cli/build.mjs), so nothing else needs installing. Loaded on first use only: the text is 37 kB.
 */
export async function readActionCode(flags: ActionFlags, io: Io): Promise<ActionCode> {
  if (flags.code !== undefined) {
    return { text: await readFileFor(flags.code, io, "--code"), source: resolve(io.cwd, flags.code) };
  }
  const { actionSource } = await import("@idlink/link-action");
  return { text: actionSource, source: builtInCode };
}

/**
 * The secrets' values: `IDLINK_ACTION_SECRET_<NAME>` variables and the `--secrets` file (.env lines or a JSON
 * object), which only its owner may read. A name given by both with different values is refused. Values are never
 * printed: messages name the secret and where it came from.
 */
export async function readActionSecrets(flags: ActionFlags, io: Io): Promise<Record<string, string>> {
  const fromEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(io.env.credentials)) {
    if (key.startsWith(secretVariablePrefix) && value !== undefined) {
      fromEnv[key.slice(secretVariablePrefix.length)] = value;
    }
  }
  const fromFile = flags.secrets === undefined ? {} : await readSecretsFile(flags.secrets, io);
  for (const [name, value] of Object.entries(fromEnv)) {
    if (fromFile[name] !== undefined && fromFile[name] !== value) {
      throw new UsageError(
        `The secret ${p(name)} is set both by ${secretVariablePrefix}${p(name)} and in --secrets, with different values.`,
        "Give it in one place only.",
      );
    }
  }
  return { ...fromFile, ...fromEnv };
}

async function readSecretsFile(path: string, io: Io): Promise<Record<string, string>> {
  const full = resolve(io.cwd, path);
  let mode: number;
  try {
    mode = (await stat(full)).mode;
  } catch (error) {
    throw unreadable(path, "--secrets", error);
  }
  // As ssh refuses a private key others may read, and idlink refuses such a key file.
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new UsageError(
      `--secrets: ${echo(path, 120)} may be read by others (mode ${(mode & 0o777).toString(8)}): it holds the Action's secrets.`,
      `Run chmod 600 ${echo(path, 120)}, then try again.`,
    );
  }
  const text = await readFileFor(path, io, "--secrets");
  return text.trimStart().startsWith("{") ? parseJsonSecrets(text, path) : parseEnvSecrets(text, path);
}

function parseJsonSecrets(text: string, path: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(
      `--secrets: ${echo(path, 120)} is not valid JSON.`,
      'Write an object of strings: {"LINK_PAGE_URL": "https://…"}.',
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--secrets: ${echo(path, 120)} must hold one JSON object of names and values.`);
  }
  const secrets: Record<string, string> = {};
  for (const [name, secret] of Object.entries(value)) {
    if (typeof secret !== "string") {
      throw new UsageError(
        `--secrets: the value of ${echo(name, 60)} must be a string (in quotes), not ${typeof secret}.`,
      );
    }
    secrets[name] = secret;
  }
  return secrets;
}

/** `.env` lines: `NAME=value`, `export NAME=value`, `#` comments; quotes around a value are the file's, not the value's. */
function parseEnvSecrets(text: string, path: string): Record<string, string> {
  const secrets: Record<string, string> = {};
  const seenAt = new Map<string, number>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match?.[1]) {
      throw new UsageError(
        `--secrets: line ${index + 1} of ${echo(path, 120)} is not NAME=value.`,
        "Write one NAME=value a line (# starts a comment).",
      );
    }
    const name = match[1];
    const previous = seenAt.get(name);
    if (previous !== undefined) {
      throw new UsageError(
        `--secrets: ${name} is set twice in ${echo(path, 120)} (lines ${previous} and ${index + 1}).`,
      );
    }
    seenAt.set(name, index + 1);
    secrets[name] = unquote(match[2] ?? "");
  }
  return secrets;
}

function unquote(value: string): string {
  const quoted = /^"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$/.exec(value);
  if (quoted) return (quoted[1] ?? "").replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
  const single = /^'([^']*)'\s*(?:#.*)?$/.exec(value);
  if (single) return single[1] ?? "";
  return value.replace(/\s+#.*$/, "").trim();
}

/** The Management client of the connection, whose calls Ctrl-C aborts. */
export async function actionClient(flags: ActionFlags, io: Io): Promise<ManagementClient> {
  return createClient(await resolveConnection(flags, io), { signal: io.interrupt });
}

/** `--timeout` (seconds) and Ctrl-C for the waits on Auth0's build and deploy; each read noted on stderr. */
export function waitOptions(flags: ActionFlags, { io, output }: CommandContext): WaitOptions {
  let timeoutMs = 120_000;
  if (flags.timeout !== undefined) {
    const seconds = Number(flags.timeout);
    if (!/^\d{1,4}$/.test(flags.timeout) || seconds < 1 || seconds > 3600) {
      throw new UsageError("--timeout must be a whole number of seconds from 1 to 3600.");
    }
    timeoutMs = seconds * 1000;
  }
  return {
    timeoutMs,
    signal: io.interrupt,
    onProgress: (progress: ActionProgress) => {
      if (progress.status !== "built" && progress.status !== "deployed") {
        output.note(
          `idlink: ${progress.step === "build" ? "building" : "deploying"}… (${p(progress.status)})`,
        );
      }
    },
  };
}

/** The step names as notes say them. */
export const stepNotes: Record<string, string> = {
  create: "creating the Action",
  update: "updating the Action's code and secrets",
  build: "waiting for Auth0 to build it",
  deploy: "deploying it",
  bind: "binding it",
};

/** A trigger's bindings in a line: `1. Add roles  2. idlink-account-linking (idlink)`. */
export function bindingsLine(list: readonly BindingSummary[], style: Style): string {
  if (list.length === 0) return style.dim("(none)");
  return list
    .map(
      (b, i) =>
        `${i + 1}. ${b.idlink ? style.bold(p(b.display_name)) : p(b.display_name)}${b.idlink ? " (idlink)" : ""}`,
    )
    .join("  ");
}

/** The Action's name as given, or idlink's default. */
export const actionName = (flags: ActionFlags) => flags.name ?? linkActionDefaults.name;
