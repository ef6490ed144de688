import * as kit from "@idlink/test-kit";
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose";
import { beforeEach, describe, expect, test } from "vitest";
import { type Emulator, idlinkMcpApi, seedUsers, TenantConfigError } from "../src/index.ts";
import { useEmulator } from "./helpers.ts";
import { get, locationOf, pkce } from "./login-flow.ts";

// The emulator as the authorization server of a remote MCP server (issue 27): discovery, Dynamic Client
// Registration, /authorize with `resource`, consent, /oauth/token with `resource` — over real HTTP, as an MCP client
// and a browser drive them.

const emulator = useEmulator({ tenantSettings: { flags: { enable_dynamic_client_registration: true } } });
const mcp = "http://127.0.0.1:3999/mcp";
const callback = "http://127.0.0.1:33418/callback";
const { alice, erin, bob } = seedUsers;

beforeEach(() => {
  emulator().state.addResourceServer(idlinkMcpApi(mcp));
});

const form = (body: Record<string, string>) => ({
  method: "POST",
  redirect: "manual" as const,
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(body).toString(),
});

async function register(em: Emulator, metadata: Record<string, unknown> = {}) {
  const res = await fetch(`${em.url}/oidc/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Claude (MCP client)",
      redirect_uris: [callback],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      ...metadata,
    }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 201) throw new Error(`registration: ${res.status} ${JSON.stringify(body)}`);
  kit.recordSecrets(body.client_secret as string | undefined);
  return body as { client_id: string; client_secret?: string };
}

function authorizeUrl(
  em: Emulator,
  clientId: string,
  challenge: string,
  params: Record<string, string> = {},
) {
  const query = new URLSearchParams({
    client_id: clientId,
    redirect_uri: callback,
    response_type: "code",
    scope: "read:identities link:identities offline_access",
    resource: mcp,
    state: "mcp-state",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...params,
  });
  for (const [key, value] of Object.entries(params)) if (value === "") query.delete(key);
  return `${em.url}/authorize?${query}`;
}

/** An error page's status and text (recorded: a person reads it). */
async function page(res: Response) {
  const text = await res.text();
  kit.recordOutput(`emulator page ${res.url}`, text);
  return { status: res.status, text, location: res.headers.get("location") };
}

interface Flow {
  verifier: string;
  cookie: string;
  /** Where the login page sent the browser (the consent prompt, or the callback). */
  next: URL;
}

/** /authorize → the login page → signs in as `userId`. */
async function signIn(
  em: Emulator,
  clientId: string,
  userId: string,
  params: Record<string, string> = {},
): Promise<Flow> {
  const { verifier, challenge } = pkce();
  const login = await locationOf(await get(authorizeUrl(em, clientId, challenge, params)), em.url);
  expect(login.pathname).toBe("/u/login");
  const post = await fetch(login, form({ user_id: userId }));
  const cookie = (post.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return { verifier, cookie, next: await locationOf(post, em.url) };
}

/** Answers the consent prompt the flow is on. */
async function consent(flow: Flow, action: "accept" | "deny", cookie = flow.cookie) {
  expect(flow.next.pathname).toBe("/u/consent");
  return fetch(flow.next, { ...form({ action }), headers: { ...form({}).headers, cookie } });
}

async function token(em: Emulator, body: Record<string, string>) {
  const res = await fetch(`${em.url}/oauth/token`, form(body));
  const json = (await res.json()) as Record<string, string>;
  kit.recordSecrets(json.access_token, json.refresh_token);
  return { status: res.status, body: json };
}

const redeem = (
  em: Emulator,
  clientId: string,
  back: URL,
  verifier: string,
  extra: Record<string, string> = {},
) =>
  token(em, {
    grant_type: "authorization_code",
    client_id: clientId,
    code: back.searchParams.get("code") ?? "",
    code_verifier: verifier,
    redirect_uri: callback,
    resource: mcp,
    ...extra,
  });

/** Registers, signs `userId` in, accepts the consent prompt: the callback URL and the PKCE verifier. */
async function authorized(em: Emulator, userId: string, params: Record<string, string> = {}) {
  const { client_id } = await register(em);
  const flow = await signIn(em, client_id, userId, params);
  const back = await locationOf(await consent(flow, "accept"), em.url);
  return { clientId: client_id, back, flow };
}

describe("discovery", () => {
  test("the OIDC document and its RFC 8414 alias are the same, with the registration endpoint", async () => {
    const em = emulator();
    const oidc = await (await fetch(`${em.url}/.well-known/openid-configuration`)).json();
    const oauth = await (await fetch(`${em.url}/.well-known/oauth-authorization-server`)).json();
    expect(oauth).toEqual(oidc);
    expect(oidc).toMatchObject({
      issuer: em.issuer,
      authorization_endpoint: `${em.issuer}authorize`,
      token_endpoint: `${em.issuer}oauth/token`,
      registration_endpoint: `${em.issuer}oidc/register`,
      code_challenge_methods_supported: ["S256"],
    });
    expect(oidc).not.toHaveProperty("client_id_metadata_document_supported");
  });

  test("advertises Client ID Metadata Documents when the tenant setting is on", async () => {
    const em = emulator();
    em.setTenantSettings({ client_id_metadata_document_supported: true });
    try {
      const doc = (await (await fetch(`${em.url}/.well-known/oauth-authorization-server`)).json()) as Record<
        string,
        unknown
      >;
      expect(doc.client_id_metadata_document_supported).toBe(true);
    } finally {
      em.setTenantSettings({ client_id_metadata_document_supported: false });
    }
  });
});

describe("Dynamic Client Registration", () => {
  test("registers a third-party public client, 201 and no secret", async () => {
    const em = emulator();
    const res = await fetch(`${em.url}/oidc/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "Inspector",
        redirect_uris: [callback],
        token_endpoint_auth_method: "none",
      }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(body).toEqual({
      client_name: "Inspector",
      client_id: expect.stringMatching(/^tpc_/),
      redirect_uris: [callback],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "none",
    });
  });

  test.each([
    [{ redirect_uris: ["http://app.example.com/cb"] }, "invalid_redirect_uri"],
    [{ redirect_uris: undefined }, "invalid_redirect_uri"],
    [{ token_endpoint_auth_method: "private_key_jwt" }, "invalid_client_metadata"],
  ])("refuses %j with 400 %s", async (metadata, error) => {
    const em = emulator();
    const res = await fetch(`${em.url}/oidc/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: [callback], ...metadata }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error, error_description: expect.any(String) });
  });

  test("refuses a body that is not JSON", async () => {
    const em = emulator();
    const res = await fetch(`${em.url}/oidc/register`, { method: "POST", body: "redirect_uris=x" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
  });

  test("answers 403 while the tenant's flag is off, and registers nothing", async () => {
    const em = emulator();
    em.setTenantSettings({ flags: { enable_dynamic_client_registration: false } });
    try {
      const res = await fetch(`${em.url}/oidc/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: [callback] }),
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        error: "access_denied",
        error_description:
          "Dynamic Client Registration is not enabled for this tenant (its enable_dynamic_client_registration flag)",
      });
    } finally {
      em.setTenantSettings({ flags: { enable_dynamic_client_registration: true } });
    }
  });

  test("a reset forgets registered clients and APIs", async () => {
    const em = emulator();
    const { client_id } = await register(em);
    em.state.reset();
    const res = await get(authorizeUrl(em, client_id, pkce().challenge));
    expect((await page(res)).text).toContain(`Unknown client: ${client_id}`);
    const { client_id: again } = await register(em);
    const unknownApi = await page(await get(authorizeUrl(em, again, pkce().challenge)));
    expect(unknownApi.text).toContain(`Service not found: ${mcp}`);
  });
});

