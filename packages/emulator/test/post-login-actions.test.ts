import { createHmac } from "node:crypto";
import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  actionTimeoutDescription,
  adminClient,
  createEmulator,
  defaultSeed,
  type Emulator,
  emulatorTenantName,
  type PostLoginAction,
  readContinueState,
} from "../src/index.ts";
import { lostTransactionDescription } from "../src/routes/universal-login.ts";
import { adminToken, alice, aliceGoogle, bob, call, enc, identitiesPath, useEmulator } from "./helpers.ts";
import {
  authorizeUrl,
  callback,
  exchange,
  fieldsOf,
  get,
  locationOf,
  pkce,
  type SignIn,
  signIn,
  spa,
} from "./login-flow.ts";

const emulator = useEmulator();
const use = (...actions: PostLoginAction[]) => {
  const em = emulator();
  em.setPostLoginActions(actions);
  return em;
};

// Secrets of these tests: long enough for the cross-suite secret scan, which looks for them in every output.
const redirectSecret = "emulator-only-redirect-secret-4f9c2a7e1b";
const greetingSecret = "emulator-only-greeting-secret-8d3b6c0f5a";
recordSecrets(redirectSecret, greetingSecret);

const linkingPage = "http://127.0.0.1:5173/link-accounts";

/** An HS256 JWT, as a redirect Action's page makes the token it sends back to /continue. */
function hs256(claims: Record<string, unknown>, secret: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

const now = () => Math.floor(Date.now() / 1000);

/** The page's answer to /continue: a token carrying the state, signed with the shared secret. */
function continueToken(
  state: string,
  sub: string,
  extra: Record<string, unknown> = {},
  secret = redirectSecret,
) {
  return hs256({ iss: "http://127.0.0.1:5173", sub, iat: now(), exp: now() + 60, state, ...extra }, secret);
}

function continueGet(em: Emulator, query: Record<string, string>) {
  return get(`${em.url}/continue?${new URLSearchParams(query)}`);
}

function continuePost(em: Emulator, state: string, form: Record<string, string>, stateIn: "query" | "body") {
  const body = new URLSearchParams(stateIn === "body" ? { state, ...form } : form).toString();
  const url =
    stateIn === "query" ? `${em.url}/continue?state=${encodeURIComponent(state)}` : `${em.url}/continue`;
  return fetch(url, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body,
  });
}

/** Signs in and expects the app's callback with an error (and no code). */
async function signInFails(em: Emulator, userId: string, params: Record<string, string> = {}) {
  const { next } = await signIn(em, userId, params);
  expect(next.origin + next.pathname).toBe(callback);
  expect(next.searchParams.has("code")).toBe(false);
  recordOutput("post-login actions: callback", next.toString());
  return fieldsOf(next);
}

const redirectingAction = (onContinue: string): PostLoginAction => ({
  name: "redirect",
  secrets: { REDIRECT_SECRET: redirectSecret },
  code: `
exports.onExecutePostLogin = async (event, api) => {
  const token = api.redirect.encodeToken({
    secret: event.secrets.REDIRECT_SECRET,
    payload: { email: event.user.email, continue_uri: "http://" + event.request.hostname + "/continue" },
  });
  api.redirect.sendUserTo(${JSON.stringify(linkingPage)}, { query: { session_token: token, lang: "en" } });
};
exports.onContinuePostLogin = async (event, api) => {
${onContinue}
};
`,
});

