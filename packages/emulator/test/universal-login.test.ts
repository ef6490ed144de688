import { createHash, randomBytes } from "node:crypto";
import { fetchChecked } from "@idlink/test-kit";
import { decodeJwt } from "jose";
import { describe, expect, test } from "vitest";
import { defaultSeed, type Emulator, withSpaOrigins } from "../src/index.ts";
import { LoginState, s256 } from "../src/login-state.ts";
import { alice, aliceGoogle, call, enc, identitiesPath, useEmulator } from "./helpers.ts";

const emulator = useEmulator();
const spa = "idlink-spa";
const callback = "http://127.0.0.1:5173/";
const userScopes = "openid profile email offline_access read:current_user update:current_user_identities";

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(em: Emulator, challenge: string, params: Record<string, string> = {}) {
  const query = new URLSearchParams({
    client_id: spa,
    redirect_uri: callback,
    response_type: "code",
    response_mode: "query",
    scope: `${userScopes} update:users`,
    audience: em.managementAudience,
    state: "state-1",
    nonce: "nonce-1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...params,
  });
  for (const [key, value] of Object.entries(params)) if (value === "") query.delete(key);
  return `${em.url}/authorize?${query}`;
}

const get = (url: string, cookie?: string) =>
  fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });

/** The redirect an answer sends the browser to, as a URL (throws when there is none). */
function locationOf(res: Response, base: string): URL {
  const location = res.headers.get("location");
  if (res.status !== 302 || !location) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(location, base);
}

/** /authorize → the login page → picks a user: the callback URL with its code, and the session cookie. */
async function signIn(em: Emulator, userId: string, params: Record<string, string> = {}, cookie?: string) {
  const { verifier, challenge } = pkce();
  const start = await get(authorizeUrl(em, challenge, params), cookie);
  const loginUrl = locationOf(start, em.url);
  expect(loginUrl.pathname).toBe("/u/login");
  const page = await get(loginUrl.toString(), cookie);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain(`value="${userId}"`);
  const post = await fetch(loginUrl, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams({ user_id: userId }).toString(),
  });
  const back = locationOf(post, em.url);
  const setCookie = post.headers.get("set-cookie") ?? "";
  return { back, verifier, cookie: setCookie.split(";")[0] ?? "" };
}

