import { request as httpRequest } from "node:http";
import { createEmulator, type Emulator, idlinkMcpApi, seedUsers } from "@idlink/emulator";
import {
  Client,
  InsufficientScopeError,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  adminClient,
  alice,
  aliceGoogle,
  type Era,
  eras,
  findSecrets,
  frank,
  identityIds,
  rememberOutput,
  rememberSecret,
  structured,
  textOf,
  useEmulator,
} from "./helpers.ts";
import { type Spawned, spawnServer } from "./process.ts";

// idlink-mcp --http as an OAuth protected resource, the emulator as its Auth0 tenant (authorization server), the
// official MCP client's OAuth doing what an agent host does: discovery from a 401, Dynamic Client Registration, PKCE
// sign-in with the resource indicator, step-up on 403 insufficient_scope. The built bin, real HTTP everywhere.

const { erin, bob } = seedUsers;
const emulator = useEmulator({ tenantSettings: { flags: { enable_dynamic_client_registration: true } } });
const callback = "http://127.0.0.1:33419/callback";
let server: Spawned | undefined;
let mcpUrl = "";
let metadataUrl = "";

const start = (em: Emulator, extra: Record<string, string> = {}) =>
  spawnServer(
    {
      AUTH0_DOMAIN: em.url,
      AUTH0_CLIENT_ID: adminClient.clientId,
      AUTH0_CLIENT_SECRET: adminClient.clientSecret,
      IDLINK_DEBUG: "1",
      ...extra,
    },
    ["--http", "--port", "0"],
  );

beforeAll(async () => {
  server = start(emulator());
  const match = await server.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+\/mcp) \((.*)\)/);
  mcpUrl = match[1] ?? "";
  metadataUrl = mcpUrl.replace("/mcp", "/.well-known/oauth-protected-resource/mcp");
  expect(match[2]).toBe(`OAuth: access tokens of ${emulator().issuer} for ${mcpUrl}`);
});

// The tenant's API for this server, as an admin would create it; `reset` forgets it before each test.
beforeEach(() => {
  emulator().state.addResourceServer(idlinkMcpApi(mcpUrl));
});

afterAll(async () => {
  await server?.stop();
  if (server) {
    rememberOutput("oauth stderr", server.stderr());
    expect(findSecrets([server.stdout(), server.stderr()])).toEqual([]);
  }
});

/** What reached the tenant's Management API. */
const managementRequests = () => emulator().state.requests.filter((r) => r.path.startsWith("/api/v2/"));

/** The token store an MCP host keeps per server; `authorizationUrl` is where it would open the browser. */
class HostProvider implements OAuthClientProvider {
  client: StoredOAuthClientInformation | undefined;
  saved: StoredOAuthTokens | undefined;
  verifier = "";
  discovery: OAuthDiscoveryState | undefined;
  authorizationUrl: URL | undefined;
  get redirectUrl() {
    return callback;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "agent host under test",
      redirect_uris: [callback],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: StoredOAuthClientInformation) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: StoredOAuthTokens) {
    rememberSecret(tokens.access_token, ...(tokens.refresh_token ? [tokens.refresh_token] : []));
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
}

async function locationOf(res: Response, base: string): Promise<URL> {
  const location = res.headers.get("location");
  if (res.status !== 302 || !location) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(location, base);
}

/** The browser's part: the tenant's login page signs `userId` in, the consent prompt is accepted; the code. */
async function browse(em: Emulator, url: URL, userId: string): Promise<string> {
  const login = await locationOf(await fetch(url, { redirect: "manual" }), em.url);
  const form = { "content-type": "application/x-www-form-urlencoded" };
  const signedIn = await fetch(login, {
    method: "POST",
    redirect: "manual",
    headers: form,
    body: new URLSearchParams({ user_id: userId }).toString(),
  });
  const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const consent = await locationOf(signedIn, em.url);
  expect(consent.pathname).toBe("/u/consent");
  const back = await locationOf(
    await fetch(consent, {
      method: "POST",
      redirect: "manual",
      headers: { ...form, cookie },
      body: "action=accept",
    }),
    em.url,
  );
  expect(`${back.origin}${back.pathname}`).toBe(callback);
  return back.searchParams.get("code") ?? "";
}

