import { randomUUID } from "node:crypto";
import { compileFunction } from "node:vm";
import type { PostLoginAction } from "../actions/types.ts";
import { authenticate, type Caller, insufficientScope } from "../auth.ts";
import { ApiError, badRequest } from "../errors.ts";
import type { Reply, RequestContext, Router } from "../router.ts";
import type { TokenContext } from "../tokens.ts";
import { parseRequestBody, typeName } from "./management.ts";

// The Management API's Actions operations that `idlink action …` uses: Actions and their drafts, the asynchronous
// build, versions, the triggers and their bindings. Status codes and shapes are those of Auth0's definition
// (openapi/management-api.yaml, checked against openapi/reference/); what recorded answers show beyond it is marked
// "observed" with its public source, and what neither says is marked "modelled". An Action deployed and bound to
// post-login here is what the emulator's logins run (through `postLogin.set`).

export interface ActionsRouteDeps {
  tokens: TokenContext;
  /** The post-login trigger of the emulator's logins: handed the bound Actions, in order, whenever they change. */
  postLogin?: { set(actions: PostLoginAction[]): void };
  /**
   * How long a draft's build takes, in ms: half of it `pending`, then `building`, then `built` or `failed`. Default
   * 300; 0 answers `pending` to the create or update itself (as recorded) and `built` to the next read.
   */
  buildDelayMs?: number;
  /** A build fails when this says why (besides code that does not compile). */
  failBuild?: (code: string) => string | undefined;
  now?: () => number;
}

/** What the routes keep, for the server's reset and for tests. */
export interface ActionsApi {
  /** Forgets every Action and binding (the emulator's `state.reset()`). */
  reset(): void;
  /** The bound post-login Actions as the logins run them (display name, deployed code, its secrets). */
  boundPostLogin(): PostLoginAction[];
}

type Status = "pending" | "building" | "built" | "failed";

interface Secret {
  name: string;
  value: string;
  updated_at: string;
}

interface Version {
  id: string;
  number: number;
  code: string;
  runtime: string;
  dependencies: unknown[];
  secrets: Secret[];
  created_at: string;
  built_at: string;
  errors: { id: string; msg: string }[];
}

interface StoredAction {
  id: string;
  name: string;
  trigger: { id: string; version: string };
  code: string;
  runtime: string;
  dependencies: unknown[];
  secrets: Secret[];
  created_at: string;
  updated_at: string;
  /** When the current draft's build started and ends; its outcome once ended. */
  buildStartedAt: number;
  buildEndsAt: number;
  buildError: string | undefined;
  /** The draft holds changes no version has. */
  dirty: boolean;
  deployOnBuild: boolean;
  versions: Version[];
  deployedId: string | undefined;
}

interface Binding {
  id: string;
  actionId: string;
  display_name: string;
  created_at: string;
  updated_at: string;
}

/** The triggers a tenant lists (Auth0's current versions; post-login v3 is the one idlink binds to). Modelled. */
const triggers = [
  { id: "post-login", version: "v1", status: "DEPRECATED", runtimes: ["node12"], default_runtime: "node12" },
  {
    id: "post-login",
    version: "v2",
    status: "DEPRECATED",
    runtimes: ["node12", "node16"],
    default_runtime: "node16",
  },
  {
    id: "post-login",
    version: "v3",
    status: "CURRENT",
    runtimes: ["node18-actions", "node22"],
    default_runtime: "node22",
  },
  // The other current triggers: version v2, on the current runtimes.
  ...[
    "credentials-exchange",
    "pre-user-registration",
    "post-user-registration",
    "post-change-password",
    "send-phone-message",
  ].map((id) => ({
    id,
    version: "v2",
    status: "CURRENT",
    runtimes: ["node18-actions", "node22"],
    default_runtime: "node22",
  })),
].map((t) => ({ ...t, binding_policy: "trigger-bound" as const, compatible_triggers: [] }));
const triggerIds = new Set([
  "post-login",
  "credentials-exchange",
  "pre-user-registration",
  "post-user-registration",
  "post-change-password",
  "send-phone-message",
  "custom-phone-provider",
  "custom-email-provider",
  "password-reset-post-challenge",
  "custom-token-exchange",
  "event-stream",
  "password-hash-migration",
  "login-post-identifier",
  "signup-post-identifier",
]);
/** Runtimes any trigger takes (recorded: node16, node18-actions; Auth0's default node22). */
const runtimes = new Set(["node12", "node16", "node18", "node18-actions", "node22"]);

