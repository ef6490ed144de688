// A small in-memory Auth0 Actions API behind an injected fetch, for core's tests of the Actions steps: Actions with a
// draft that builds over a few reads, versions, trigger bindings replaced whole, and the answers' shapes and status
// codes of Auth0's definition and recorded answers (see openapi/management-api.yaml). Not the emulator: core's tests
// depend on nothing else of the workspace.
import { createManagementClient, type ManagementClient } from "../../src/http/client.ts";

export interface FakeSecret {
  name: string;
  value: string;
}

export interface FakeVersion {
  id: string;
  number: number;
  code: string;
  runtime: string;
  secrets: string[];
  status: "pending" | "built" | "failed";
  errors?: { id: string; msg: string }[];
  /** Reads until the version is built (or failed) and deployed. */
  readsLeft: number;
}

export interface FakeAction {
  id: string;
  name: string;
  trigger: string;
  code: string;
  runtime: string;
  secrets: FakeSecret[];
  status: "pending" | "building" | "built" | "failed";
  /** Reads of the Action until its draft build settles. */
  readsLeft: number;
  versions: FakeVersion[];
  deployedId: string | undefined;
  /** The draft equals the deployed version. */
  clean: boolean;
}

export interface FakeBinding {
  id: string;
  actionId: string;
  display_name: string;
}

export interface FakeOptions {
  /** Scopes of the client's token. */
  scopes?: string[];
  /** A draft whose code matches fails to build. */
  failBuild?: (code: string) => boolean;
  /** A deployed version whose code matches fails to build. */
  failVersion?: (code: string) => boolean;
  /** Reads a draft stays pending/building. Default 2. */
  buildReads?: number;
}

export const scopesAll = ["read:actions", "create:actions", "update:actions", "delete:actions"];