interface Host {
  client: Client;
  transport: StreamableHTTPClientTransport;
  provider: HostProvider;
  call(name: string, args: Record<string, unknown>): ReturnType<Client["callTool"]>;
}

/** An agent host connecting as `userId`: the 401, the browser, then the connection. */
async function signIn(
  userId: string,
  options: { era?: Era; onInsufficientScope?: "reauthorize" | "throw" } = {},
): Promise<Host> {
  const em = emulator();
  const provider = new HostProvider();
  const open = () => {
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
      authProvider: provider,
      ...(options.onInsufficientScope ? { onInsufficientScope: options.onInsufficientScope } : {}),
    });
    const client = new Client(
      { name: "oauth-e2e", version: "0" },
      options.era === "2026-07-28" ? { versionNegotiation: { mode: { pin: options.era } } } : {},
    );
    return { client, transport };
  };
  const first = open();
  await expect(first.client.connect(first.transport)).rejects.toBeInstanceOf(UnauthorizedError);
  const url = provider.authorizationUrl;
  if (!url) throw new Error("the client did not open the browser");
  await first.transport.finishAuth(await browse(em, url, userId));
  const { client, transport } = open();
  await client.connect(transport);
  return {
    client,
    transport,
    provider,
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args });
      rememberOutput(`oauth tools/call ${name}`, JSON.stringify(result));
      return result;
    },
  };
}

/** A raw POST, as an attacker or a broken client sends one. */
async function post(authorization: string | undefined, body: Record<string, unknown>) {
  const response = await fetch(mcpUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, ...body }),
  });
  const text = await response.text();
  rememberOutput("oauth http", text);
  return { status: response.status, challenge: response.headers.get("www-authenticate"), text };
}

const listTools = { method: "tools/list", params: {} };
const initialize = {
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
};

/** A token the tenant signs for this server, as Auth0 would issue one to `sub` with `scopes`. */
async function minted(sub: string, scopes: string[], claims: Record<string, unknown> = {}, em = emulator()) {
  const token = await em.mintToken({ sub, scopes, claims: { aud: mcpUrl, azp: "tpc_test", ...claims } });
  rememberSecret(token);
  return token;
}