describe("authorization with resource, consent and PKCE", () => {
  test("Alice consents; the token is for the MCP server with her scopes and permissions, and no ID token", async () => {
    const em = emulator();
    const { client_id } = await register(em);
    const flow = await signIn(em, client_id, alice);
    const prompt = await page(await get(flow.next.toString(), flow.cookie));
    expect(prompt.status).toBe(200);
    expect(prompt.text).toContain(
      "<strong>Claude (MCP client)</strong> is requesting access to your idlink-emulator account.",
    );
    expect(prompt.text).toContain("<li>Identities: read and link your identities</li>");
    expect(prompt.text).toContain("Hi Alice Martin,");
    const back = await locationOf(await consent(flow, "accept"), em.url);
    expect(back.origin + back.pathname).toBe(callback);
    expect(back.searchParams.get("state")).toBe("mcp-state");
    const { status, body } = await redeem(em, client_id, back, flow.verifier);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      scope: "read:identities link:identities offline_access",
      expires_in: 86_400,
    });
    expect(body).not.toHaveProperty("id_token");
    expect(body.refresh_token).toEqual(expect.any(String));
    // What the MCP server will do: verify against the tenant's JWKS, for its own URL as audience.
    const jwks = createRemoteJWKSet(new URL(`${em.issuer}.well-known/jwks.json`));
    const { payload } = await jwtVerify(body.access_token ?? "", jwks, { issuer: em.issuer, audience: mcp });
    expect(payload).toMatchObject({
      sub: alice,
      aud: mcp,
      azp: client_id,
      scope: "read:identities link:identities offline_access",
      permissions: ["read:identities", "link:identities"],
    });
  });

  test("Erin, who may only read, is granted read only", async () => {
    const em = emulator();
    const { clientId, back, flow } = await authorized(em, erin);
    const { body } = await redeem(em, clientId, back, flow.verifier);
    expect(decodeJwt(body.access_token ?? "")).toMatchObject({
      scope: "read:identities offline_access",
      permissions: ["read:identities"],
    });
  });

  test("a user without permissions is shown no scope and granted none", async () => {
    const em = emulator();
    const { client_id } = await register(em);
    const flow = await signIn(em, client_id, bob);
    expect((await page(await get(flow.next.toString(), flow.cookie))).text).toContain(
      "No permissions on this API",
    );
    const back = await locationOf(await consent(flow, "accept"), em.url);
    const { body } = await redeem(em, client_id, back, flow.verifier);
    expect(decodeJwt(body.access_token ?? "")).toMatchObject({ scope: "offline_access", permissions: [] });
  });

  test("a scope the API does not define is not granted, nor asked for on the prompt", async () => {
    const em = emulator();
    const { client_id } = await register(em);
    const flow = await signIn(em, client_id, alice, { scope: "read:identities delete:users openid email" });
    const prompt = await page(await get(flow.next.toString(), flow.cookie));
    expect(prompt.text).toContain("<li>Identities: read your identities</li>");
    expect(prompt.text).not.toContain("delete");
    const back = await locationOf(await consent(flow, "accept"), em.url);
    const { body } = await redeem(em, client_id, back, flow.verifier);
    expect(body.scope).toBe("read:identities");
    expect(body).not.toHaveProperty("refresh_token");
  });

  test("consent is remembered for the client, and asked again with prompt=consent or a new scope", async () => {
    const em = emulator();
    const { clientId, flow } = await authorized(em, alice, { scope: "read:identities" });
    const again = await get(
      authorizeUrl(em, clientId, pkce().challenge, { scope: "read:identities" }),
      flow.cookie,
    );
    expect((await locationOf(again, em.url)).searchParams.get("code")).toEqual(expect.any(String));
    const askedAgain: Record<string, string>[] = [
      { scope: "read:identities", prompt: "consent" },
      { scope: "read:identities link:identities" },
    ];
    for (const params of askedAgain) {
      const asked = await get(authorizeUrl(em, clientId, pkce().challenge, params), flow.cookie);
      expect((await locationOf(asked, em.url)).pathname).toBe("/u/consent");
    }
  });

  test("prompt=none cannot show the prompt: consent_required on a page", async () => {
    const em = emulator();
    const { client_id } = await register(em);
    const flow = await signIn(em, client_id, alice, { scope: "read:identities" });
    const silent = await page(
      await get(authorizeUrl(em, client_id, pkce().challenge, { prompt: "none" }), flow.cookie),
    );
    expect(silent).toMatchObject({ status: 400, location: null });
    expect(silent.text).toContain("<code>consent_required</code>: Consent required");
  });

  test("declining shows access_denied on a page, never the callback", async () => {
    const em = emulator();
    const { client_id } = await register(em);
    const flow = await signIn(em, client_id, alice);
    const declined = await page(await consent(flow, "deny"));
    expect(declined).toMatchObject({ status: 400, location: null });
    expect(declined.text).toContain("<code>access_denied</code>: User did not authorize the request");
    const twice = await page(await consent(flow, "accept"));
    expect(twice.text).toContain("This login is unknown or has expired");
  });

  test("the prompt answers only the session that signed in, and only accept or deny", async () => {
    const em = emulator();
    const { client_id } = await register(em);
    const flow = await signIn(em, client_id, alice);
    expect((await page(await get(flow.next.toString(), "auth0=someone-else"))).text).toContain("has expired");
    expect((await page(await consent(flow, "accept", "auth0=someone-else"))).text).toContain("has expired");
    const odd = await fetch(flow.next, {
      ...form({ action: "maybe" }),
      headers: { ...form({}).headers, cookie: flow.cookie },
    });
    expect(await page(odd)).toMatchObject({ status: 400, text: expect.stringContaining("Invalid action") });
    expect((await locationOf(await consent(flow, "accept"), em.url)).searchParams.has("code")).toBe(true);
  });

  test("audience wins over resource", async () => {
    const em = emulator();
    const other = "http://127.0.0.1:3999/other";
    em.state.addResourceServer({ ...idlinkMcpApi(other), user_permissions: {}, enforce_policies: false });
    const { clientId, back, flow } = await authorized(em, alice, {
      audience: other,
      scope: "read:identities",
    });
    const { body } = await redeem(em, clientId, back, flow.verifier, { resource: "", audience: other });
    expect(decodeJwt(body.access_token ?? "").aud).toBe(other);
  });
});