// Auth0's payload validator names the property (observed for the link body and the bindings, node-auth0 issue 740:
// "Payload validation error: 'Data does not match any schemas from 'oneOf'' on property bindings[0].").
const invalidBody = (detail: string, property?: string) =>
  badRequest(
    `Payload validation error: '${detail}'${property ? ` on property ${property}` : ""}.`,
    "invalid_body",
  );
const invalidQuery = (detail: string, property: string) =>
  badRequest(`Query validation error: '${detail}' on property ${property}.`, "invalid_query_string");
// Modelled: a path parameter outside its enum, worded as the payload and query validators are.
const invalidPath = (detail: string, property: string) =>
  badRequest(`Path validation error: '${detail}' on property ${property}.`, "invalid_uri");
// The definition's 404 message of each operation (the body's shape is Auth0's usual error; modelled).
const notFound = (message: string) => new ApiError(404, message);

const scopes = {
  read: ["read:actions"],
  create: ["create:actions"],
  update: ["update:actions"],
  remove: ["delete:actions"],
  // The definition names read:actions / update:actions for the bindings; Auth0's scope list also has
  // read:triggers / update:triggers, taken here too (modelled, as idlink's preflight takes them).
  readBindings: ["read:actions", "read:triggers"],
  updateBindings: ["update:actions", "update:triggers"],
};

function need(caller: Caller, accepted: string[]): void {
  if (!accepted.some((scope) => caller.scopes.has(scope))) throw insufficientScope(accepted);
}

/** `page` and `per_page` as Auth0's query validator reads them (per_page at most 100: modelled). */
function paging(req: RequestContext): { page: number; perPage: number } {
  const read = (name: string, fallback: number, min: number, max: number) => {
    const text = req.query.get(name);
    if (text === null) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min) {
      throw invalidQuery(`Expected type integer but found type string`, name);
    }
    if (value > max) throw invalidQuery(`Value ${value} is greater than maximum ${max}`, name);
    return value;
  };
  return { page: read("page", 0, 0, 100_000), perPage: read("per_page", 20, 1, 100) };
}

/** A page as Auth0 answers lists: zero values left out (observed on the bindings: page 0 has no `page`). */
function pageOf<T>(list: T[], page: number, perPage: number) {
  return {
    items: list.slice(page * perPage, (page + 1) * perPage),
    ...(page > 0 ? { page } : {}),
    per_page: perPage,
  };
}

function booleanQuery(req: RequestContext, name: string): boolean | undefined {
  const text = req.query.get(name);
  if (text === null) return undefined;
  if (text !== "true" && text !== "false")
    throw invalidQuery("Expected type boolean but found type string", name);
  return text === "true";
}

function triggerParam(value: string, property: string): string {
  if (!triggerIds.has(value)) throw invalidPath(`No enum match for: ${JSON.stringify(value)}`, property);
  return value;
}