function token(em: Emulator, body: Record<string, string>) {
  return fetchChecked(`${em.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://127.0.0.1:5173" },
    body: new URLSearchParams(body).toString(),
  });
}

const exchange = (em: Emulator, code: string, verifier: string, extra: Record<string, string> = {}) =>
  token(em, {
    grant_type: "authorization_code",
    client_id: spa,
    code,
    code_verifier: verifier,
    redirect_uri: callback,
    ...extra,
  });

interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
  scope: string;
  expires_in: number;
}

describe("authorization code + PKCE", () => {
  test("signs in on the login page; the code gives an ID token with nonce and current-user scopes only", async () => {
    const em = emulator();
    const { back, verifier, cookie } = await signIn(em, alice);
    expect(back.origin + back.pathname).toBe(callback);
    expect(back.searchParams.get("state")).toBe("state-1");
    expect(cookie).toMatch(/^auth0=/);
    const res = await exchange(em, back.searchParams.get("code") ?? "", verifier);
    expect(res.status).toBe(200);
    const body = res.body as Tokens;
    expect(body.scope).toBe(userScopes);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(decodeJwt(body.id_token)).toMatchObject({
      iss: em.issuer,
      aud: spa,
      sub: alice,
      nonce: "nonce-1",
      email: "alice.martin@example.com",
      email_verified: true,
      name: "Alice Martin",
    });
    const access = decodeJwt(body.access_token);
    expect(access).toMatchObject({
      sub: alice,
      azp: spa,
      aud: [em.managementAudience, `${em.issuer}userinfo`],
      scope: userScopes,
    });
    expect(String(access.scope)).not.toContain("update:users");
    const read = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token: body.access_token });
    expect(read.status).toBe(200);
    const others = await call(em, "GET", `/api/v2/users/${enc(aliceGoogle)}`, { token: body.access_token });
    expect(others.status).toBe(403);
  });

  test("a second, fresh login (prompt=login) gives the secondary's ID token, and link_with links it", async () => {
    const em = emulator();
    const primary = await signIn(em, alice);
    const primaryTokens = (await exchange(em, primary.back.searchParams.get("code") ?? "", primary.verifier))
      .body as Tokens;
    // Same browser, same session cookie: prompt=login still shows the login page.
    const secondary = await signIn(
      em,
      aliceGoogle,
      { prompt: "login", audience: "", scope: "openid profile email" },
      primary.cookie,
    );
    const secondaryTokens = (
      await exchange(em, secondary.back.searchParams.get("code") ?? "", secondary.verifier)
    ).body as Tokens;
    expect(decodeJwt(secondaryTokens.id_token)).toMatchObject({ sub: aliceGoogle, aud: spa });
    expect(decodeJwt(secondaryTokens.access_token).aud).toBe(`${em.issuer}userinfo`);
    const linked = await call(em, "POST", identitiesPath(alice), {
      token: primaryTokens.access_token,
      body: { link_with: secondaryTokens.id_token },
    });
    expect(linked.status).toBe(201);
    expect(em.state.getUser(aliceGoogle)).toBeUndefined();
  });

  test("with a session, /authorize answers at once; prompt=none answers login_required without one", async () => {
    const em = emulator();
    const { challenge } = pkce();
    const none = locationOf(await get(authorizeUrl(em, challenge, { prompt: "none" })), em.url);
    expect(Object.fromEntries(none.searchParams)).toEqual({
      error: "login_required",
      error_description: "Login required",
      state: "state-1",
    });
    const { cookie } = await signIn(em, alice);
    const silent = locationOf(await get(authorizeUrl(em, challenge, { prompt: "none" }), cookie), em.url);
    expect(silent.searchParams.get("code")).toEqual(expect.any(String));
    const sso = locationOf(await get(authorizeUrl(em, challenge), cookie), em.url);
    expect(sso.searchParams.has("code")).toBe(true);
    const fresh = locationOf(await get(authorizeUrl(em, challenge, { prompt: "login" }), cookie), em.url);
    expect(fresh.pathname).toBe("/u/login");
  });

  test("a code is single use; replaying it revokes the refresh token it gave", async () => {
    const em = emulator();
    const { back, verifier } = await signIn(em, alice);
    const code = back.searchParams.get("code") ?? "";
    const first = (await exchange(em, code, verifier)).body as Tokens;
    const replay = await exchange(em, code, verifier);
    expect(replay).toMatchObject({
      status: 403,
      body: { error: "invalid_grant", error_description: "Invalid authorization code" },
    });
    const refresh = await token(em, {
      grant_type: "refresh_token",
      client_id: spa,
      refresh_token: first.refresh_token ?? "",
    });
    expect(refresh.status).toBe(403);
  });

  test.each([
    ["a short one", "x".repeat(42)],
    ["a long one", "x".repeat(129)],
  ])("refuses a verifier of the wrong length, %s, without burning the code", async (_name, wrong) => {
    const em = emulator();
    const { back, verifier } = await signIn(em, alice);
    const code = back.searchParams.get("code") ?? "";
    expect(await exchange(em, code, verifier, { code_verifier: wrong })).toMatchObject({
      status: 400,
      body: {
        error: "invalid_request",
        error_description: "Parameter 'code_verifier' must be between 43 and 128 characters long",
      },
    });
    expect((await exchange(em, code, verifier)).status).toBe(200);
  });

  test.each([
    ["a wrong verifier", { code_verifier: "x".repeat(43) }, "Failed to verify code verifier"],
    ["no verifier", { code_verifier: "" }, "Failed to verify code verifier"],
    [
      "another redirect_uri",
      { redirect_uri: "http://localhost:5173/" },
      "redirect_uri does not match the one of the authorization request",
    ],
    ["another client", { client_id: "idlink-spa-2" }, "Invalid authorization code"],
  ])("refuses the code with %s, and burns it", async (_name, extra, description) => {
    const em = emulator();
    em.state.reset({
      ...defaultSeed(),
      clients: [...defaultSeed().clients, { client_id: "idlink-spa-2", name: "other", app_type: "spa" }],
    });
    const { back, verifier } = await signIn(em, alice);
    const code = back.searchParams.get("code") ?? "";
    const refused = await exchange(em, code, verifier, extra);
    expect(refused).toMatchObject({
      status: 403,
      body: { error: "invalid_grant", error_description: description },
    });
    if (!("client_id" in extra)) {
      expect((await exchange(em, code, verifier)).status).toBe(403);
    }
  });

  test("refuses the grant to an unknown client and to a machine-to-machine client", async () => {
    const em = emulator();
    const { back, verifier } = await signIn(em, alice);
    const code = back.searchParams.get("code") ?? "";
    expect(await exchange(em, code, verifier, { client_id: "nobody" })).toMatchObject({
      status: 401,
      body: { error: "access_denied", error_description: "Unauthorized" },
    });
    expect(await exchange(em, code, verifier, { client_id: "idlink-admin" })).toMatchObject({
      status: 403,
      body: {
        error: "unauthorized_client",
        error_description: "Grant type 'authorization_code' not allowed for the client.",
      },
    });
    expect(await exchange(em, "", verifier)).toMatchObject({
      status: 400,
      body: { error: "invalid_request", error_description: "Missing required parameter: code" },
    });
  });
});

describe("refresh tokens", () => {
  test("rotate: each refresh answers new tokens and a new refresh token; reuse is refused and revokes all", async () => {
    const em = emulator();
    const { back, verifier } = await signIn(em, alice);
    const first = (await exchange(em, back.searchParams.get("code") ?? "", verifier)).body as Tokens;
    const refresh = (refreshToken: string) =>
      token(em, { grant_type: "refresh_token", client_id: spa, refresh_token: refreshToken });
    const second = await refresh(first.refresh_token ?? "");
    expect(second.status).toBe(200);
    const rotated = second.body as Tokens;
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(rotated.id_token)).toMatchObject({ sub: alice, aud: spa });
    expect(decodeJwt(rotated.id_token).nonce).toBeUndefined();
    expect(decodeJwt(rotated.access_token)).toMatchObject({ sub: alice, scope: userScopes });

    const reuse = await refresh(first.refresh_token ?? "");
    expect(reuse).toMatchObject({
      status: 403,
      body: { error: "invalid_grant", error_description: "Unknown or invalid refresh token." },
    });
    // Reuse detection revokes the whole family, the newest token included.
    expect((await refresh(rotated.refresh_token ?? "")).status).toBe(403);
    expect(await refresh("")).toMatchObject({
      status: 400,
      body: { error_description: "Missing required parameter: refresh_token" },
    });
  });

  test("are issued only with offline_access", async () => {
    const em = emulator();
    const { back, verifier } = await signIn(em, alice, { scope: "openid profile email read:current_user" });
    const body = (await exchange(em, back.searchParams.get("code") ?? "", verifier)).body as Tokens;
    expect(body.refresh_token).toBeUndefined();
    expect(body.scope).toBe("openid profile email read:current_user");
  });
});

describe("/authorize refusals", () => {
  test.each([
    ["an unknown client", { client_id: "nobody" }, "Unknown client: nobody"],
    ["no client_id", { client_id: "" }, "Missing required parameter: client_id"],
    [
      "a callback URL that is not allowed",
      { redirect_uri: "https://evil.example/" },
      "Callback URL mismatch. https://evil.example/ is not in the list of allowed callback URLs.",
    ],
    ["no redirect_uri", { redirect_uri: "" }, "Missing required parameter: redirect_uri"],
    ["response_mode fragment", { response_mode: "fragment" }, "Unsupported response_mode: fragment"],
  ])("shows an error page, and redirects nowhere, for %s", async (_name, params, message) => {
    const em = emulator();
    const res = await get(authorizeUrl(em, pkce().challenge, params));
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).toContain("Oops!, something went wrong");
    expect(page).toContain(message.replaceAll('"', "&quot;"));
  });

  test.each([
    ["response_type token", { response_type: "id_token token" }, "unsupported_response_type"],
    ["no response_type", { response_type: "" }, "invalid_request"],
    ["no code_challenge", { code_challenge: "" }, "invalid_request"],
    ["code_challenge_method plain", { code_challenge_method: "plain" }, "invalid_request"],
    ["a short code_challenge", { code_challenge: "short" }, "invalid_request"],
    ["a code_challenge over 128 characters", { code_challenge: "a".repeat(129) }, "invalid_request"],
    ["a code_challenge outside base64url", { code_challenge: `${"a".repeat(42)}=` }, "invalid_request"],
    ["an unknown audience", { audience: "https://api.example/" }, "access_denied"],
  ])("redirects back with an error for %s", async (_name, params, error) => {
    const em = emulator();
    const back = locationOf(await get(authorizeUrl(em, pkce().challenge, params)), em.url);
    expect(back.origin + back.pathname).toBe(callback);
    expect(back.searchParams.get("error")).toBe(error);
    expect(back.searchParams.get("error_description")).toEqual(expect.any(String));
    expect(back.searchParams.get("state")).toBe("state-1");
    expect(back.searchParams.has("code")).toBe(false);
  });

  test("names the length a code_challenge must have, in Auth0's words", async () => {
    const em = emulator();
    const back = locationOf(
      await get(authorizeUrl(em, pkce().challenge, { code_challenge: "short" })),
      em.url,
    );
    expect(back.searchParams.get("error_description")).toBe(
      "Parameter 'code_challenge' must be between 43 and 128 characters long",
    );
  });

  test("refuses a machine-to-machine client, even with the callback allowed", async () => {
    const em = emulator();
    const seed = defaultSeed();
    for (const client of seed.clients) client.callbacks = [callback];
    em.state.reset(seed);
    const back = locationOf(
      await get(authorizeUrl(em, pkce().challenge, { client_id: "idlink-admin" })),
      em.url,
    );
    expect(back.searchParams.get("error")).toBe("unauthorized_client");
  });

  test("names the audience it does not know", async () => {
    const em = emulator();
    const back = locationOf(
      await get(authorizeUrl(em, pkce().challenge, { audience: "https://api.example/" })),
      em.url,
    );
    expect(back.searchParams.get("error_description")).toBe("Service not found: https://api.example/");
  });

  test("an unknown or finished login transaction is refused", async () => {
    const em = emulator();
    const res = await fetch(`${em.url}/u/login?state=nope`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `user_id=${enc(alice)}`,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("unknown or has expired");
  });

  test("the login page refuses a user that is not seeded, and stays", async () => {
    const em = emulator();
    const loginUrl = locationOf(await get(authorizeUrl(em, pkce().challenge)), em.url);
    const res = await fetch(loginUrl, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "user_id=auth0%7Cnobody",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("No seeded user has the id &quot;auth0|nobody&quot;.");
  });
});

describe("the login page", () => {
  test("is plain HTML under a strict CSP, lists the seeded users and puts the login_hint first", async () => {
    const em = emulator();
    const loginUrl = locationOf(
      await get(authorizeUrl(em, pkce().challenge, { login_hint: aliceGoogle })),
      em.url,
    );
    const res = await get(loginUrl.toString());
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; style-src 'self'; form-action 'self' http://127.0.0.1:5173; base-uri 'none'; frame-ancestors 'none'",
    );
    const page = await res.text();
    expect(page).not.toMatch(/<script/);
    const buttons = [...page.matchAll(/name="user_id" value="([^"]+)"/g)].map((m) => m[1]);
    expect(buttons[0]).toBe(aliceGoogle);
    expect(buttons).toHaveLength(em.state.listUsers().length);
    expect(page).toContain(`value="${aliceGoogle}" autofocus`);
  });

  test("signing in with a linked identity signs in its primary", async () => {
    const em = emulator();
    const { verifier, challenge } = pkce();
    const loginUrl = locationOf(await get(authorizeUrl(em, challenge)), em.url);
    const post = await fetch(loginUrl, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `user_id=${enc("github|7700123")}`,
    });
    const code = locationOf(post, em.url).searchParams.get("code") ?? "";
    const body = (await exchange(em, code, verifier)).body as Tokens;
    expect(decodeJwt(body.id_token).sub).toBe("auth0|6600aa11bb22cc33dd44ee55");
  });
});

describe("a user linked away after signing in", () => {
  test("their code, refresh token, access token and session no longer work", async () => {
    const em = emulator();
    const first = await signIn(em, aliceGoogle);
    const tokens = (await exchange(em, first.back.searchParams.get("code") ?? "", first.verifier))
      .body as Tokens;
    const { back, verifier, cookie } = await signIn(em, aliceGoogle, { prompt: "login" }, first.cookie);
    // The session is live before the link: /authorize answers at once.
    expect(
      locationOf(await get(authorizeUrl(em, pkce().challenge), cookie), em.url).searchParams.has("code"),
    ).toBe(true);
    const admin = await em.mintToken({ scopes: ["update:users"] });
    const linked = await call(em, "POST", identitiesPath(alice), {
      token: admin,
      body: { provider: "google-oauth2", user_id: "108234567890123456789" },
    });
    expect(linked.status).toBe(201);
    expect(await exchange(em, back.searchParams.get("code") ?? "", verifier)).toMatchObject({
      status: 403,
      body: { error_description: "Invalid authorization code" },
    });
    expect(
      await token(em, {
        grant_type: "refresh_token",
        client_id: spa,
        refresh_token: tokens.refresh_token ?? "",
      }),
    ).toMatchObject({ status: 403, body: { error_description: "Unknown or invalid refresh token." } });
    const info = await fetch(`${em.url}/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(info.status).toBe(401);
    const again = locationOf(await get(authorizeUrl(em, pkce().challenge), cookie), em.url);
    expect(again.pathname).toBe("/u/login");
  });
});