describe("refusals", () => {
  test("an unknown resource: Service not found, on a page", async () => {
    const em = emulator();
    const { client_id } = await register(em);
    const res = await page(
      await get(authorizeUrl(em, client_id, pkce().challenge, { resource: "http://127.0.0.1:3999/nope" })),
    );
    expect(res).toMatchObject({ status: 400, location: null });
    expect(res.text).toContain("<code>access_denied</code>: Service not found: http://127.0.0.1:3999/nope");
  });

  test.each([
    [
      { resource: "" },
      "invalid_request",
      "A third-party application must name the API: give audience (or resource)",
    ],
    [{ resource: "MANAGEMENT" }, "access_denied", "Third-party applications cannot access system APIs"],
    [
      { screen_hint: "signup" },
      "invalid_request",
      "Parameter screen_hint is not supported for third-party applications",
    ],
  ])("a third-party application with %j: %s", async (params: Record<string, string>, error, description) => {
    const em = emulator();
    const { client_id } = await register(em);
    const resolved = params.resource === "MANAGEMENT" ? { resource: em.managementAudience } : params;
    const res = await page(await get(authorizeUrl(em, client_id, pkce().challenge, resolved)));
    expect(res).toMatchObject({ status: 400, location: null });
    expect(res.text).toContain(`<code>${error}</code>: ${description}`);
  });

  test("an API without default permissions for third-party applications: unauthorized_client", async () => {
    const em = emulator();
    const closed = "http://127.0.0.1:3999/closed";
    const { third_party_scopes: _, ...api } = idlinkMcpApi(closed);
    em.state.addResourceServer(api);
    const { client_id } = await register(em);
    const res = await page(await get(authorizeUrl(em, client_id, pkce().challenge, { resource: closed })));
    expect(res.text).toContain(
      `<code>unauthorized_client</code>: Client is not authorized to access &quot;${closed}&quot;`,
    );
  });

  test("a token request for another resource: invalid_target, and the code is spent", async () => {
    const em = emulator();
    const { clientId, back, flow } = await authorized(em, alice);
    const wrong = await redeem(em, clientId, back, flow.verifier, {
      resource: "http://127.0.0.1:3999/other",
    });
    expect(wrong).toEqual({
      status: 400,
      body: {
        error: "invalid_target",
        error_description: `The resource "http://127.0.0.1:3999/other" is not the one this grant was authorized for (${mcp})`,
      },
    });
    expect((await redeem(em, clientId, back, flow.verifier)).body.error).toBe("invalid_grant");
  });

  test("a refresh for another resource: invalid_target (the token is spent); for the same one: new tokens", async () => {
    const em = emulator();
    const refresh = (clientId: string, refreshToken: string | undefined, resource: string) =>
      token(em, {
        grant_type: "refresh_token",
        client_id: clientId,
        refresh_token: refreshToken ?? "",
        resource,
      });
    const first = await authorized(em, alice);
    const spent = (await redeem(em, first.clientId, first.back, first.flow.verifier)).body.refresh_token;
    expect((await refresh(first.clientId, spent, em.managementAudience)).body.error).toBe("invalid_target");
    expect((await refresh(first.clientId, spent, mcp)).body.error).toBe("invalid_grant");
    const second = await authorized(em, alice);
    const kept = (await redeem(em, second.clientId, second.back, second.flow.verifier)).body.refresh_token;
    const ok = await refresh(second.clientId, kept, mcp);
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.body.access_token ?? "")).toMatchObject({
      aud: mcp,
      scope: "read:identities link:identities offline_access",
    });
  });

  test("a confidential client must send its secret", async () => {
    const em = emulator();
    const { client_id, client_secret } = await register(em, {
      token_endpoint_auth_method: "client_secret_post",
    });
    const flow = await signIn(em, client_id, alice);
    const back = await locationOf(await consent(flow, "accept"), em.url);
    expect(await redeem(em, client_id, back, flow.verifier)).toEqual({
      status: 401,
      body: { error: "access_denied", error_description: "Unauthorized" },
    });
    // Alice consented already: the second sign-in goes straight to the callback.
    const again = await signIn(em, client_id, alice);
    expect(again.next.origin + again.next.pathname).toBe(callback);
    const ok = await redeem(em, client_id, again.next, again.verifier, {
      client_secret: client_secret ?? "",
    });
    expect(ok.status).toBe(200);
  });

  test("a client registered without refresh_token gets no refresh token", async () => {
    const em = emulator();
    const { client_id } = await register(em, { grant_types: ["authorization_code"] });
    const flow = await signIn(em, client_id, alice);
    const back = await locationOf(await consent(flow, "accept"), em.url);
    const { body } = await redeem(em, client_id, back, flow.verifier);
    expect(body.scope).toBe("read:identities link:identities");
    expect(body).not.toHaveProperty("refresh_token");
    const refresh = await token(em, { grant_type: "refresh_token", client_id, refresh_token: "x" });
    expect(refresh).toEqual({
      status: 403,
      body: {
        error: "unauthorized_client",
        error_description: "Grant type 'refresh_token' not allowed for the client.",
      },
    });
  });
});