describe("running Actions", () => {
  test("an Action adds claims to the tokens; the event is Auth0's and the runtime gives what Auth0's does", async () => {
    const em = use({
      name: "claims",
      secrets: { GREETING: greetingSecret },
      code: `
const fs = require("node:fs");
exports.onExecutePostLogin = async (event, api) => {
  let ownModule = "loaded";
  try { require("../src/server.ts"); } catch (error) { ownModule = error.message; }
  let npm = "loaded";
  try { require("axios"); } catch (error) { npm = error.code; }
  const seen = {
    user: {
      user_id: event.user.user_id, email: event.user.email, email_verified: event.user.email_verified,
      name: event.user.name, created_at: event.user.created_at, logins_count: event.user.logins_count,
      identities: event.user.identities.map((i) => [i.provider, i.connection, Object.keys(i).includes("access_token")]),
      app_metadata: event.user.app_metadata, user_metadata: event.user.user_metadata,
      isObject: event.user instanceof Object,
    },
    connection: event.connection, client: event.client, tenant: event.tenant, stats: event.stats,
    transaction: event.transaction,
    request: { ip: event.request.ip, hostname: event.request.hostname, method: event.request.method,
      client_id: event.request.query.client_id, body: event.request.body, user_agent: event.request.user_agent,
      language: event.request.language },
    methods: event.authentication.methods.map((m) => m.name),
    organization: event.organization === undefined,
    secrets: Object.keys(event.secrets),
    greeting: event.secrets.GREETING === ${JSON.stringify(greetingSecret)},
    runtime: [typeof fetch, typeof URL, typeof URLSearchParams, typeof TextEncoder, typeof TextDecoder, typeof Buffer,
      typeof setTimeout, typeof clearTimeout, typeof crypto.subtle, typeof structuredClone, typeof atob, typeof btoa,
      typeof fs.readFileSync],
    env: Object.keys(process.env).length + Object.keys(require("process").env).length,
    exportsAlias: module.exports === exports,
    ownModule, npm,
  };
  api.idToken.setCustomClaim("https://idlink.example/seen", seen);
  api.idToken.setCustomClaim("favorite_color", "blue");
  api.accessToken.setCustomClaim("https://idlink.example/plan", "gold");
  api.accessToken.setCustomClaim("plan", "private");
  api.idToken.setCustomClaim("sub", "someone-else");
  api.idToken.setCustomClaim("https://auth0.com/claim", "reserved");
};`,
    });
    const { next, verifier } = await signIn(em, alice, {}, undefined);
    expect(fieldsOf(next)).toMatchObject({ state: "app-state-1", code: expect.any(String) });
    const tokens = await exchange(em, next, verifier);
    const id = decodeJwt(tokens.id_token);
    expect(id.sub).toBe(alice);
    expect(id.favorite_color).toBe("blue");
    expect(id["https://auth0.com/claim"]).toBeUndefined();
    const seen = id["https://idlink.example/seen"] as Record<string, unknown>;
    expect(seen).toEqual({
      user: {
        user_id: alice,
        email: "alice.martin@example.com",
        email_verified: true,
        name: "Alice Martin",
        created_at: "2024-03-02T09:14:21.503Z",
        logins_count: (em.state.getUser(alice)?.logins_count as number) + 1,
        identities: [["auth0", "Username-Password-Authentication", false]],
        app_metadata: em.state.getUser(alice)?.app_metadata ?? {},
        user_metadata: em.state.getUser(alice)?.user_metadata ?? {},
        isObject: true,
      },
      connection: { id: "con_Kq3vX8mT2pL9wR4z", name: "Username-Password-Authentication", strategy: "auth0" },
      client: { client_id: spa, name: "idlink web demo (SPA)", metadata: {} },
      tenant: { id: emulatorTenantName },
      stats: { logins_count: (em.state.getUser(alice)?.logins_count as number) + 1 },
      transaction: {
        id: expect.any(String),
        locale: "en",
        protocol: "oidc-basic-profile",
        redirect_uri: callback,
        requested_scopes: ["openid", "profile", "email", "offline_access", "read:current_user"],
        response_mode: "query",
        response_type: ["code"],
        state: "app-state-1",
        ui_locales: [],
        acr_values: [],
        metadata: {},
      },
      request: {
        ip: "127.0.0.1",
        hostname: new URL(em.url).host,
        method: "GET",
        client_id: spa,
        body: {},
        user_agent: expect.any(String),
        language: expect.any(String),
      },
      methods: ["pwd"],
      organization: true,
      secrets: ["GREETING"],
      greeting: true,
      runtime: [
        "function",
        "function",
        "function",
        "function",
        "function",
        "function",
        "function",
        "function",
        "object",
        "function",
        "function",
        "function",
        "function",
      ],
      env: 0,
      exportsAlias: true,
      ownModule: "Cannot find module '../src/server.ts'",
      npm: "MODULE_NOT_FOUND",
    });
    const access = decodeJwt(tokens.access_token);
    expect(access["https://idlink.example/plan"]).toBe("gold");
    // A non-namespaced claim does not go in an access token for an Auth0 API (the Management API).
    expect(access.plan).toBeUndefined();
    expect(em.state.actionLog.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"plan" is not namespaced'),
        expect.stringContaining('"sub" is a claim Auth0 restricts'),
        expect.stringContaining('"https://auth0.com/claim" uses an Auth0 domain'),
      ]),
    );

    // A refresh keeps the claims of the login.
    const refreshed = await fetch(`${em.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: spa,
        refresh_token: tokens.refresh_token ?? "",
      }).toString(),
    });
    const again = (await refreshed.json()) as { id_token: string; access_token: string };
    expect(decodeJwt(again.id_token).favorite_color).toBe("blue");
    expect(decodeJwt(again.access_token)["https://idlink.example/plan"]).toBe("gold");
  });

  test("Actions run in order, each in its own context; a live session runs them again", async () => {
    const em = use(
      {
        name: "first",
        code: `globalThis.leak = "first";
exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata("plan", "gold");
  api.transaction.setMetadata("order", "first");
  api.cache.set("visits", String(Number((api.cache.get("visits") || { value: "0" }).value) + 1));
};`,
      },
      {
        name: "second",
        code: `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://idlink.example/second", {
    leak: typeof leak, plan: event.user.app_metadata.plan, order: event.transaction.metadata.order,
    visits: api.cache.get("visits").value,
  });
};`,
      },
    );
    const first = await signIn(em, alice);
    const claim = decodeJwt((await exchange(em, first.next, first.verifier)).id_token)[
      "https://idlink.example/second"
    ];
    expect(claim).toEqual({ leak: "undefined", plan: "gold", order: "first", visits: "1" });
    // The same browser: /authorize answers from the session, and the Actions run again.
    const { verifier, challenge } = pkce();
    const sso = await locationOf(await get(authorizeUrl(em, challenge), first.cookie), em.url);
    const second = decodeJwt((await exchange(em, sso, verifier)).id_token)["https://idlink.example/second"];
    expect(second).toMatchObject({ plan: "gold", visits: "2" });
  });

  test("api.access.deny: the app's callback gets access_denied and the reason; metadata set before stays", async () => {
    const em = use({
      name: "deny",
      code: `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata("denied_at", "login");
  api.access.deny("Members only: " + event.user.email);
};`,
    });
    expect(await signInFails(em, alice)).toEqual({
      error: "access_denied",
      error_description: "Members only: alice.martin@example.com",
      state: "app-state-1",
    });
    expect(em.state.getUser(alice)?.app_metadata).toMatchObject({ denied_at: "login" });
  });

  test("an Action that throws fails the login with its message (access_denied); its metadata is not kept", async () => {
    const em = use({
      name: "throws",
      code: `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata("never", true);
  const favorite = event.user.user_metadata.missing.color;
};`,
    });
    const fields = await signInFails(em, alice);
    expect(fields).toMatchObject({ error: "access_denied", state: "app-state-1" });
    expect(fields.error_description).toMatch(/Cannot read properties of undefined \(reading 'color'\)/);
    expect(em.state.getUser(alice)?.app_metadata?.never).toBeUndefined();
    expect(em.state.actionLog.at(-1)).toMatchObject({ action: "throws", level: "emulator" });
  });

  test("a code that does not compile is refused when bound", () => {
    const em = emulator();
    expect(() =>
      em.setPostLoginActions([{ name: "broken", code: "exports.onExecutePostLogin = async (" }]),
    ).toThrow(/Action "broken" does not compile/);
    expect(() =>
      em.setPostLoginActions([{ name: "big", code: "", secrets: { KEY: "x".repeat(4097) } }]),
    ).toThrow("the secret KEY is longer than 4096 characters");
  });

  test("with Actions bound, the login page's form may end on a redirect Action's page (CSP form-action)", async () => {
    const em = use(redirectingAction(""));
    const loginUrl = await locationOf(await get(authorizeUrl(em, pkce().challenge)), em.url);
    const page = await get(loginUrl.toString());
    expect(page.headers.get("content-security-policy")).toContain(
      "form-action 'self' http://127.0.0.1:5173 https: http:;",
    );
  });

  test("prompt=none with a redirecting Action answers interaction_required", async () => {
    const em = use(redirectingAction(""));
    const { next, cookie } = await signIn(em, alice);
    expect(next.origin + next.pathname).toBe(linkingPage);
    const { challenge } = pkce();
    const silent = await locationOf(
      await get(authorizeUrl(em, challenge, { prompt: "none" }), cookie),
      em.url,
    );
    expect(fieldsOf(silent)).toEqual({
      error: "interaction_required",
      error_description: "Interaction required",
      state: "app-state-1",
    });
  });
});

describe("the time limit", () => {
  let em: Emulator;
  beforeAll(async () => {
    em = await createEmulator({ rateLimit: false, actionTimeoutMs: 400 });
  });
  afterAll(async () => {
    await em.stop();
  });

  test.each([
    ["a loop that never yields", "while (true) {}"],
    ["a loop after an await", "await null; for (;;) {}"],
    ["a promise that never settles", "await new Promise(() => {});"],
  ])("%s fails the login as Auth0 does, and the emulator keeps answering", async (_name, body) => {
    em.state.reset();
    em.setPostLoginActions([
      { name: "slow", code: `exports.onExecutePostLogin = async (event, api) => { ${body} };` },
    ]);
    const started = Date.now();
    const fields = await signInFails(em, alice);
    expect(fields).toEqual({
      error: "access_denied",
      error_description: actionTimeoutDescription,
      state: "app-state-1",
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await fetch(`${em.url}/.well-known/jwks.json`)).status).toBe(200);
  });
});

describe("redirect and /continue", () => {
  const validating = `
  const payload = api.redirect.validateToken({ secret: event.secrets.REDIRECT_SECRET, tokenParameterName: "my_token" });
  api.idToken.setCustomClaim("https://idlink.example/color", payload.favorite_color);
  api.idToken.setCustomClaim("https://idlink.example/method", event.request.method);
  api.authentication.recordMethod("https://idlink.example/custom-mfa");`;

  async function redirected(em: Emulator): Promise<SignIn & { state: string; sessionToken: string }> {
    const login = await signIn(em, alice);
    expect(login.next.origin + login.next.pathname).toBe(linkingPage);
    const state = login.next.searchParams.get("state") ?? "";
    const sessionToken = login.next.searchParams.get("session_token") ?? "";
    return { ...login, state, sessionToken };
  }

  test("sendUserTo suspends the login: the page gets its query, a session token and Auth0's kind of state", async () => {
    const em = use(redirectingAction(validating));
    const { next, state, sessionToken } = await redirected(em);
    expect([...next.searchParams.keys()]).toEqual(["session_token", "lang", "state"]);
    expect(readContinueState(state)).toEqual({
      h: expect.stringMatching(/^[\w-]{32}$/),
      n: "redirect",
      tid: expect.any(String),
      cid: spa,
    });
    const [header, payload, signature] = sessionToken.split(".");
    expect(JSON.parse(Buffer.from(header ?? "", "base64url").toString())).toEqual({
      alg: "HS256",
      typ: "JWT",
    });
    const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString());
    expect(claims).toEqual({
      email: "alice.martin@example.com",
      continue_uri: `http://${new URL(em.url).host}/continue`,
      iat: expect.any(Number),
      iss: new URL(em.url).host,
      sub: alice,
      exp: claims.iat + 900,
      ip: "127.0.0.1",
    });
    expect(createHmac("sha256", redirectSecret).update(`${header}.${payload}`).digest("base64url")).toBe(
      signature,
    );
  });

  test("GET /continue resumes onContinuePostLogin; validateToken answers the page's token; the code follows", async () => {
    const em = use(redirectingAction(validating));
    const { state, verifier, cookie } = await redirected(em);
    const back = await locationOf(
      await continueGet(em, { state, my_token: continueToken(state, alice, { favorite_color: "green" }) }),
      em.url,
    );
    expect(back.origin + back.pathname).toBe(callback);
    expect(back.searchParams.get("state")).toBe("app-state-1");
    const id = decodeJwt((await exchange(em, back, verifier)).id_token);
    expect(id).toMatchObject({
      sub: alice,
      "https://idlink.example/color": "green",
      "https://idlink.example/method": "GET",
    });

    // The method recorded in onContinuePostLogin is in the session: the next login's event shows it.
    em.setPostLoginActions([
      {
        name: "methods",
        code: `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://idlink.example/methods", event.authentication.methods.map((m) => m.name));
};`,
      },
    ]);
    const { verifier: v2, challenge } = pkce();
    const sso = await locationOf(await get(authorizeUrl(em, challenge), cookie), em.url);
    expect(decodeJwt((await exchange(em, sso, v2)).id_token)["https://idlink.example/methods"]).toEqual([
      "pwd",
      "https://idlink.example/custom-mfa",
    ]);
  });

  test.each(["query", "body"] as const)(
    "POST /continue (form, state in the %s) resumes with the token of the form",
    async (stateIn) => {
      const em = use(redirectingAction(validating));
      const { state, verifier } = await redirected(em);
      const answer = await continuePost(
        em,
        state,
        { my_token: continueToken(state, alice, { favorite_color: "red" }) },
        stateIn,
      );
      const id = decodeJwt((await exchange(em, await locationOf(answer, em.url), verifier)).id_token);
      expect(id).toMatchObject({
        "https://idlink.example/color": "red",
        "https://idlink.example/method": "POST",
      });
    },
  );

  test("a state continues once: a replay, an unknown state and no state get Auth0's invalid_request page", async () => {
    const em = use(redirectingAction(validating));
    const { state } = await redirected(em);
    const token = continueToken(state, alice, { favorite_color: "green" });
    expect((await continueGet(em, { state, my_token: token })).status).toBe(302);
    for (const answer of [
      await continueGet(em, { state, my_token: token }),
      await continuePost(em, state, { my_token: token }, "body"),
      await continueGet(em, { state: "hKFo2SBaWnhWQnhW", my_token: token }),
      await continueGet(em, {}),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.headers.get("location")).toBeNull();
      const page = await answer.text();
      expect(page).toContain("<code>invalid_request</code>");
      expect(page).toContain(lostTransactionDescription.replaceAll("'", "&#39;"));
    }
  });

  test.each([
    [
      "a tampered token",
      "invalid signature",
      (state: string) => `${continueToken(state, alice).slice(0, -4)}AAAA`,
    ],
    [
      "a token signed with another secret",
      "invalid signature",
      (state: string) => continueToken(state, alice, {}, "emulator-only-another-secret"),
    ],
    ["an expired token", "jwt expired", (state: string) => continueToken(state, alice, { exp: now() - 5 })],
    [
      "a token for another state",
      "State in the token does not match the /continue state.",
      () => continueToken("hKFo2SBaWnhWQnhWVm5faHAwNEh5dnBV", alice),
    ],
    [
      "a token for another user",
      "Missing or invalid standard claims",
      (state: string) => continueToken(state, bob),
    ],
    [
      "a token without iat",
      "Missing or invalid standard claims",
      (state: string) => continueToken(state, alice, { iat: undefined }),
    ],
    [
      "an HS512 token",
      "invalid algorithm",
      (state: string) => {
        const [, payload, signature] = continueToken(state, alice).split(".");
        return `${Buffer.from(JSON.stringify({ alg: "HS512", typ: "JWT" })).toString("base64url")}.${payload}.${signature}`;
      },
    ],
    ["no token", 'no "my_token" parameter was sent to /continue', () => ""],
  ])("validateToken throws for %s, and the Action decides (here: deny)", async (_name, why, make) => {
    const em = use(
      redirectingAction(`
  try {
    api.redirect.validateToken({ secret: event.secrets.REDIRECT_SECRET, tokenParameterName: "my_token" });
  } catch (error) {
    api.access.deny((error instanceof Error ? "Error: " : "not an Error: ") + error.message);
  }`),
    );
    const { state } = await redirected(em);
    const token = make(state);
    const back = await locationOf(
      await continueGet(em, { state, ...(token ? { my_token: token } : {}) }),
      em.url,
    );
    expect(fieldsOf(back)).toEqual({
      error: "access_denied",
      error_description: `Error: The session token is invalid: ${why}`,
      state: "app-state-1",
    });
  });

  test("the time limit applies again after the redirect", async () => {
    const em = await createEmulator({
      rateLimit: false,
      actionTimeoutMs: 3_000,
      postLoginActions: [redirectingAction("await new Promise(() => {});")],
    });
    try {
      const { next } = await signIn(em, alice);
      const state = next.searchParams.get("state") ?? "";
      const back = await locationOf(await continueGet(em, { state }), em.url);
      expect(fieldsOf(back)).toMatchObject({
        error: "access_denied",
        error_description: actionTimeoutDescription,
      });
    } finally {
      await em.stop();
    }
  });

  test("Actions after the redirecting one run after /continue, in order", async () => {
    const em = use(redirectingAction("api.user.setAppMetadata('step', 'continued');"), {
      name: "after",
      code: `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://idlink.example/step", event.user.app_metadata.step);
};`,
    });
    const { next, verifier } = await signIn(em, alice);
    const state = next.searchParams.get("state") ?? "";
    const back = await locationOf(await continueGet(em, { state }), em.url);
    expect(decodeJwt((await exchange(em, back, verifier)).id_token)["https://idlink.example/step"]).toBe(
      "continued",
    );
    expect(em.state.getUser(alice)?.app_metadata).toMatchObject({ step: "continued" });
  });
});

