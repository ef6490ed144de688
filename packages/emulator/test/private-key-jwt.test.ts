import { ManagementClient } from "auth0";
import {
  type CryptoKey,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  type JWTPayload,
  SignJWT,
} from "jose";
import { describe, expect, test } from "vitest";
import { defaultSeed, type Emulator, parseSeed, withPrivateKeyJwtClient } from "../src/index.ts";
import { alice, call, useEmulator } from "./helpers.ts";

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const clientId = "idlink-admin-jwt";
const customDomain = "login.idlink-test.example";

// A dev key pair made by the test: the emulator only ever holds the public half.
const pair = await generateKeyPair("RS256", { extractable: true });
const other = await generateKeyPair("RS256", { extractable: true });
const publicKeyPem = await exportSPKI(pair.publicKey);
// The same key, for PS256 (WebCrypto binds a key to one algorithm).
const pssKey = await importPKCS8(await exportPKCS8(pair.privateKey), "PS256");
const seed = withPrivateKeyJwtClient(defaultSeed(), { clientId, publicKeyPem });
const emulator = useEmulator({ seed, customDomains: [customDomain] });

interface AssertionOptions {
  alg?: string;
  key?: CryptoKey;
  claims?: JWTPayload;
  lifetime?: number;
}

async function assertion(em: Emulator, options: AssertionOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: clientId,
    sub: clientId,
    aud: em.issuer,
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + (options.lifetime ?? 60),
    ...options.claims,
  })
    .setProtectedHeader({ alg: options.alg ?? "RS256" })
    .sign(options.key ?? pair.privateKey);
}