describe("the resource parameter profile", () => {
  test("with the audience profile, resource is ignored", async () => {
    const em = emulator();
    em.setTenantSettings({ resource_parameter_profile: "audience" });
    try {
      const { client_id } = await register(em);
      const res = await page(await get(authorizeUrl(em, client_id, pkce().challenge)));
      expect(res.text).toContain("A third-party application must name the API");
      const withAudience = await get(
        authorizeUrl(em, client_id, pkce().challenge, { resource: "", audience: mcp }),
      );
      expect((await locationOf(withAudience, em.url)).pathname).toBe("/u/login");
    } finally {
      em.setTenantSettings({ resource_parameter_profile: "compatibility" });
    }
  });
});

describe("a first-party application and an API", () => {
  test("no consent; RBAC scopes; the token is for the API and /userinfo, with an ID token", async () => {
    const em = emulator();
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({
      client_id: "idlink-spa",
      redirect_uri: "http://127.0.0.1:5173/",
      response_type: "code",
      scope: "openid profile read:identities link:identities",
      resource: mcp,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const login = await locationOf(await get(`${em.url}/authorize?${query}`), em.url);
    const back = await locationOf(await fetch(login, form({ user_id: erin })), em.url);
    expect(back.pathname).toBe("/");
    const { body } = await token(em, {
      grant_type: "authorization_code",
      client_id: "idlink-spa",
      code: back.searchParams.get("code") ?? "",
      code_verifier: verifier,
      redirect_uri: "http://127.0.0.1:5173/",
    });
    expect(body.scope).toBe("openid profile read:identities");
    expect(body.id_token).toEqual(expect.any(String));
    expect(decodeJwt(body.access_token ?? "")).toMatchObject({
      aud: [mcp, `${em.issuer}userinfo`],
      permissions: ["read:identities"],
    });
  });
});

describe("addResourceServer", () => {
  test("refuses a bad API with a TenantConfigError naming the field", () => {
    const em = emulator();
    expect(() => em.state.addResourceServer(idlinkMcpApi(mcp))).toThrow(
      new TenantConfigError(
        `Invalid API: identifier "${mcp}": an API with this identifier exists already — give another`,
      ),
    );
    expect(() =>
      em.state.addResourceServer({
        ...idlinkMcpApi("http://127.0.0.1:1/x"),
        user_permissions: { "auth0|nobody": [] },
      }),
    ).toThrow("user_permissions.auth0|nobody: no user has this id — give a user of the tenant");
  });
});

describe("Client ID Metadata Documents", () => {
  const url = "https://client.example.com/oauth/client.json";
  const document = {
    client_id: url,
    client_name: "Example MCP Client",
    redirect_uris: [callback],
    grant_types: ["authorization_code", "refresh_token"],
    application_type: "native",
    token_endpoint_auth_method: "none",
  };

  test("need the tenant setting", () => {
    expect(() => emulator().state.registerClientMetadataDocument(url, document)).toThrow(
      "CIMD registration needs the tenant setting client_id_metadata_document_supported",
    );
  });

  test("a registered document's URL is the client id: consent names it, the token's azp is it", async () => {
    const em = emulator();
    em.setTenantSettings({ client_id_metadata_document_supported: true });
    try {
      expect(() => em.state.registerClientMetadataDocument(url, { ...document, client_name: "" })).toThrow(
        "Invalid client metadata document: client_name: required",
      );
      expect(em.state.registerClientMetadataDocument(url, document)).toEqual({ warnings: [] });
      const flow = await signIn(em, url, alice);
      expect((await page(await get(flow.next.toString(), flow.cookie))).text).toContain(
        "<strong>Example MCP Client</strong>",
      );
      const back = await locationOf(await consent(flow, "accept"), em.url);
      const { body } = await redeem(em, url, back, flow.verifier);
      expect(decodeJwt(body.access_token ?? "")).toMatchObject({ azp: url, aud: mcp });
      const unknown = await get(authorizeUrl(em, "https://other.example.com/c.json", pkce().challenge));
      expect((await page(unknown)).text).toContain("Unknown client: https://other.example.com/c.json");
    } finally {
      em.setTenantSettings({ client_id_metadata_document_supported: false });
    }
  });
});