describe("setPrimaryUser", () => {
  async function link(em: Emulator, primary: string, secondary: string) {
    const [provider, ...rest] = secondary.split("|");
    const res = await call(em, "POST", identitiesPath(primary), {
      token: await adminToken(em),
      body: { provider, user_id: rest.join("|") },
    });
    expect(res.status).toBe(201);
  }

  test("to a user holding the login's identity as a secondary: the code is the primary's", async () => {
    const em = use({
      name: "primary",
      code: `exports.onExecutePostLogin = async (event, api) => {
  api.user.setUserMetadata("discarded", true);
  api.authentication.setPrimaryUser(${JSON.stringify(alice)});
};`,
    });
    await link(em, alice, aliceGoogle);
    const { next, verifier } = await signIn(em, aliceGoogle);
    const tokens = await exchange(em, next, verifier);
    expect(decodeJwt(tokens.id_token)).toMatchObject({ sub: alice, email: "alice.martin@example.com" });
    expect(decodeJwt(tokens.access_token).sub).toBe(alice);
    // User metadata set beside setPrimaryUser is discarded (limitations.mdx).
    expect(em.state.getUser(alice)?.user_metadata?.discarded).toBeUndefined();
  });

  test("to a user that does not hold it: the login fails and no code is issued", async () => {
    const em = use({
      name: "wrong-primary",
      code: `exports.onExecutePostLogin = async (event, api) => { api.authentication.setPrimaryUser(${JSON.stringify(bob)}); };`,
    });
    expect(await signInFails(em, aliceGoogle)).toEqual({
      error: "access_denied",
      error_description: `setPrimaryUser: the identity used to log in (${aliceGoogle}) is not a secondary identity of ${bob}`,
      state: "app-state-1",
    });
  });

  test("to the login's own user: its identity is its first, not a secondary, so the login fails", async () => {
    const em = use({
      name: "self",
      code: `exports.onExecutePostLogin = async (event, api) => { api.authentication.setPrimaryUser(event.user.user_id); };`,
    });
    expect((await signInFails(em, alice)).error).toBe("access_denied");
  });

  test("an Action that links the login's user away without setPrimaryUser fails the login", async () => {
    const em = emulator();
    em.setPostLoginActions([
      {
        name: "links-away",
        secrets: { TOKEN: await adminToken(em), DOMAIN: em.url },
        code: `exports.onExecutePostLogin = async (event, api) => {
  const [provider, ...rest] = event.user.user_id.split("|");
  const res = await fetch(event.secrets.DOMAIN + "/api/v2/users/${enc(alice)}/identities", {
    method: "POST",
    headers: { authorization: "Bearer " + event.secrets.TOKEN, "content-type": "application/json" },
    body: JSON.stringify({ provider, user_id: rest.join("|") }),
  });
  console.log("linked:", res.status);
};`,
      },
    ]);
    const fields = await signInFails(em, aliceGoogle);
    expect(fields.error).toBe("access_denied");
    expect(fields.error_description).toContain("must call api.authentication.setPrimaryUser");
    expect(em.state.actionLog.map((e) => e.message)).toContain("linked: 201");
  });
});

