// The Actions operations of the emulator (src/routes/actions.ts), through their handlers on a router of their own
// (the server registers them beside the others): Auth0's status codes and wording, the build's asynchronous states,
// the binding rules, what the logins run — and core's deploy steps against them. Every answer is checked against the
// fragment (openapi/management-api.yaml).

import { createManagementClient } from "@idlink/core";
import {
  executeActionDeploy,
  executeActionRemove,
  parseActionDeployInput,
  planActionDeploy,
  planActionRemove,
  readActionStatus,
} from "@idlink/core/actions";
import { assertContract } from "@idlink/test-kit";
import { beforeEach, describe, expect, test } from "vitest";
import type { PostLoginAction } from "../src/actions/types.ts";
import { createSigningKeys } from "../src/keys.ts";
import { type RequestContext, Router, splitPath } from "../src/router.ts";
import { actionsErrorReply, registerActionsRoutes } from "../src/routes/actions.ts";
import { signToken, type TokenContext } from "../src/tokens.ts";

const origin = "http://127.0.0.1:4999";
const tokens: TokenContext = {
  keys: await createSigningKeys(),
  issuer: `${origin}/`,
  managementAudience: `${origin}/api/v2/`,
  ttlSeconds: 3600,
};
const mint = (scope: string) =>
  signToken(tokens, { sub: "m2m@clients", aud: tokens.managementAudience, claims: { scope } });
const all = await mint("read:actions create:actions update:actions delete:actions");

let clock = 1_800_000_000_000;
let bound: PostLoginAction[] = [];
let router: Router;
let api: ReturnType<typeof registerActionsRoutes>;

function setUp(options: { buildDelayMs?: number; failBuild?: (code: string) => string | undefined } = {}) {
  router = new Router();
  bound = [];
  api = registerActionsRoutes(router, {
    tokens,
    postLogin: {
      set: (actions) => {
        bound = actions;
      },
    },
    now: () => clock,
    buildDelayMs: options.buildDelayMs ?? 0,
    ...(options.failBuild ? { failBuild: options.failBuild } : {}),
  });
}
beforeEach(() => setUp());

/** One request through the routes, answered as the server answers it, checked against the fragment. */
async function call(method: string, path: string, options: { token?: string | null; body?: unknown } = {}) {
  const [rawPath = "", rawQuery = ""] = path.split("?");
  const segments = splitPath(rawPath) ?? [];
  const route = router.match(method, segments);
  if (!route) throw new Error(`no route for ${method} ${rawPath}`);
  const token = options.token === undefined ? all : options.token;
  const ctx = {
    method,
    rawPath,
    segments,
    query: new URLSearchParams(rawQuery),
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    body: options.body === undefined ? "" : JSON.stringify(options.body),
    ip: "127.0.0.1",
  } as RequestContext;
  const reply = await route.handler(ctx, route.params).catch(actionsErrorReply);
  if (reply.status !== 204) assertContract(method, `${origin}${path}`, reply.status, reply.body);
  // biome-ignore lint/suspicious/noExplicitAny: answers read field by field
  return { status: reply.status, body: reply.body as any };
}

/** A fetch that answers from the routes: core's client runs against them as against a tenant. */
const routesFetch = async (request: Request): Promise<Response> => {
  const url = new URL(request.url);
  const text = await request.text();
  const token = request.headers.get("authorization")?.replace(/^Bearer /, "") ?? null;
  const reply = await call(request.method, `${url.pathname}${url.search}`, {
    token,
    ...(text ? { body: JSON.parse(text) } : {}),
  });
  return new Response(reply.status === 204 ? null : JSON.stringify(reply.body), {
    status: reply.status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
};

const code = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('v', 1); };";
const createBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  supported_triggers: [{ id: "post-login", version: "v3" }],
  code,
  runtime: "node22",
  secrets: [{ name: "API_KEY", value: "secret-value-1" }],
  ...extra,
});

async function deployed(name: string) {
  const created = await call("POST", "/api/v2/actions/actions", { body: createBody(name) });
  clock += 10_000;
  const version = await call("POST", `/api/v2/actions/actions/${created.body.id}/deploy`);
  expect(version.status).toBe(200);
  return created.body.id as string;
}

