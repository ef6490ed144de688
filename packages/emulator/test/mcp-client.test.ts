import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as kit from "@idlink/test-kit";
import {
  auth,
  discoverAuthorizationServerMetadata,
  extractWWWAuthenticateParams,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  RegistrationRejectedError,
  type StoredOAuthClientInformation,
  type StoredOAuthTokens,
} from "@modelcontextprotocol/client";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type Emulator, idlinkMcpApi, idlinkMcpScopes, seedUsers } from "../src/index.ts";
import { useEmulator } from "./helpers.ts";
import { locationOf } from "./login-flow.ts";

// The official MCP client's OAuth (`@modelcontextprotocol/client`'s `auth()`: discovery from a 401, registration,
// PKCE, the `resource` parameter) against the emulator as the authorization server. The MCP server is a stand-in of
// a few lines: it answers 401 with `resource_metadata`, serves its protected-resource metadata (RFC 9728), and
// checks a bearer token as idlink-mcp will (the tenant's JWKS, its own URL as audience).

const emulator = useEmulator({ tenantSettings: { flags: { enable_dynamic_client_registration: true } } });
const callback = "http://127.0.0.1:33418/callback";

let server: Server;
let mcpUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const em = emulator();
    const origin = `http://${req.headers.host}`;
    if (req.url === "/.well-known/oauth-protected-resource/mcp") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          resource: mcpUrl,
          authorization_servers: [em.issuer],
          scopes_supported: [idlinkMcpScopes.read, idlinkMcpScopes.link],
          bearer_methods_supported: ["header"],
        }),
      );
      return;
    }
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
    const challenge = `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`;
    const jwks = createRemoteJWKSet(new URL(`${em.issuer}.well-known/jwks.json`));
    (bearer
      ? jwtVerify(bearer, jwks, { issuer: em.issuer, audience: mcpUrl })
      : Promise.reject(new Error("none"))
    )
      .then(({ payload }) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ sub: payload.sub, scope: payload.scope }));
      })
      .catch(() => {
        res.writeHead(401, { "www-authenticate": challenge });
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  mcpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  emulator().state.addResourceServer(idlinkMcpApi(mcpUrl));
});