describe("the official MCP client signs in with the tenant", () => {
  test("discovers the tenant from the 401, registers, signs in with PKCE and resource, lists and calls tools", async () => {
    const host = await signIn(alice);
    try {
      const authorize = host.provider.authorizationUrl;
      expect(host.provider.client?.client_id).toMatch(/^tpc_/);
      expect(Object.fromEntries(authorize?.searchParams ?? [])).toMatchObject({
        resource: mcpUrl,
        code_challenge_method: "S256",
        // The 401's scope: reading only, until a write asks for more (least privilege).
        scope: expect.stringMatching(/^read:identities( offline_access)?$/),
      });
      const paths = emulator().state.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
      expect(paths).toEqual(
        expect.arrayContaining([
          "GET /.well-known/oauth-authorization-server 200",
          "POST /oidc/register 201",
          "POST /oauth/token 200",
          "GET /.well-known/jwks.json 200",
        ]),
      );
      const { tools } = await host.client.listTools();
      expect(tools).toHaveLength(7);
      const result = await host.call("get_user_identities", { user_id: frank });
      expect(structured(result).identities).toHaveLength(2);
      // The user's token only opened the door: Auth0 was called with the server's own credentials.
      expect(managementRequests().length).toBeGreaterThan(0);
      await expect
        .poll(() => server?.stderr() ?? "")
        .toContain(
          `debug: call by "${alice}" (client "${host.provider.client?.client_id}", scope "${host.provider.saved?.scope}"): tools/call get_user_identities`,
        );
    } finally {
      await host.client.close();
    }
  });

  test("serves the protected-resource metadata naming the tenant, without a token", async () => {
    const response = await fetch(metadataUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      resource: mcpUrl,
      authorization_servers: [emulator().issuer],
      scopes_supported: ["read:identities", "link:identities"],
      bearer_methods_supported: ["header"],
      resource_name: "idlink-mcp",
    });
  });

  test("steps up to link:identities when a write answers 403, then links with a confirmation", async () => {
    const host = await signIn(alice);
    try {
      expect(host.provider.saved?.scope).not.toContain("link:identities");
      const preview = await host.call("preview_link", { primary: alice, secondary: aliceGoogle });
      const confirmation = String(structured(preview).confirmation_token);
      host.provider.authorizationUrl = undefined;
      const args = { primary: alice, secondary: aliceGoogle, confirmation_token: confirmation };
      await expect(host.call("link_accounts", args)).rejects.toBeInstanceOf(UnauthorizedError);
      expect(identityIds(emulator(), alice)).toEqual([alice]);
      const stepUp = host.provider.authorizationUrl as URL | undefined;
      expect(stepUp?.searchParams.get("scope")?.split(" ")).toEqual(
        expect.arrayContaining(["read:identities", "link:identities"]),
      );
      if (!stepUp) throw new Error("no step-up");
      await host.transport.finishAuth(await browse(emulator(), stepUp, alice));
      expect(host.provider.saved?.scope).toContain("link:identities");
      const linked = await host.call("link_accounts", args);
      expect(structured(linked)).toMatchObject({ status: "linked" });
      expect(identityIds(emulator(), alice)).toEqual([alice, aliceGoogle]);
    } finally {
      await host.client.close();
    }
  });

  test.each(eras)("refuses the write tools to a read-only user (%s): 403 insufficient_scope", async (era) => {
    const host = await signIn(erin, { era, onInsufficientScope: "throw" });
    try {
      const read = await host.call("get_user_identities", { user_id: frank });
      expect(read.isError).toBeFalsy();
      const before = managementRequests().length;
      const error = await host
        .call("unlink_identity", { primary: frank, secondary: "github|1" })
        .catch((e) => e);
      expect(error).toBeInstanceOf(InsufficientScopeError);
      expect(error).toMatchObject({
        requiredScope: "link:identities",
        resourceMetadataUrl: new URL(metadataUrl),
      });
      expect(managementRequests().length).toBe(before);
    } finally {
      await host.client.close();
    }
  });
});