describe("scopes and authentication", () => {
  test("no token 401, a token without the operation's scope 403 in Auth0's words", async () => {
    expect((await call("GET", "/api/v2/actions/actions", { token: null })).body.message).toBe(
      "Missing authentication",
    );
    const reader = await mint("read:actions");
    const refused = await call("POST", "/api/v2/actions/actions", { token: reader, body: createBody("a") });
    expect(refused).toEqual({
      status: 403,
      body: {
        statusCode: 403,
        error: "Forbidden",
        message: "Insufficient scope, expected any of: create:actions",
        errorCode: "insufficient_scope",
      },
    });
    expect((await call("DELETE", "/api/v2/actions/actions/x", { token: reader })).body.message).toBe(
      "Insufficient scope, expected any of: delete:actions",
    );
  });

  test("the bindings take read:triggers / update:triggers as well", async () => {
    const triggersOnly = await mint("read:triggers update:triggers");
    expect(
      (await call("GET", "/api/v2/actions/triggers/post-login/bindings", { token: triggersOnly })).status,
    ).toBe(200);
    expect(
      (
        await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
          token: triggersOnly,
          body: { bindings: [] },
        })
      ).status,
    ).toBe(200);
    const neither = await mint("read:users");
    expect(
      (await call("GET", "/api/v2/actions/triggers/post-login/bindings", { token: neither })).body.message,
    ).toBe("Insufficient scope, expected any of: read:actions,read:triggers");
  });
});

describe("Actions and their build", () => {
  test("created pending; then building, then built over the build's time (recorded states)", async () => {
    setUp({ buildDelayMs: 1000 });
    const created = await call("POST", "/api/v2/actions/actions", { body: createBody("a") });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: "a",
      status: "pending",
      all_changes_deployed: false,
      runtime: "node22",
    });
    expect(created.body.secrets).toEqual([{ name: "API_KEY", updated_at: expect.any(String) }]);
    const read = () => call("GET", `/api/v2/actions/actions/${created.body.id}`);
    expect((await read()).body.status).toBe("pending");
    clock += 600;
    expect((await read()).body.status).toBe("building");
    const early = await call("POST", `/api/v2/actions/actions/${created.body.id}/deploy`);
    expect(early).toMatchObject({
      status: 400,
      body: { message: "A draft must be in the 'built' state before it can be deployed." },
    });
    clock += 500;
    expect((await read()).body.status).toBe("built");
  });

  test("code that does not compile, or a build told to fail, ends failed; a failed draft cannot be deployed", async () => {
    setUp({ failBuild: (c) => (c.includes("left-pad") ? "Cannot find module 'left-pad'" : undefined) });
    const broken = await call("POST", "/api/v2/actions/actions", {
      body: createBody("broken", { code: "exports.x = (" }),
    });
    clock += 1;
    expect((await call("GET", `/api/v2/actions/actions/${broken.body.id}`)).body.status).toBe("failed");
    const dep = await call("POST", "/api/v2/actions/actions", {
      body: createBody("dep", { code: "require('left-pad');" }),
    });
    clock += 1;
    expect((await call("GET", `/api/v2/actions/actions/${dep.body.id}`)).body.status).toBe("failed");
    expect((await call("POST", `/api/v2/actions/actions/${dep.body.id}/deploy`)).status).toBe(400);
  });

  test("deploy answers 200 with the version, deployed: false; the Action then runs it; versions newest first", async () => {
    const created = await call("POST", "/api/v2/actions/actions", { body: createBody("a") });
    clock += 1;
    const version = await call("POST", `/api/v2/actions/actions/${created.body.id}/deploy`);
    expect(version).toMatchObject({ status: 200, body: { number: 1, status: "built", deployed: false } });
    const action = (await call("GET", `/api/v2/actions/actions/${created.body.id}`)).body;
    expect(action.deployed_version).toMatchObject({ id: version.body.id, deployed: true, number: 1 });
    expect(action.all_changes_deployed).toBe(true);
    await call("PATCH", `/api/v2/actions/actions/${created.body.id}`, { body: { code: `${code}\n// 2` } });
    clock += 1;
    expect((await call("GET", `/api/v2/actions/actions/${created.body.id}`)).body.all_changes_deployed).toBe(
      false,
    );
    await call("POST", `/api/v2/actions/actions/${created.body.id}/deploy`);
    const versions = await call("GET", `/api/v2/actions/actions/${created.body.id}/versions`);
    expect(
      versions.body.versions.map((v: { number: number; deployed: boolean }) => [v.number, v.deployed]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);
  });

  test("PATCH replaces the secrets; one sent without a value keeps its value; no value is ever answered", async () => {
    const id = await deployed("a");
    const patched = await call("PATCH", `/api/v2/actions/actions/${id}`, {
      body: { secrets: [{ name: "API_KEY" }, { name: "OTHER", value: "secret-value-2" }] },
    });
    expect(patched.body.status).toBe("pending");
    expect(JSON.stringify(patched.body)).not.toContain("secret-value");
    clock += 1;
    await call("POST", `/api/v2/actions/actions/${id}/deploy`);
    await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
      body: { bindings: [{ ref: { type: "action_id", value: id } }] },
    });
    expect(bound[0]?.secrets).toEqual({ API_KEY: "secret-value-1", OTHER: "secret-value-2" });
  });

  test("bad bodies are refused by the payload validator; a missing Action is 404 in the definition's words", async () => {
    expect((await call("POST", "/api/v2/actions/actions", { body: { name: "a" } })).body.message).toBe(
      "Payload validation error: 'Missing required property: supported_triggers'.",
    );
    expect(
      (
        await call("POST", "/api/v2/actions/actions", {
          body: createBody("a", { secrets: [{ name: "K", value: "x".repeat(4097) }] }),
        })
      ).body.message,
    ).toBe(
      "Payload validation error: 'String is too long (4097 chars), maximum 4096' on property secrets[0].value.",
    );
    expect((await call("GET", "/api/v2/actions/actions/nope")).body.message).toBe(
      "The action does not exist.",
    );
    expect((await call("PATCH", "/api/v2/actions/actions/nope", { body: {} })).body.message).toBe(
      "Action not found and cannot be updated.",
    );
    expect((await call("GET", "/api/v2/actions/triggers/nope/bindings")).status).toBe(400);
  });
});