describe("metadata", () => {
  test("setAppMetadata and setUserMetadata are persisted when the flow completes; null removes a key", async () => {
    const em = use({
      name: "metadata",
      code: `exports.onExecutePostLogin = async (event, api) => {
  api.user.setAppMetadata("plan", "gold");
  api.user.setAppMetadata("roles", ["admin"]);
  api.user.setUserMetadata("theme", "dark");
  api.user.setUserMetadata("color", null);
  api.idToken.setCustomClaim("https://idlink.example/plan-now", event.user.app_metadata.plan || "none");
};`,
    });
    const before = em.state.getUser(bob);
    await call(em, "PATCH", `/api/v2/users/${enc(bob)}`, {
      token: await adminToken(em),
      body: { user_metadata: { color: "blue", keep: 1 } },
    });
    const { next, verifier } = await signIn(em, bob);
    // Not applied while the Action runs (post-login-api-object.mdx: "won't update the metadata immediately").
    expect(decodeJwt((await exchange(em, next, verifier)).id_token)["https://idlink.example/plan-now"]).toBe(
      before?.app_metadata?.plan ?? "none",
    );
    const after = em.state.getUser(bob);
    expect(after?.app_metadata).toMatchObject({ plan: "gold", roles: ["admin"] });
    expect(after?.user_metadata).toMatchObject({ theme: "dark", keep: 1 });
    expect(after?.user_metadata?.color).toBeUndefined();
  });
});