describe("a token the server refuses", () => {
  test("none at all: 401 with the resource metadata and the scope to ask for", async () => {
    const { status, challenge, text } = await post(undefined, initialize);
    expect(status).toBe(401);
    expect(challenge).toBe(`Bearer scope="read:identities", resource_metadata="${metadataUrl}"`);
    expect(JSON.parse(text).error_description).toContain(`a token of ${emulator().issuer} for ${mcpUrl}`);
  });

  test.each<[string, () => Promise<string>, string]>([
    [
      "a token for another audience (the Management API)",
      () => minted(alice, ["read:identities"], { aud: emulator().managementAudience }),
      `the access token is for ${"MANAGEMENT"}, not for this server`,
    ],
    [
      "an expired token (past the 60 s of clock skew)",
      () => minted(alice, ["read:identities"], { exp: Math.floor(Date.now() / 1000) - 61 }),
      "the access token expired at",
    ],
    [
      "a token signed with HS256 (alg other than the tenant's)",
      async () => {
        const token = await new SignJWT({ sub: alice, scope: "read:identities link:identities" })
          .setProtectedHeader({ alg: "HS256" })
          .setIssuer(emulator().issuer)
          .setAudience(mcpUrl)
          .setExpirationTime("1h")
          .sign(new TextEncoder().encode("forged-with-a-shared-secret-0123456789"));
        rememberSecret(token);
        return token;
      },
      `the access token is signed with HS256, but ${"ISSUER"} signs with RS256`,
    ],
  ])("%s: 401 invalid_token, and nothing reaches Auth0", async (_, make, message) => {
    const expected = message
      .replace("MANAGEMENT", emulator().managementAudience)
      .replace("ISSUER", emulator().issuer);
    const { status, challenge, text } = await post(`Bearer ${await make()}`, listTools);
    expect(status).toBe(401);
    expect(challenge).toContain('Bearer error="invalid_token"');
    expect(challenge).toContain(`resource_metadata="${metadataUrl}"`);
    expect(JSON.parse(text)).toEqual({
      error: "invalid_token",
      error_description: expect.stringContaining(expected),
    });
    expect(managementRequests()).toEqual([]);
  });

  test("a token expired within the 60 s of clock skew is still admitted", async () => {
    const token = await minted(alice, ["read:identities"], { exp: Math.floor(Date.now() / 1000) - 10 });
    expect((await post(`Bearer ${token}`, initialize)).status).toBe(200);
  });

  test("a token read-only in scope, calling a write: 403 with the scope it needs", async () => {
    const token = await minted(erin, ["read:identities"]);
    const { status, challenge } = await post(`Bearer ${token}`, {
      method: "tools/call",
      params: { name: "link_accounts", arguments: { primary: alice, secondary: aliceGoogle } },
    });
    expect(status).toBe(403);
    expect(challenge).toBe(
      `Bearer error="insufficient_scope", error_description="Insufficient scope", scope="link:identities", resource_metadata="${metadataUrl}"`,
    );
    expect(managementRequests()).toEqual([]);
  });

  test("another tenant's token: 401; and a server whose tenant's keys cannot be fetched fails closed with 503", async () => {
    const other = await createEmulator();
    let second: Spawned | undefined;
    try {
      const foreign = await minted(alice, ["read:identities"], {}, other);
      const refused = await post(`Bearer ${foreign}`, listTools);
      expect(refused.status).toBe(401);
      expect(JSON.parse(refused.text).error_description).toContain(
        `the access token was issued by ${other.issuer}, not by ${emulator().issuer}`,
      );
      // A server whose authorization server is the other tenant, which then goes away.
      second = start(emulator(), { IDLINK_MCP_AUTH_DOMAIN: other.url });
      const url = (await second.waitForStderr(/listening on (http:\S+)/))[1] ?? "";
      const token = await other.mintToken({ sub: alice, scopes: ["read:identities"], claims: { aud: url } });
      rememberSecret(token);
      const jwks = `${other.issuer}.well-known/jwks.json`;
      await other.stop();
      const response = await fetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, ...listTools }),
      });
      const body = await response.text();
      rememberOutput("oauth http", body);
      expect(response.status).toBe(503);
      expect(response.headers.get("www-authenticate")).toBeNull();
      expect(JSON.parse(body)).toEqual({
        error: "server_error",
        error_description: `cannot check the access token: the tenant's signing keys (${jwks}) could not be fetched — the connection failed (ECONNREFUSED); nothing was done, try again once the server reaches the tenant`,
      });
      expect(managementRequests()).toEqual([]);
    } finally {
      await second?.stop();
      if (second) expect(findSecrets([second.stdout(), second.stderr()])).toEqual([]);
      await other.stop().catch(() => {});
    }
  });
});

describe("a verified caller's malformed request", () => {
  const envelope = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": { name: "raw", version: "0" },
  };
  const unlink = { name: "unlink_identity", arguments: { primary: frank, secondary: "github|1" } };

  test.each<[string, Record<string, string>, Record<string, unknown>, number]>([
    [
      "a forged Mcp-Method hiding a write from a read-only user",
      { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
      { method: "tools/call", params: { ...unlink, _meta: envelope } },
      -32020,
    ],
    [
      "a 2025 call under a 2026-07-28 header (eras mixed)",
      { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": "unlink_identity" },
      { method: "tools/call", params: unlink },
      -32602,
    ],
    [
      "a 2026-07-28 call under a 2025 header (eras mixed)",
      { "mcp-protocol-version": "2025-11-25", "mcp-method": "tools/call", "mcp-name": "unlink_identity" },
      { method: "tools/call", params: { ...unlink, _meta: envelope } },
      -32020,
    ],
  ])(
    "is refused after the token is checked: %s (400, nothing reaches Auth0)",
    async (_, headers, body, code) => {
      const token = await minted(erin, ["read:identities"]);
      const response = await fetch(mcpUrl, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, ...body }),
      });
      const text = await response.text();
      rememberOutput("oauth http", text);
      expect(response.status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ error: { code } });
      expect(managementRequests()).toEqual([]);
    },
  );
});