describe("bindings", () => {
  test("replaced whole, in the order sent, each with a new id; paged with total on the first page only", async () => {
    const a = await deployed("a");
    const b = await deployed("b");
    const first = await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
      body: {
        bindings: [
          { ref: { type: "action_id", value: a } },
          { ref: { type: "action_name", value: "b" }, display_name: "B!" },
        ],
      },
    });
    expect(first.body.bindings.map((x: { display_name: string }) => x.display_name)).toEqual(["a", "B!"]);
    const again = await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
      body: {
        bindings: [
          { ref: { type: "action_id", value: a } },
          { ref: { type: "action_id", value: b }, display_name: "B!" },
        ],
      },
    });
    expect(again.body.bindings[0].id).not.toBe(first.body.bindings[0].id);
    const page0 = await call("GET", "/api/v2/actions/triggers/post-login/bindings?page=0&per_page=1");
    expect(page0.body).toMatchObject({ total: 2, per_page: 1 });
    expect(page0.body.page).toBeUndefined();
    const page1 = await call("GET", "/api/v2/actions/triggers/post-login/bindings?page=1&per_page=1");
    expect(page1.body).toMatchObject({ page: 1, per_page: 1 });
    expect(page1.body.total).toBeUndefined();
    expect(page1.body.bindings[0].action).toMatchObject({ id: b, name: "b" });
  });

  test("an Action never deployed, or an entry of another shape, is refused in Auth0's recorded words", async () => {
    const created = await call("POST", "/api/v2/actions/actions", { body: createBody("draft") });
    const undeployed = await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
      body: { bindings: [{ ref: { type: "action_id", value: created.body.id } }] },
    });
    expect(undeployed.body.message).toBe(
      "Trying to create a binding for an action that has not been deployed yet",
    );
    const shape = await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
      body: { bindings: [{ id_type: "action_id", id_value: created.body.id }] },
    });
    expect(shape.body).toEqual({
      statusCode: 400,
      error: "Bad Request",
      message:
        "Payload validation error: 'Data does not match any schemas from 'oneOf'' on property bindings[0].",
      errorCode: "invalid_body",
    });
  });

  test("a bound Action cannot be deleted (409, recorded); unbound it is (204); force detaches it", async () => {
    const a = await deployed("a");
    const b = await deployed("b");
    await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
      body: {
        bindings: [{ ref: { type: "action_id", value: a } }, { ref: { type: "action_id", value: b } }],
      },
    });
    expect(await call("DELETE", `/api/v2/actions/actions/${a}`)).toMatchObject({
      status: 409,
      body: { message: "Unable to delete an action bound to a trigger." },
    });
    expect((await call("DELETE", `/api/v2/actions/actions/${a}?force=true`)).status).toBe(204);
    expect(bound.map((x) => x.name)).toEqual(["b"]);
    expect((await call("DELETE", `/api/v2/actions/actions/${a}`)).body.message).toBe(
      "The action version does not exist.",
    );
  });
});