/** Registers the Actions operations under /api/v2/actions; answers what the server's reset must call. */
export function registerActionsRoutes(router: Router, deps: ActionsRouteDeps): ActionsApi {
  const now = deps.now ?? Date.now;
  const buildDelayMs = deps.buildDelayMs ?? 300;
  const actions = new Map<string, StoredAction>();
  const bindings = new Map<string, Binding[]>();
  const iso = (ms = now()) => new Date(ms).toISOString();

  const caller = (req: RequestContext) => authenticate(deps.tokens, req.headers.authorization);

  function startBuild(action: StoredAction): void {
    const started = now();
    action.buildStartedAt = started;
    action.buildEndsAt = started + buildDelayMs;
    action.buildError = compileError(action.code) ?? deps.failBuild?.(action.code);
  }

  function statusOf(action: StoredAction): Status {
    const t = now();
    if (t < action.buildEndsAt) return t < action.buildStartedAt + buildDelayMs / 2 ? "pending" : "building";
    return action.buildError === undefined ? "built" : "failed";
  }

  /** Settles what time has decided: a draft built with `deploy: true` is deployed. */
  function settle(action: StoredAction): void {
    if (action.deployOnBuild && statusOf(action) === "built") {
      action.deployOnBuild = false;
      deploy(action);
    }
  }

  function deploy(action: StoredAction): Version {
    const version: Version = {
      id: randomUUID(),
      number: action.versions.length + 1,
      code: action.code,
      runtime: action.runtime,
      dependencies: action.dependencies,
      secrets: action.secrets.map((s) => ({ ...s })),
      created_at: iso(),
      built_at: iso(),
      errors: [],
    };
    action.versions.push(version);
    action.deployedId = version.id;
    action.dirty = false;
    syncPostLogin();
    return version;
  }

  const secretsOut = (list: Secret[]) => list.map(({ name, updated_at }) => ({ name, updated_at }));
  const triggersOut = (action: StoredAction) => [{ id: action.trigger.id, version: action.trigger.version }];

  function versionOut(action: StoredAction, version: Version, options: { deployed?: boolean } = {}) {
    return {
      id: version.id,
      action_id: action.id,
      code: version.code,
      dependencies: version.dependencies,
      deployed: options.deployed ?? action.deployedId === version.id,
      runtime: version.runtime,
      secrets: secretsOut(version.secrets),
      status: "built" as const,
      number: version.number,
      ...(version.errors.length > 0 ? { errors: version.errors } : {}),
      built_at: version.built_at,
      created_at: version.created_at,
      updated_at: version.built_at,
      supported_triggers: triggersOut(action),
    };
  }

  /** An Action as answered; the create or update itself answers `pending` whatever the delay (recorded). */
  function actionOut(action: StoredAction, options: { written?: boolean } = {}) {
    settle(action);
    const status = options.written ? "pending" : statusOf(action);
    const deployed = action.versions.find((v) => v.id === action.deployedId);
    return {
      id: action.id,
      name: action.name,
      supported_triggers: triggersOut(action),
      created_at: action.created_at,
      updated_at: action.updated_at,
      code: action.code,
      dependencies: action.dependencies,
      runtime: action.runtime,
      status,
      secrets: secretsOut(action.secrets),
      ...(deployed ? { deployed_version: versionOut(action, deployed) } : {}),
      ...(status === "built" ? { built_at: iso(action.buildEndsAt) } : {}),
      all_changes_deployed: deployed !== undefined && !action.dirty,
    };
  }

  /** The action as a binding shows it (recorded: the action without its code, with its deployed version). */
  function bindingOut(trigger: string, binding: Binding) {
    const action = actions.get(binding.actionId);
    const deployed = action?.versions.find((v) => v.id === action.deployedId);
    return {
      id: binding.id,
      trigger_id: trigger,
      display_name: binding.display_name,
      ...(action
        ? {
            action: {
              id: action.id,
              name: action.name,
              supported_triggers: triggersOut(action),
              created_at: action.created_at,
              updated_at: action.updated_at,
              ...(deployed ? { deployed_version: versionOut(action, deployed) } : {}),
              all_changes_deployed: deployed !== undefined && !action.dirty,
            },
          }
        : {}),
      created_at: binding.created_at,
      updated_at: binding.updated_at,
    };
  }

  function boundPostLogin(): PostLoginAction[] {
    return (bindings.get("post-login") ?? []).flatMap((binding) => {
      const action = actions.get(binding.actionId);
      const version = action?.versions.find((v) => v.id === action.deployedId);
      if (!version) return [];
      return [
        {
          name: binding.display_name,
          code: version.code,
          secrets: Object.fromEntries(version.secrets.map((s) => [s.name, s.value])),
        },
      ];
    });
  }

  /** Hands the logins the post-login Actions as bound now. */
  function syncPostLogin(): void {
    deps.postLogin?.set(boundPostLogin());
  }

  function find(id: string, message: string): StoredAction {
    const action = actions.get(id);
    if (!action) throw notFound(message);
    return action;
  }

  function isBound(action: StoredAction): boolean {
    return [...bindings.values()].some((list) => list.some((b) => b.actionId === action.id));
  }

  // GET /api/v2/actions/actions — read:actions
  router.add("GET", "/api/v2/actions/actions", async (req) => {
    need(await caller(req), scopes.read);
    const { page, perPage } = paging(req);
    const trigger = req.query.get("triggerId");
    if (trigger !== null) triggerParam(trigger, "triggerId");
    const name = req.query.get("actionName");
    const deployed = booleanQuery(req, "deployed");
    const installed = booleanQuery(req, "installed");
    const list = [...actions.values()].filter(
      (a) =>
        (trigger === null || a.trigger.id === trigger) &&
        (name === null || a.name === name) &&
        (deployed === undefined || (a.deployedId !== undefined) === deployed) &&
        // Every Action here is a custom one: none is installed from the marketplace.
        installed !== true,
    );
    const { items, ...rest } = pageOf(list, page, perPage);
    return { status: 200, body: { actions: items.map((a) => actionOut(a)), total: list.length, ...rest } };
  });

  // POST /api/v2/actions/actions — create:actions; answers the draft, pending (recorded).
  router.add("POST", "/api/v2/actions/actions", async (req) => {
    need(await caller(req), scopes.create);
    const body = parseBody(req, createKeys);
    const name = body.name;
    if (typeof name !== "string")
      throw invalidBody(
        name === undefined
          ? "Missing required property: name"
          : `Expected type string but found type ${typeName(name)}`,
        name === undefined ? undefined : "name",
      );
    if (name.trim() === "") throw invalidBody("String is too short (0 chars), minimum 1", "name");
    if (body.supported_triggers === undefined)
      throw invalidBody("Missing required property: supported_triggers");
    const trigger = parseTriggers(body.supported_triggers);
    // Modelled: Auth0's dashboard refuses a second Action of a name; the wording is ours.
    if ([...actions.values()].some((a) => a.name === name)) {
      throw new ApiError(409, `An action with the name '${name}' already exists.`);
    }
    const t = iso();
    const action: StoredAction = {
      id: randomUUID(),
      name,
      trigger,
      code: optionalString(body.code, "code") ?? "",
      runtime: parseRuntime(body.runtime) ?? "node22",
      dependencies: parseDependencies(body.dependencies) ?? [],
      secrets: mergeSecrets([], parseSecrets(body.secrets) ?? []),
      created_at: t,
      updated_at: t,
      buildStartedAt: 0,
      buildEndsAt: 0,
      buildError: undefined,
      dirty: true,
      deployOnBuild: parseBoolean(body.deploy, "deploy") === true,
      versions: [],
      deployedId: undefined,
    };
    parseModules(body.modules);
    startBuild(action);
    actions.set(action.id, action);
    return { status: 201, body: actionOut(action, { written: true }) };
  });

  // GET /api/v2/actions/actions/{id} — read:actions
  router.add("GET", "/api/v2/actions/actions/:id", async (req, { id = "" }) => {
    need(await caller(req), scopes.read);
    return { status: 200, body: actionOut(find(id, "The action does not exist.")) };
  });

  // PATCH /api/v2/actions/actions/{id} — update:actions; the draft is rebuilt, what runs changes on deploy only.
  router.add("PATCH", "/api/v2/actions/actions/:id", async (req, { id = "" }) => {
    need(await caller(req), scopes.update);
    const body = parseBody(req, updateKeys);
    const action = find(id, "Action not found and cannot be updated.");
    const name = optionalString(body.name, "name");
    const trigger =
      body.supported_triggers === undefined ? undefined : parseTriggers(body.supported_triggers);
    if (trigger && trigger.id !== action.trigger.id) {
      // Observed (auth0-cli issue 462): "400 Bad Request: can't upgrade to this trigger."
      throw badRequest("can't upgrade to this trigger.");
    }
    const code = optionalString(body.code, "code");
    const runtime = parseRuntime(body.runtime);
    const dependencies = parseDependencies(body.dependencies);
    const secrets = parseSecrets(body.secrets);
    parseModules(body.modules);
    if (name !== undefined) action.name = name;
    if (trigger) action.trigger = trigger;
    if (code !== undefined) action.code = code;
    if (runtime !== undefined) action.runtime = runtime;
    if (dependencies !== undefined) action.dependencies = dependencies;
    // `secrets` replaces the list; a secret sent without a value keeps its value (recorded: TestAccAction.yaml).
    if (secrets !== undefined) action.secrets = mergeSecrets(action.secrets, secrets);
    action.updated_at = iso();
    action.dirty = true;
    startBuild(action);
    return { status: 200, body: actionOut(action, { written: true }) };
  });

  // DELETE /api/v2/actions/actions/{id} — delete:actions; 409 while bound unless force (observed).
  router.add("DELETE", "/api/v2/actions/actions/:id", async (req, { id = "" }) => {
    need(await caller(req), scopes.remove);
    const force = booleanQuery(req, "force");
    const action = find(id, "The action version does not exist.");
    if (isBound(action)) {
      if (!force) throw new ApiError(409, "Unable to delete an action bound to a trigger.");
      for (const [trigger, list] of bindings)
        bindings.set(
          trigger,
          list.filter((b) => b.actionId !== id),
        );
    }
    actions.delete(id);
    syncPostLogin();
    return { status: 204 };
  });

  // POST /api/v2/actions/actions/{id}/deploy — create:actions; 200 with the version, deployed: false (observed).
  router.add("POST", "/api/v2/actions/actions/:id/deploy", async (req, { id = "" }) => {
    need(await caller(req), scopes.create);
    const action = find(id, "The action does not exist.");
    settle(action);
    if (statusOf(action) !== "built") {
      // Observed: auth0-deploy-cli issue 395, alexkappa/terraform-provider-auth0 issue 470.
      throw badRequest("A draft must be in the 'built' state before it can be deployed.");
    }
    const version = deploy(action);
    return { status: 200, body: versionOut(action, version, { deployed: false }) };
  });

  // GET /api/v2/actions/actions/{actionId}/versions — read:actions; newest first (modelled).
  router.add("GET", "/api/v2/actions/actions/:actionId/versions", async (req, { actionId = "" }) => {
    need(await caller(req), scopes.read);
    const { page, perPage } = paging(req);
    const action = find(actionId, "The action does not exist.");
    settle(action);
    const list = [...action.versions].reverse();
    const { items, ...rest } = pageOf(list, page, perPage);
    return {
      status: 200,
      body: { versions: items.map((v) => versionOut(action, v)), total: list.length, ...rest },
    };
  });

  // GET /api/v2/actions/triggers — read:actions
  router.add("GET", "/api/v2/actions/triggers", async (req) => {
    need(await caller(req), scopes.read);
    return { status: 200, body: { triggers } };
  });

  // GET /api/v2/actions/triggers/{triggerId}/bindings — read:actions (or read:triggers); `total` on the first page
  // only, `page` from the second (observed: TestAccActionDeleteWithUnbind.yaml).
  router.add("GET", "/api/v2/actions/triggers/:triggerId/bindings", async (req, { triggerId = "" }) => {
    need(await caller(req), scopes.readBindings);
    const trigger = triggerParam(triggerId, "triggerId");
    const { page, perPage } = paging(req);
    const list = bindings.get(trigger) ?? [];
    const { items, ...rest } = pageOf(list, page, perPage);
    return {
      status: 200,
      body: {
        bindings: items.map((b) => bindingOut(trigger, b)),
        ...(page === 0 ? { total: list.length } : {}),
        ...rest,
      },
    };
  });

  // PATCH /api/v2/actions/triggers/{triggerId}/bindings — update:actions (or update:triggers); replaces the list,
  // every binding with a new id (observed).
  router.add("PATCH", "/api/v2/actions/triggers/:triggerId/bindings", async (req, { triggerId = "" }) => {
    need(await caller(req), scopes.updateBindings);
    const trigger = triggerParam(triggerId, "triggerId");
    const body = parseBody(req, new Set(["bindings"]));
    const entries = body.bindings ?? [];
    if (!Array.isArray(entries))
      throw invalidBody(`Expected type array but found type ${typeName(entries)}`, "bindings");
    const current = bindings.get(trigger) ?? [];
    const next: Binding[] = entries.map((entry, i) => {
      const where = `bindings[${i}]`;
      if (!isBindingWithRef(entry)) throw invalidBody("Data does not match any schemas from 'oneOf'", where);
      const { ref, display_name } = entry;
      // A ref without a type names the Action (the definition's default: action_name).
      const action =
        ref.type === "action_id"
          ? actions.get(ref.value ?? "")
          : ref.type === "binding_id"
            ? actions.get(current.find((b) => b.id === ref.value)?.actionId ?? "")
            : [...actions.values()].find((a) => a.name === ref.value);
      // Modelled: a reference to nothing is refused in the definition's words.
      if (!action) throw badRequest("Invalid Request Body.");
      settle(action);
      if (action.deployedId === undefined) {
        // Observed: auth0-deploy-cli issue 385 (no final period).
        throw badRequest("Trying to create a binding for an action that has not been deployed yet");
      }
      // Modelled: an Action made for another trigger cannot be bound here.
      if (action.trigger.id !== trigger)
        throw badRequest(`The action does not support the trigger ${trigger}.`);
      const t = iso();
      return {
        id: randomUUID(),
        actionId: action.id,
        display_name: display_name ?? action.name,
        created_at: t,
        updated_at: t,
      };
    });
    bindings.set(trigger, next);
    if (trigger === "post-login") syncPostLogin();
    return { status: 200, body: { bindings: next.map((b) => bindingOut(trigger, b)) } };
  });

  return {
    reset() {
      actions.clear();
      bindings.clear();
    },
    boundPostLogin,
  };

  function mergeSecrets(old: Secret[], sent: { name: string; value: string | undefined }[]): Secret[] {
    const t = iso();
    return sent.map(({ name, value }) => {
      const kept = old.find((s) => s.name === name);
      return {
        name,
        value: value ?? kept?.value ?? "",
        updated_at: value === undefined && kept ? kept.updated_at : t,
      };
    });
  }
}