describe("response_mode=web_message", () => {
  test("answers a page that posts the code to the app's origin only, framable by that origin only", async () => {
    const em = emulator();
    const { challenge } = pkce();
    const { cookie } = await signIn(em, alice);
    const res = await get(
      authorizeUrl(em, challenge, { response_mode: "web_message", prompt: "none", redirect_uri: callback }),
      cookie,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; base-uri 'none'; frame-ancestors http://127.0.0.1:5173",
    );
    const page = await res.text();
    expect(page).toContain('data-origin="http://127.0.0.1:5173"');
    expect(page).toMatch(
      /data-response="\{&quot;code&quot;:&quot;[\w-]+&quot;,&quot;state&quot;:&quot;state-1&quot;\}"/,
    );
    expect(page).toContain('<script src="/u/web-message.js"></script>');
    const script = await fetch(`${em.url}/u/web-message.js`);
    expect(await script.text()).toContain('type: "authorization_response"');
  });

  test("is refused for an origin that is not an allowed web origin", async () => {
    const em = emulator();
    const seed = defaultSeed();
    const spaClient = seed.clients.find((c) => c.client_id === spa);
    if (spaClient) spaClient.web_origins = [];
    em.state.reset(seed);
    const res = await get(authorizeUrl(em, pkce().challenge, { response_mode: "web_message" }));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("is not in the list of allowed web origins");
  });
});