describe("what the logins run", () => {
  test("the post-login Actions bound through the API, in order, with their deployed code; a new deploy takes over", async () => {
    const a = await deployed("a");
    const b = await deployed("b");
    await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
      body: {
        bindings: [
          { ref: { type: "action_id", value: b } },
          { ref: { type: "action_id", value: a }, display_name: "A" },
        ],
      },
    });
    expect(bound.map((x) => x.name)).toEqual(["b", "A"]);
    await call("PATCH", `/api/v2/actions/actions/${a}`, {
      body: { code: "exports.onExecutePostLogin = async () => { /* 2 */ };" },
    });
    expect(bound[1]?.code).toBe(code);
    clock += 1;
    await call("POST", `/api/v2/actions/actions/${a}/deploy`);
    expect(bound[1]?.code).toContain("/* 2 */");
    await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", { body: { bindings: [] } });
    expect(bound).toEqual([]);
    api.reset();
    expect((await call("GET", "/api/v2/actions/actions")).body.actions).toEqual([]);
  });
});

describe("core's deploy steps against the emulator's routes", () => {
  const secrets = {
    MANAGEMENT_API_DOMAIN: "127.0.0.1:4999",
    MANAGEMENT_API_CLIENT_ID: "client",
    MANAGEMENT_API_CLIENT_SECRET: "emulator-client-secret-0123456789",
    SESSION_TOKEN_SECRET: "0123456789abcdef0123456789abcdef",
    LINK_PAGE_URL: "http://127.0.0.1:5173/link",
  };
  const client = () =>
    createManagementClient({
      domain: origin,
      token: all,
      fetch: routesFetch,
      pacer: false,
      retry: { maxRetries: 0 },
    });
  const fast = {
    wait: {
      sleep: async (ms: number) => {
        clock += ms;
      },
      pollMs: 1000,
      timeoutMs: 10_000,
    },
  };

  test("deploy binds idlink's Action after the others; the logins run it; deploying again changes nothing; remove", async () => {
    setUp({ buildDelayMs: 1500 });
    const other = await deployed("Add roles");
    await call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
      body: { bindings: [{ ref: { type: "action_id", value: other } }] },
    });
    const parsed = parseActionDeployInput({ code, secrets });
    if (!parsed.ok) throw new Error("invalid");
    const plan = await planActionDeploy(client(), parsed.value);
    expect(plan.change).toBe("create");
    const outcome = await executeActionDeploy(client(), plan, parsed.value, fast);
    expect(outcome.bindings.after.map((b) => b.display_name)).toEqual([
      "Add roles",
      "idlink-account-linking",
    ]);
    expect(bound.map((x) => x.name)).toEqual(["Add roles", "idlink-account-linking"]);
    expect(bound[1]?.secrets).toEqual(secrets);
    expect(bound[1]?.code.startsWith("// idlink-action sha256:")).toBe(true);

    const again = await planActionDeploy(client(), parsed.value);
    expect(again.change).toBe("unchanged");
    const status = await readActionStatus(client(), { code });
    expect(status).toMatchObject({ position: 2, deployed: { number: 1, current: true } });

    const removal = await planActionRemove(client());
    await executeActionRemove(client(), removal);
    expect(bound.map((x) => x.name)).toEqual(["Add roles"]);
  });

  test("another Action of idlink's name is refused and left alone", async () => {
    await deployed("idlink-account-linking");
    const parsed = parseActionDeployInput({ code, secrets });
    if (!parsed.ok) throw new Error("invalid");
    await expect(planActionDeploy(client(), parsed.value)).rejects.toThrow(/is not idlink's/);
  });
});