const createKeys = new Set([
  "name",
  "supported_triggers",
  "code",
  "dependencies",
  "runtime",
  "secrets",
  "modules",
  "deploy",
]);
const updateKeys = new Set([
  "name",
  "supported_triggers",
  "code",
  "dependencies",
  "runtime",
  "secrets",
  "modules",
]);
const triggerKeys = new Set([
  "id",
  "version",
  "status",
  "runtimes",
  "default_runtime",
  "compatible_triggers",
  "binding_policy",
]);

function parseBody(req: RequestContext, allowed: ReadonlySet<string>): Record<string, unknown> {
  const raw = parseRequestBody(req) ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw invalidBody(`Expected type object but found type ${typeName(raw)}`);
  }
  const body = raw as Record<string, unknown>;
  const unknown = Object.keys(body).filter((key) => !allowed.has(key));
  if (unknown.length > 0) throw invalidBody(`Additional properties not allowed: ${unknown.join(",")}`);
  return body;
}

function optionalString(value: unknown, property: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string")
    throw invalidBody(`Expected type string but found type ${typeName(value)}`, property);
  return value;
}

function parseBoolean(value: unknown, property: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean")
    throw invalidBody(`Expected type boolean but found type ${typeName(value)}`, property);
  return value;
}

function parseTriggers(value: unknown): { id: string; version: string } {
  if (!Array.isArray(value))
    throw invalidBody(`Expected type array but found type ${typeName(value)}`, "supported_triggers");
  if (value.length === 0) throw invalidBody("Array is too short (0), minimum 1", "supported_triggers");
  const [first] = value;
  const where = "supported_triggers[0]";
  if (typeof first !== "object" || first === null || Array.isArray(first)) {
    throw invalidBody(`Expected type object but found type ${typeName(first)}`, where);
  }
  const trigger = first as Record<string, unknown>;
  const unknown = Object.keys(trigger).filter((key) => !triggerKeys.has(key));
  if (unknown.length > 0) throw invalidBody(`Additional properties not allowed: ${unknown.join(",")}`, where);
  if (typeof trigger.id !== "string" || !triggerIds.has(trigger.id)) {
    throw invalidBody(`No enum match for: ${JSON.stringify(trigger.id)}`, `${where}.id`);
  }
  const version =
    trigger.version ?? triggers.find((t) => t.id === trigger.id && t.status === "CURRENT")?.version ?? "v1";
  if (typeof version !== "string")
    throw invalidBody(`Expected type string but found type ${typeName(version)}`, `${where}.version`);
  // Modelled: a trigger version the tenant does not list.
  if (!triggers.some((t) => t.id === trigger.id && t.version === version)) {
    throw badRequest(`Invalid trigger version ${version} for trigger ${trigger.id}.`);
  }
  return { id: trigger.id, version };
}