describe("/userinfo and /v2/logout", () => {
  test("/userinfo answers the claims of the token's scopes; a bad token gets 401", async () => {
    const em = emulator();
    const { back, verifier } = await signIn(em, alice, { scope: "openid email" });
    const body = (await exchange(em, back.searchParams.get("code") ?? "", verifier)).body as Tokens;
    const info = await fetchChecked(`${em.url}/userinfo`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(info.body).toEqual({ sub: alice, email: "alice.martin@example.com", email_verified: true });
    const management = await em.mintToken({ scopes: ["read:users"] });
    for (const authorization of [undefined, "Bearer nope", `Bearer ${management}`]) {
      const res = await fetch(`${em.url}/userinfo`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe("Unauthorized");
    }
  });

  test("/v2/logout ends the session and returns only to an allowed logout URL", async () => {
    const em = emulator();
    const { cookie } = await signIn(em, alice);
    const refused = await get(
      `${em.url}/v2/logout?client_id=${spa}&returnTo=${enc("https://evil.example/")}`,
      cookie,
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain(
      "The &quot;returnTo&quot; querystring parameter &quot;https://evil.example/&quot; is not defined as a valid URL",
    );
    const out = await get(`${em.url}/v2/logout?client_id=${spa}&returnTo=${enc(callback)}`, cookie);
    expect(locationOf(out, em.url).toString()).toBe(callback);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    const none = locationOf(
      await get(authorizeUrl(em, pkce().challenge, { prompt: "none" }), cookie),
      em.url,
    );
    expect(none.searchParams.get("error")).toBe("login_required");
    const plain = await get(`${em.url}/v2/logout`);
    expect(plain.status).toBe(200);
  });

  test("/v2/logout with a client and no returnTo goes to the client's first allowed logout URL", async () => {
    const em = emulator();
    const out = await get(`${em.url}/v2/logout?client_id=${spa}`);
    expect(locationOf(out, em.url).toString()).toBe(callback);
  });

  test.each([
    ["a query string", "http://127.0.0.1:5173/?next=%2Faccount#top", true],
    ["another case in scheme and host", "HTTP://LOCALHOST:5173/", true],
    ["another case in the path", "https://app.example.com/Done", false],
    ["a subdomain of a wildcard entry", "https://eu.example.org/bye", true],
    ["two subdomain levels under a wildcard entry", "https://a.b.example.org/bye", false],
    ["the wildcard's bare domain", "https://example.org/bye", false],
    ["another path", "http://127.0.0.1:5173/elsewhere", false],
  ])("/v2/logout matches a returnTo with %s as Auth0 does", async (_name, returnTo, allowed) => {
    const em = emulator();
    const seed = defaultSeed();
    for (const client of seed.clients) {
      if (client.client_id === spa) {
        client.allowed_logout_urls = [
          ...(client.allowed_logout_urls ?? []),
          "https://app.example.com/done",
          "https://*.example.org/bye",
        ];
      }
    }
    em.state.reset(seed);
    const res = await get(`${em.url}/v2/logout?client_id=${spa}&returnTo=${encodeURIComponent(returnTo)}`);
    expect(res.status).toBe(allowed ? 302 : 400);
    if (allowed) expect(res.headers.get("location")).toBe(returnTo);
  });

  test("the openid-configuration advertises the code flow as a real tenant does", async () => {
    const em = emulator();
    const res = await fetch(`${em.url}/.well-known/openid-configuration`);
    const config = (await res.json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      authorization_endpoint: `${em.issuer}authorize`,
      token_endpoint: `${em.issuer}oauth/token`,
      userinfo_endpoint: `${em.issuer}userinfo`,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      code_challenge_methods_supported: ["S256"],
      request_uri_parameter_supported: false,
    });
    // A real tenant advertises no grant types, and web_message (served) is not advertised either.
    expect(config).not.toHaveProperty("grant_types_supported");
    expect(JSON.stringify(config)).not.toContain("web_message");
  });
});

describe("LoginState", () => {
  test("a code expires after a minute", () => {
    let now = 1_000_000;
    const logins = new LoginState(() => now);
    const verifier = "v".repeat(43);
    const grant = {
      clientId: spa,
      userId: alice,
      scope: ["openid"],
      audience: undefined,
      nonce: "n",
      authTime: 1,
    };
    const binding = { redirectUri: callback, codeChallenge: s256(verifier) };
    const fresh = logins.issueCode(grant, binding);
    expect(
      logins.redeemCode(fresh, { clientId: spa, redirectUri: callback, codeVerifier: verifier }).ok,
    ).toBe(true);
    const stale = logins.issueCode(grant, binding);
    now += 61_000;
    expect(
      logins.redeemCode(stale, { clientId: spa, redirectUri: callback, codeVerifier: verifier }),
    ).toEqual({
      ok: false,
      reason: "expired",
    });
  });
});

describe("withSpaOrigins", () => {
  test("allows an app's origins on every SPA client, once, and leaves other clients alone", () => {
    const origin = "http://127.0.0.1:41237";
    const seed = withSpaOrigins(withSpaOrigins(defaultSeed(), [origin]), [origin]);
    const spaClient = seed.clients.find((c) => c.client_id === spa);
    expect(spaClient?.callbacks).toEqual([callback, "http://localhost:5173/", `${origin}/`]);
    expect(spaClient?.allowed_logout_urls).toContain(`${origin}/`);
    expect(spaClient?.web_origins).toEqual(["http://127.0.0.1:5173", "http://localhost:5173", origin]);
    expect(seed.clients.find((c) => c.client_id === "idlink-admin")?.callbacks).toBeUndefined();
    expect(defaultSeed().clients.find((c) => c.client_id === spa)?.callbacks).not.toContain(`${origin}/`);
  });
});