describe("a confirmation is bound to the user who previewed", () => {
  test.each(eras)(
    "user A's confirmation is refused to user B, and A can still spend it (%s)",
    async (era) => {
      const connect = async (sub: string) => {
        const token = await minted(sub, ["read:identities", "link:identities"]);
        const client = new Client(
          { name: "oauth-e2e", version: "0" },
          era === "2026-07-28" ? { versionNegotiation: { mode: { pin: era } } } : {},
        );
        await client.connect(
          new StreamableHTTPClientTransport(new URL(mcpUrl), {
            requestInit: { headers: { authorization: `Bearer ${token}` } },
          }),
        );
        return client;
      };
      const [asAlice, asBob] = await Promise.all([connect(alice), connect(bob)]);
      try {
        const args = { primary: alice, secondary: aliceGoogle };
        const preview = await asAlice.callTool({ name: "preview_link", arguments: args });
        const confirmation_token = String(structured(preview).confirmation_token);
        const refused = await asBob.callTool({
          name: "link_accounts",
          arguments: { ...args, confirmation_token },
        });
        rememberOutput("oauth tools/call", JSON.stringify(refused));
        expect(refused.isError).toBe(true);
        expect(textOf(refused)).toContain("was issued to another user");
        expect(textOf(refused)).not.toContain(alice.split("|")[1] ?? alice);
        expect(identityIds(emulator(), alice)).toEqual([alice]);
        const linked = await asAlice.callTool({
          name: "link_accounts",
          arguments: { ...args, confirmation_token },
        });
        rememberOutput("oauth tools/call", JSON.stringify(linked));
        expect(structured(linked)).toMatchObject({ status: "linked" });
      } finally {
        await Promise.all([asAlice.close(), asBob.close()]);
      }
    },
  );
});

describe("behind a gateway", () => {
  test("serves the public resource: its metadata, its audience and its Host", async () => {
    const resource = "https://mcp.example.com/mcp";
    const gatewayed = start(emulator(), { IDLINK_MCP_RESOURCE: resource });
    try {
      const url = new URL((await gatewayed.waitForStderr(/listening on (http:\S+)/))[1] ?? "");
      /** A request as the gateway forwards it, with the public Host (node:http: fetch cannot set Host). */
      const forward = (host: string, path: string, token?: string) =>
        new Promise<{ status: number; challenge: string | undefined; body: string }>((resolve, reject) => {
          const req = httpRequest(
            {
              host: url.hostname,
              port: url.port,
              path,
              method: path === "/mcp" ? "POST" : "GET",
              headers: {
                host,
                "content-type": "application/json",
                accept: "application/json, text/event-stream",
                ...(token ? { authorization: `Bearer ${token}` } : {}),
              },
            },
            (res) => {
              let body = "";
              res.on("data", (chunk: Buffer) => {
                body += chunk.toString("utf8");
              });
              res.on("end", () => {
                rememberOutput("oauth gateway", body);
                const challenge = res.headers["www-authenticate"];
                resolve({ status: res.statusCode ?? 0, challenge, body });
              });
            },
          );
          req.on("error", reject);
          req.end(path === "/mcp" ? JSON.stringify({ jsonrpc: "2.0", id: 1, ...initialize }) : undefined);
        });
      const metadata = await forward("mcp.example.com", "/.well-known/oauth-protected-resource/mcp");
      expect(JSON.parse(metadata.body)).toMatchObject({
        resource,
        authorization_servers: [emulator().issuer],
      });
      expect((await forward("mcp.example.com", "/mcp")).challenge).toBe(
        'Bearer scope="read:identities", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
      );
      const token = await minted(alice, ["read:identities"], { aud: resource });
      expect((await forward("mcp.example.com", "/mcp", token)).status).toBe(200);
      // The listening URL is no audience of this server's tokens, and another Host is DNS rebinding.
      const local = await minted(alice, ["read:identities"], { aud: url.href });
      expect((await forward("mcp.example.com", "/mcp", local)).status).toBe(401);
      expect((await forward("evil.example", "/mcp", token)).status).toBe(403);
    } finally {
      await gatewayed.stop();
      expect(findSecrets([gatewayed.stdout(), gatewayed.stderr()])).toEqual([]);
    }
  });
});