/** An unsigned JWT with these claims: preflight decodes tokens, it never verifies them. */
export function fakeToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`;
}

export function fakeTenant(options: FakeOptions = {}) {
  let counter = 0;
  const nextId = (prefix: string) =>
    `${prefix}-${String(++counter).padStart(4, "0")}-0000-4000-8000-000000000000`;
  const actions = new Map<string, FakeAction>();
  const bindings = new Map<string, FakeBinding[]>([["post-login", []]]);
  const requests: { method: string; path: string; body: unknown }[] = [];
  /** Called before each request is answered: a test changes the tenant "concurrently" here. */
  const hooks: ((method: string, path: string) => void)[] = [];
  const buildReads = options.buildReads ?? 2;

  const json = (status: number, body?: unknown) =>
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    });
  const error = (status: number, message: string, errorCode?: string) =>
    json(status, {
      statusCode: status,
      error: { 400: "Bad Request", 404: "Not Found", 409: "Conflict" }[status] ?? "Error",
      message,
      ...(errorCode ? { errorCode } : {}),
    });

  const versionBody = (action: FakeAction, v: FakeVersion) => ({
    id: v.id,
    code: v.code,
    runtime: v.runtime,
    number: v.number,
    status: v.status,
    deployed: action.deployedId === v.id,
    secrets: v.secrets.map((name) => ({ name })),
    supported_triggers: [{ id: action.trigger, version: "v3" }],
    ...(v.errors ? { errors: v.errors } : {}),
  });
  const actionBody = (action: FakeAction) => {
    const deployed = action.versions.find((v) => v.id === action.deployedId);
    return {
      id: action.id,
      name: action.name,
      supported_triggers: [{ id: action.trigger, version: "v3" }],
      code: action.code,
      runtime: action.runtime,
      dependencies: [],
      status: action.status,
      secrets: action.secrets.map((s) => ({ name: s.name })),
      all_changes_deployed: action.clean,
      ...(deployed ? { deployed_version: versionBody(action, deployed) } : {}),
    };
  };
  /** Each read moves builds on: a draft pending → building → built (or failed); a version pending → built/deployed. */
  const tick = (action: FakeAction) => {
    if (action.status === "pending" || action.status === "building") {
      action.readsLeft -= 1;
      if (action.readsLeft <= 0) action.status = options.failBuild?.(action.code) ? "failed" : "built";
      else action.status = "building";
    }
    for (const v of action.versions) {
      if (v.status !== "pending") continue;
      v.readsLeft -= 1;
      if (v.readsLeft > 0) continue;
      if (options.failVersion?.(v.code)) {
        v.status = "failed";
        v.errors = [{ id: "build_error", msg: "Cannot find module 'left-pad'" }];
      } else {
        v.status = "built";
        action.deployedId = v.id;
      }
    }
  };
  const bindingBody = (trigger: string, b: FakeBinding) => {
    const action = actions.get(b.actionId);
    return {
      id: b.id,
      trigger_id: trigger,
      display_name: b.display_name,
      action: action
        ? { id: action.id, name: action.name, supported_triggers: [{ id: trigger, version: "v3" }] }
        : {},
    };
  };

  async function handle(method: string, url: URL, body: unknown): Promise<Response> {
    const parts = url.pathname
      .replace(/^\/api\/v2\//, "")
      .split("/")
      .map(decodeURIComponent);
    const query = url.searchParams;
    const page = Number(query.get("page") ?? "0");
    const perPage = Number(query.get("per_page") ?? "20");
    const slice = <T>(list: T[]) => list.slice(page * perPage, page * perPage + perPage);
    if (parts[0] === "actions" && parts[1] === "triggers" && parts.length === 2 && method === "GET") {
      return json(200, {
        triggers: [
          {
            id: "post-login",
            version: "v1",
            status: "DEPRECATED",
            runtimes: ["node12"],
            binding_policy: "trigger-bound",
          },
          {
            id: "post-login",
            version: "v3",
            status: "CURRENT",
            runtimes: ["node22"],
            binding_policy: "trigger-bound",
          },
        ],
      });
    }
    if (parts[0] === "actions" && parts[1] === "triggers" && parts[3] === "bindings") {
      const trigger = parts[2] ?? "";
      const list = bindings.get(trigger) ?? [];
      if (method === "GET") {
        return json(200, {
          bindings: slice(list).map((b) => bindingBody(trigger, b)),
          per_page: perPage,
          ...(page ? { page } : { total: list.length }),
        });
      }
      if (method === "PATCH") {
        const entries = (
          body as { bindings: { ref: { type: string; value: string }; display_name?: string }[] }
        ).bindings;
        const next: FakeBinding[] = [];
        for (const entry of entries) {
          const action = actions.get(entry.ref.value);
          if (!action) return error(400, "Invalid Request Body.");
          if (!action.deployedId)
            return error(400, "Trying to create a binding for an action that has not been deployed yet");
          next.push({
            id: nextId("bind"),
            actionId: action.id,
            display_name: entry.display_name ?? action.name,
          });
        }
        bindings.set(trigger, next);
        return json(200, { bindings: next.map((b) => bindingBody(trigger, b)) });
      }
    }
    if (parts[0] === "actions" && parts[1] === "actions") {
      const id = parts[2];
      if (id === undefined && method === "GET") {
        const name = query.get("actionName");
        const list = [...actions.values()].filter((a) => name === null || a.name === name);
        return json(200, {
          actions: slice(list).map(actionBody),
          total: list.length,
          page,
          per_page: perPage,
        });
      }
      if (id === undefined && method === "POST") {
        const b = body as {
          name: string;
          code: string;
          runtime: string;
          secrets: FakeSecret[];
          supported_triggers: { id: string }[];
        };
        const action: FakeAction = {
          id: nextId("act"),
          name: b.name,
          trigger: b.supported_triggers[0]?.id ?? "post-login",
          code: b.code,
          runtime: b.runtime,
          secrets: b.secrets ?? [],
          status: "pending",
          readsLeft: buildReads,
          versions: [],
          deployedId: undefined,
          clean: false,
        };
        actions.set(action.id, action);
        return json(201, actionBody(action));
      }
      const action = id === undefined ? undefined : actions.get(id);
      if (!action) return error(404, "The action does not exist.");
      if (parts[3] === "deploy" && method === "POST") {
        if (action.status !== "built")
          return error(400, "A draft must be in the 'built' state before it can be deployed.");
        const version: FakeVersion = {
          id: nextId("ver"),
          number: action.versions.length + 1,
          code: action.code,
          runtime: action.runtime,
          secrets: action.secrets.map((s) => s.name),
          status: "pending",
          readsLeft: 1,
        };
        action.versions.push(version);
        action.clean = true;
        return json(200, versionBody(action, version));
      }
      if (parts[3] === "versions" && method === "GET") {
        tick(action);
        const list = [...action.versions].reverse();
        return json(200, {
          versions: slice(list).map((v) => versionBody(action, v)),
          total: list.length,
          page,
          per_page: perPage,
        });
      }
      if (parts.length === 3 && method === "GET") {
        tick(action);
        return json(200, actionBody(action));
      }
      if (parts.length === 3 && method === "PATCH") {
        const b = body as { code?: string; runtime?: string; secrets?: FakeSecret[] };
        if (b.code !== undefined) action.code = b.code;
        if (b.runtime !== undefined) action.runtime = b.runtime;
        if (b.secrets !== undefined) action.secrets = b.secrets;
        action.status = "pending";
        action.readsLeft = buildReads;
        action.clean = false;
        return json(200, actionBody(action));
      }
      if (parts.length === 3 && method === "DELETE") {
        const bound = [...bindings.values()].some((list) => list.some((b) => b.actionId === action.id));
        if (bound) return error(409, "Unable to delete an action bound to a trigger.");
        actions.delete(action.id);
        return new Response(null, { status: 204 });
      }
    }
    return error(404, "Not Found");
  }

  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = await request.text();
    const body = text ? JSON.parse(text) : undefined;
    requests.push({ method: request.method, path: `${url.pathname}${url.search}`, body });
    for (const hook of hooks) hook(request.method, url.pathname);
    return handle(request.method, url, body);
  };

  const token = fakeToken({
    sub: "m2m@clients",
    scope: (options.scopes ?? scopesAll).join(" "),
    exp: Math.floor(Date.now() / 1000) + 3600,
  });
  const client: ManagementClient = createManagementClient({
    domain: "acme.eu.auth0.com",
    token,
    fetch,
    retry: { maxRetries: 0 },
    pacer: false,
  });

  return {
    client,
    token,
    requests,
    hooks,
    actions,
    bindings,
    /** Requests that change the tenant. */
    writes: () => requests.filter((r) => r.method !== "GET"),
    /** An Action of someone else (no idlink marker), deployed and bound. */
    addForeign(name: string, options: { bind?: boolean } = {}): FakeAction {
      const action: FakeAction = {
        id: nextId("act"),
        name,
        trigger: "post-login",
        code: "exports.onExecutePostLogin = async () => {};",
        runtime: "node22",
        secrets: [],
        status: "built",
        readsLeft: 0,
        versions: [],
        deployedId: undefined,
        clean: true,
      };
      const version: FakeVersion = {
        id: nextId("ver"),
        number: 1,
        code: action.code,
        runtime: "node22",
        secrets: [],
        status: "built",
        readsLeft: 0,
      };
      action.versions.push(version);
      action.deployedId = version.id;
      actions.set(action.id, action);
      if (options.bind !== false)
        bindings.get("post-login")?.push({ id: nextId("bind"), actionId: action.id, display_name: name });
      return action;
    },
    /** The post-login order as display names. */
    order: () => (bindings.get("post-login") ?? []).map((b) => b.display_name),
  };
}

export const noSleep = async () => {};
export const fast = { wait: { sleep: noSleep, pollMs: 1, maxPollMs: 1, timeoutMs: 50 } };