function parseRuntime(value: unknown): string | undefined {
  const runtime = optionalString(value, "runtime");
  // Modelled: a runtime Auth0 does not offer.
  if (runtime !== undefined && !runtimes.has(runtime)) throw badRequest(`Invalid runtime: ${runtime}.`);
  return runtime;
}

function parseDependencies(value: unknown): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw invalidBody(`Expected type array but found type ${typeName(value)}`, "dependencies");
  value.forEach((item, i) => {
    if (typeof item !== "object" || item === null || typeof (item as { name?: unknown }).name !== "string") {
      throw invalidBody("Missing required property: name", `dependencies[${i}]`);
    }
  });
  return value;
}

function parseModules(value: unknown): void {
  if (value !== undefined && !Array.isArray(value)) {
    throw invalidBody(`Expected type array but found type ${typeName(value)}`, "modules");
  }
}

/** Secrets as sent: names of at most 128 characters and values of at most 4096 (limitations.mdx); unique names. */
function parseSecrets(value: unknown): { name: string; value: string | undefined }[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw invalidBody(`Expected type array but found type ${typeName(value)}`, "secrets");
  const seen = new Set<string>();
  return value.map((item, i) => {
    const where = `secrets[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw invalidBody(`Expected type object but found type ${typeName(item)}`, where);
    }
    const { name, value: secret } = item as { name?: unknown; value?: unknown };
    if (typeof name !== "string" || name === "") throw invalidBody("Missing required property: name", where);
    if (name.length > 128)
      throw invalidBody(`String is too long (${name.length} chars), maximum 128`, `${where}.name`);
    if (secret !== undefined && typeof secret !== "string") {
      throw invalidBody(`Expected type string but found type ${typeName(secret)}`, `${where}.value`);
    }
    // The value is never echoed: only its length.
    if (typeof secret === "string" && secret.length > 4096) {
      throw invalidBody(`String is too long (${secret.length} chars), maximum 4096`, `${where}.value`);
    }
    // Modelled: two secrets of one name.
    if (seen.has(name)) throw invalidBody(`Duplicate secret name: ${name}`, where);
    seen.add(name);
    return { name, value: secret };
  });
}

function isBindingWithRef(
  entry: unknown,
): entry is { ref: { type?: string; value?: string }; display_name?: string } {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return false;
  const { ref, display_name, secrets, ...rest } = entry as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return false;
  if (display_name !== undefined && typeof display_name !== "string") return false;
  if (secrets !== undefined && !Array.isArray(secrets)) return false;
  if (typeof ref !== "object" || ref === null || Array.isArray(ref)) return false;
  const { type, value } = ref as Record<string, unknown>;
  return (
    (type === undefined || type === "action_id" || type === "action_name" || type === "binding_id") &&
    typeof value === "string"
  );
}

/** The first step of a build: the code compiles as a CommonJS module. The engine's message, without the code. */
function compileError(code: string): string | undefined {
  try {
    compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], {
      filename: "action.js",
    });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A reply for an error the routes threw (as the server answers it), for callers outside the server. */
export function actionsErrorReply(error: unknown): Reply {
  if (error instanceof ApiError)
    return { status: error.status, body: error.toBody(), headers: error.headers };
  throw error;
}