describe("secrets", () => {
  test("reach event.secrets and never the action log, the error an app gets, or the emulator's requests log", async () => {
    const em = use({
      name: "leaky",
      secrets: { GREETING: greetingSecret },
      code: `exports.onExecutePostLogin = async (event, api) => {
  console.log("the secret is", event.secrets.GREETING, JSON.stringify(event.secrets));
  console.error(encodeURIComponent(event.secrets.GREETING));
  require("process").stdout.write("stdout " + event.secrets.GREETING + "\\n");
  throw new Error("failed with " + event.secrets.GREETING);
};`,
    });
    const fields = await signInFails(em, alice);
    expect(fields.error_description).toBe("failed with [secret]");
    const log = JSON.stringify(em.state.actionLog);
    recordOutput("post-login actions: action log", log);
    expect(log).not.toContain(greetingSecret);
    expect(log).toContain("the secret is [secret]");
    expect(em.state.actionLog.some((entry) => entry.level === "stdout")).toBe(true);
    expect(JSON.stringify(em.state.requests)).not.toContain(greetingSecret);
  });
});

describe("an account-linking Action, as packages/link-action does it", () => {
  // onExecutePostLogin: a Management API token from the emulator itself (fetch from inside the Action while the
  // emulator waits for it), users by email, a session token, a redirect to the linking page. onContinuePostLogin:
  // the page's token, the link (Management API again), setPrimaryUser.
  const linkAction: PostLoginAction = {
    name: "link-accounts",
    secrets: {
      MANAGEMENT_API_DOMAIN: "",
      CLIENT_ID: adminClient(defaultSeed())?.clientId ?? "",
      CLIENT_SECRET: adminClient(defaultSeed())?.clientSecret ?? "",
      SESSION_TOKEN_SECRET: redirectSecret,
    },
    code: `
async function managementToken(event) {
  const res = await fetch(event.secrets.MANAGEMENT_API_DOMAIN + "/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: event.secrets.CLIENT_ID,
      client_secret: event.secrets.CLIENT_SECRET,
      audience: event.secrets.MANAGEMENT_API_DOMAIN + "/api/v2/",
    }),
  });
  if (!res.ok) throw new Error("token: " + res.status);
  return (await res.json()).access_token;
}
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.identities.length > 1) return;
  const token = await managementToken(event);
  const res = await fetch(event.secrets.MANAGEMENT_API_DOMAIN + "/api/v2/users-by-email?email=" +
    encodeURIComponent(event.user.email), { headers: { authorization: "Bearer " + token } });
  const others = (await res.json()).filter((u) => u.user_id !== event.user.user_id && u.email_verified);
  if (others.length === 0) return;
  api.redirect.sendUserTo(${JSON.stringify(linkingPage)}, {
    query: { session_token: api.redirect.encodeToken({
      secret: event.secrets.SESSION_TOKEN_SECRET, expiresInSeconds: 300,
      payload: { candidates: others.map((u) => u.user_id) },
    }) },
  });
};
exports.onContinuePostLogin = async (event, api) => {
  const payload = api.redirect.validateToken({ secret: event.secrets.SESSION_TOKEN_SECRET, tokenParameterName: "session_token" });
  if (!payload.link_with) return;
  const token = await managementToken(event);
  const [provider, ...rest] = event.user.user_id.split("|");
  const res = await fetch(event.secrets.MANAGEMENT_API_DOMAIN + "/api/v2/users/" + encodeURIComponent(payload.link_with) + "/identities", {
    method: "POST",
    headers: { authorization: "Bearer " + token, "content-type": "application/json" },
    body: JSON.stringify({ provider, user_id: rest.join("|") }),
  });
  if (res.status !== 201) throw new Error("link: " + res.status);
  api.authentication.setPrimaryUser(payload.link_with);
};`,
  };

  test("links the login's account into the chosen primary and signs in the primary", async () => {
    const em = emulator();
    em.setPostLoginActions([
      { ...linkAction, secrets: { ...linkAction.secrets, MANAGEMENT_API_DOMAIN: em.url } },
    ]);
    const { next, verifier } = await signIn(em, aliceGoogle);
    expect(next.origin + next.pathname).toBe(linkingPage);
    const state = next.searchParams.get("state") ?? "";
    const offered = decodeJwt(next.searchParams.get("session_token") ?? "");
    expect(offered).toMatchObject({ sub: aliceGoogle, candidates: [alice] });
    // The linking page: the user chose Alice; back to /continue by POST with a token carrying the state.
    const answer = await continuePost(
      em,
      state,
      { session_token: continueToken(state, aliceGoogle, { link_with: alice }) },
      "body",
    );
    const back = await locationOf(answer, em.url);
    expect(back.searchParams.get("state")).toBe("app-state-1");
    const tokens = await exchange(em, back, verifier);
    expect(decodeJwt(tokens.id_token).sub).toBe(alice);
    expect(em.state.getUser(aliceGoogle)).toBeUndefined();
    expect(em.state.getUser(alice)?.identities.map((i) => `${i.provider}|${i.user_id}`)).toContain(
      aliceGoogle,
    );
    const log = JSON.stringify(em.state.actionLog);
    recordOutput("post-login actions: link action log", log);
    expect(log).not.toContain(redirectSecret);
  });
});