function token(em: Emulator, body: Record<string, unknown>) {
  return fetch(`${em.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: clientId,
      client_assertion_type: assertionType,
      audience: em.managementAudience,
      ...body,
    }),
  });
}

describe("Private Key JWT on /oauth/token", () => {
  test("issues a Management token for a signed assertion", async () => {
    const em = emulator();
    const res = await token(em, { client_assertion: await assertion(em) });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const user = await call(em, "GET", `/api/v2/users/${encodeURIComponent(alice)}`, { token: access_token });
    expect(user.status).toBe(200);
  });

  test.each([
    ["the tenant URL", (em: Emulator) => em.issuer],
    ["the token endpoint", (em: Emulator) => `${em.issuer}oauth/token`],
    ["a custom domain", () => `https://${customDomain}/`],
  ])("accepts %s as aud", async (_name, aud) => {
    const em = emulator();
    const res = await token(em, { client_assertion: await assertion(em, { claims: { aud: aud(em) } }) });
    expect(res.status).toBe(200);
  });

  test("refuses an assertion presented twice (its jti)", async () => {
    const em = emulator();
    const once = await assertion(em);
    expect((await token(em, { client_assertion: once })).status).toBe(200);
    const again = await token(em, { client_assertion: once });
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({
      error: "invalid_client",
      error_description: "The client assertion 'jti' has already been used",
    });
  });

  const refusals: [string, (em: Emulator) => Promise<Record<string, unknown>>, number, string, string][] = [
    [
      "another key's signature",
      async (em) => ({ client_assertion: await assertion(em, { key: other.privateKey }) }),
      401,
      "invalid_client",
      "Invalid client assertion signature",
    ],
    [
      "an alg the credential was not registered with",
      async (em) => ({ client_assertion: await assertion(em, { alg: "PS256", key: pssKey }) }),
      401,
      "invalid_client",
      "alg must be the credential's (RS256)",
    ],
    [
      "a tenant URL without its trailing slash",
      async (em) => ({ client_assertion: await assertion(em, { claims: { aud: em.url } }) }),
      401,
      "invalid_client",
      "'aud' claim must be the tenant URL",
    ],
    [
      "another tenant's aud",
      async (em) => ({
        client_assertion: await assertion(em, { claims: { aud: "https://other.auth0.com/" } }),
      }),
      401,
      "invalid_client",
      "'aud' claim",
    ],
    [
      "an iss that is not the client",
      async (em) => ({ client_assertion: await assertion(em, { claims: { iss: "someone" } }) }),
      401,
      "invalid_client",
      "'iss' claim must be the client id",
    ],
    [
      "a lifetime over five minutes",
      async (em) => ({ client_assertion: await assertion(em, { lifetime: 600 }) }),
      401,
      "invalid_client",
      "no more than 5 minutes after 'iat'",
    ],
    [
      "no exp",
      async (em) => ({ client_assertion: await assertion(em, { claims: { exp: undefined } }) }),
      401,
      "invalid_client",
      "no 'exp' claim",
    ],
    [
      "an expired assertion",
      async (em) => ({ client_assertion: await assertion(em, { claims: { iat: 1_000, exp: 1_060 } }) }),
      401,
      "invalid_client",
      "has expired",
    ],
    [
      "no jti",
      async (em) => ({ client_assertion: await assertion(em, { claims: { jti: undefined } }) }),
      401,
      "invalid_client",
      "'jti' claim",
    ],
    [
      "a secret beside the assertion",
      async (em) => ({ client_assertion: await assertion(em), client_secret: "x" }),
      400,
      "invalid_request",
      "cannot be used together",
    ],
    [
      "a wrong assertion type",
      async (em) => ({ client_assertion: await assertion(em), client_assertion_type: "jwt" }),
      400,
      "invalid_request",
      "client_assertion_type must be",
    ],
    [
      "a client that uses a secret",
      async (em) => ({
        client_id: "idlink-admin",
        client_assertion: await assertion(em, { claims: { iss: "idlink-admin", sub: "idlink-admin" } }),
      }),
      401,
      "invalid_client",
      "not configured to authenticate with Private Key JWT",
    ],
    [
      "an unknown client",
      async (em) => ({ client_id: "nobody", client_assertion: await assertion(em) }),
      401,
      "access_denied",
      "Unauthorized",
    ],
    ["not a JWT", async () => ({ client_assertion: "not-a-jwt" }), 401, "invalid_client", "not a valid JWT"],
  ];

  test.each(refusals)("refuses %s", async (_name, body, status, error, description) => {
    const em = emulator();
    const res = await token(em, await body(em));
    expect(res.status).toBe(status);
    const answer = (await res.json()) as { error: string; error_description: string };
    expect(Object.keys(answer).sort()).toEqual(["error", "error_description"]);
    expect(answer.error).toBe(error);
    expect(answer.error_description).toContain(description);
  });

  test("refuses the client's secret: it authenticates with its key only", async () => {
    const em = emulator();
    const res = await token(em, { client_assertion_type: undefined, client_secret: "anything" });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "access_denied", error_description: "Unauthorized" });
  });

  test("announces private_key_jwt in its OpenID configuration", async () => {
    const em = emulator();
    const config = (await (await fetch(`${em.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(config.token_endpoint_auth_methods_supported).toContain("private_key_jwt");
  });
});

describe("seed credentials", () => {
  test("refuse a private key where the public key belongs", async () => {
    const pem = await exportPKCS8(pair.privateKey);
    const bad = withPrivateKeyJwtClient(defaultSeed(), { clientId, publicKeyPem: pem });
    expect(() => parseSeed(bad)).toThrow(/is a private key — register the PUBLIC key/);
  });

  test("refuse a client with both a secret and a key", () => {
    const bad = withPrivateKeyJwtClient(defaultSeed(), { clientId, publicKeyPem });
    const client = bad.clients.at(-1);
    if (client) client.client_secret = "also-a-secret";
    expect(() => parseSeed(bad)).toThrow(/has a client_secret and Private Key JWT credentials/);
  });
});

describe("Auth0's Node SDK in its private-key mode", () => {
  test("gets a token with clientAssertionSigningKey and reads a user", async () => {
    const em = emulator();
    const domain = customDomain;
    const sent: string[] = [];
    const rewrite: typeof fetch = async (input, init) => {
      const original = input instanceof Request ? input.url : String(input);
      sent.push(new URL(original).pathname);
      return fetch(original.replace(`https://${domain}`, em.url), init);
    };
    const client = new ManagementClient({
      domain,
      audience: em.managementAudience,
      clientId,
      clientAssertionSigningKey: await exportPKCS8(pair.privateKey),
      fetch: rewrite,
      maxRetries: 0,
    });
    const user = await client.users.get(alice);
    expect(user.user_id).toBe(alice);
    expect(sent).toEqual(["/oauth/token", `/api/v2/users/${encodeURIComponent(alice)}`]);
  });
});