/** An in-memory provider, as an MCP host keeps one per server; `authorizationUrl` is where it would open a browser. */
class MemoryProvider implements OAuthClientProvider {
  client: StoredOAuthClientInformation | undefined;
  saved: StoredOAuthTokens | undefined;
  verifier = "";
  discovery: OAuthDiscoveryState | undefined;
  authorizationUrl: URL | undefined;
  constructor(readonly clientMetadataUrl?: string) {}
  get redirectUrl() {
    return callback;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "MCP client under test",
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
    kit.recordSecrets(tokens.access_token, tokens.refresh_token);
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

/** The browser's part: the login page signs `userId` in, the consent prompt is accepted; answers the code. */
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
  const prompt = await locationOf(signedIn, em.url);
  expect(prompt.pathname).toBe("/u/consent");
  const accepted = await fetch(prompt, {
    method: "POST",
    redirect: "manual",
    headers: { ...form, cookie },
    body: "action=accept",
  });
  const back = await locationOf(accepted, em.url);
  return back.searchParams.get("code") ?? "";
}

/** From the MCP server's 401 to a token, as an MCP host runs it. */
async function connect(em: Emulator, provider: MemoryProvider, userId: string) {
  const unauthorized = await fetch(mcpUrl, { method: "POST" });
  expect(unauthorized.status).toBe(401);
  const { resourceMetadataUrl } = extractWWWAuthenticateParams(unauthorized);
  expect(await auth(provider, { serverUrl: mcpUrl, resourceMetadataUrl })).toBe("REDIRECT");
  const url = provider.authorizationUrl;
  if (!url) throw new Error("the client did not redirect");
  const code = await browse(em, url, userId);
  expect(await auth(provider, { serverUrl: mcpUrl, resourceMetadataUrl, authorizationCode: code })).toBe(
    "AUTHORIZED",
  );
  return url;
}

describe("the official MCP client against the emulator", () => {
  test("discovers the tenant from the 401, registers, signs in with PKCE and resource, and reaches the server", async () => {
    const em = emulator();
    const provider = new MemoryProvider();
    const url = await connect(em, provider, seedUsers.alice);
    expect(provider.client?.client_id).toMatch(/^tpc_/);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: provider.client?.client_id,
      resource: mcpUrl,
      scope: "read:identities link:identities offline_access",
      prompt: "consent",
      code_challenge_method: "S256",
    });
    // RFC 8414 first: the OIDC document is never needed, since Auth0 serves the alias.
    const discovery = em.state.requests.filter((r) => r.path.startsWith("/.well-known/"));
    expect(discovery.map((r) => `${r.path} ${r.status}`)).toEqual([
      "/.well-known/oauth-authorization-server 200",
    ]);
    const reached = await fetch(mcpUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${provider.saved?.access_token}` },
    });
    expect(await reached.json()).toEqual({
      sub: seedUsers.alice,
      scope: "read:identities link:identities offline_access",
    });
    expect(provider.saved?.refresh_token).toEqual(expect.any(String));
  });

  test("refreshes through auth() with the same resource", async () => {
    const em = emulator();
    const provider = new MemoryProvider();
    await connect(em, provider, seedUsers.erin);
    const before = provider.saved?.refresh_token;
    expect(await auth(provider, { serverUrl: mcpUrl })).toBe("AUTHORIZED");
    // Rotation: the refresh answered a new refresh token (an access token minted in the same second is the same).
    expect(provider.saved?.refresh_token).not.toBe(before);
    const refreshes = em.state.requests.filter((r) => r.path === "/oauth/token");
    expect(refreshes.map((r) => r.status)).toEqual([200, 200]);
    const { payload } = await jwtVerify(
      provider.saved?.access_token ?? "",
      createRemoteJWKSet(new URL(`${em.issuer}.well-known/jwks.json`)),
      { audience: mcpUrl },
    );
    expect(payload.scope).toBe("read:identities offline_access");
  });

  test("uses a registered Client ID Metadata Document instead of registering", async () => {
    const em = emulator();
    const cimd = "https://client.example.com/oauth/mcp-client.json";
    em.setTenantSettings({ client_id_metadata_document_supported: true });
    try {
      em.state.registerClientMetadataDocument(cimd, {
        client_id: cimd,
        application_type: "native",
        ...new MemoryProvider().clientMetadata,
      });
      const provider = new MemoryProvider(cimd);
      const url = await connect(em, provider, seedUsers.alice);
      expect(url.searchParams.get("client_id")).toBe(cimd);
      expect(em.state.requests.some((r) => r.path === "/oidc/register")).toBe(false);
      expect(provider.saved?.access_token).toEqual(expect.any(String));
    } finally {
      em.setTenantSettings({ client_id_metadata_document_supported: false });
    }
  });

  test("fails registration when the tenant has Dynamic Client Registration off", async () => {
    const em = emulator();
    em.setTenantSettings({ flags: { enable_dynamic_client_registration: false } });
    try {
      const error = await auth(new MemoryProvider(), { serverUrl: mcpUrl }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistrationRejectedError);
      expect((error as RegistrationRejectedError).status).toBe(403);
    } finally {
      em.setTenantSettings({ flags: { enable_dynamic_client_registration: true } });
    }
  });

  test("reads the metadata of the issuer alone, as the SDK's discovery function does", async () => {
    const em = emulator();
    const metadata = await discoverAuthorizationServerMetadata(em.issuer);
    expect(metadata).toMatchObject({ issuer: em.issuer, registration_endpoint: `${em.issuer}oidc/register` });
  });
});
