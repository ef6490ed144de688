import { createPublicKey } from "node:crypto";
import { generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, describe, expect, test } from "vitest";
import type { Emulator } from "../src/index.ts";
import { alice, aliceGoogle, bob, call, enc, identitiesPath, unlinkPath, useEmulator } from "./helpers.ts";

const emulator = useEmulator();
const refused = { tokens: 0, scopes: 0, subjects: 0 };
afterAll(() =>
  console.log(
    `emulator security: ${refused.tokens} forged, expired or misaddressed tokens refused with 401, ` +
      `${refused.scopes} calls without their scope refused with 403, ${refused.subjects} acts on another user refused with 403`,
  ),
);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function claims(em: Emulator, extra: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: em.issuer,
    aud: em.managementAudience,
    sub: "idlink-admin@clients",
    azp: "idlink-admin",
    scope: "read:users update:users",
    iat: now,
    exp: now + 600,
    ...extra,
  };
}

async function publicJwk(em: Emulator): Promise<JWK> {
  const jwks = (await (await fetch(`${em.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  const [key] = jwks.keys;
  if (!key) throw new Error("no key");
  return key;
}

const badTokens: [string, (em: Emulator) => Promise<string>, string][] = [
  [
    "alg none",
    async (em) => `${b64({ alg: "none", typ: "JWT" })}.${b64(await claims(em))}.`,
    "Invalid token",
  ],
  [
    "HS256 signed with the public key",
    async (em) => {
      const jwk = await publicJwk(em);
      const pem = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
      return new SignJWT(await claims(em))
        .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: jwk.kid })
        .sign(new TextEncoder().encode(String(pem)));
    },
    "Invalid token",
  ],
  [
    "a foreign key with the tenant's kid",
    async (em) => {
      const { privateKey } = await generateKeyPair("RS256");
      const { kid } = await publicJwk(em);
      return new SignJWT(await claims(em)).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey);
    },
    "Invalid signature received for JSON Web Token validation.",
  ],
  [
    "an expired token",
    (em) => em.mintToken({ scopes: ["read:users"], expiresIn: -60 }),
    "Expired token received for JSON Web Token validation",
  ],
];

describe("bearer checks", () => {
  test("refuses a request without Authorization", async () => {
    const res = await call(emulator(), "GET", `/api/v2/users/${enc(alice)}`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ statusCode: 401, error: "Unauthorized", message: "Missing authentication" });
  });

  test("refuses a non-Bearer scheme", async () => {
    const res = await fetch(`${emulator().url}/api/v2/users/${enc(alice)}`, {
      headers: { authorization: "Basic abc" },
    });
    expect(res.status).toBe(401);
  });

  test.each([
    ["a token that is not a JWT", "Bearer not-a-jwt"],
    ["a header of three words", "Bearer a.b.c extra"],
    ["a scheme alone", "Bearer"],
  ])("answers 400 for %s", async (_name, authorization) => {
    const res = await fetch(`${emulator().url}/api/v2/users/${enc(alice)}`, { headers: { authorization } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      statusCode: 400,
      error: "Bad Request",
      message: "Bad HTTP authentication header format",
      errorCode: "Bearer",
    });
  });

  test.each(badTokens)("refuses %s", async (_name, make, message) => {
    const em = emulator();
    const res = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token: await make(em) });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: "Unauthorized",
      message,
      attributes: { error: message },
    });
    expect(res.headers.get("www-authenticate")).toContain(message);
    refused.tokens++;
  });

  test.each([
    ["a wrong issuer", { iss: "https://other.example/" }, "Invalid token"],
    [
      "a wrong audience",
      { aud: "https://other.example/api/v2/" },
      "Bad audience: https://other.example/api/v2/",
    ],
    ["a future nbf", { nbf: Math.floor(Date.now() / 1000) + 3600 }, "Invalid token"],
  ])("refuses a token with %s", async (_name, extra, message) => {
    const em = emulator();
    // Signed by the tenant itself, so only the claim is wrong.
    const forged = await em.mintToken({ scopes: ["read:users"], claims: extra });
    const res = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token: forged });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, message });
    refused.tokens++;
  });

  test("accepts a token the tenant minted", async () => {
    const em = emulator();
    const res = await call(em, "GET", `/api/v2/users/${enc(alice)}`, {
      token: await em.mintToken({ scopes: ["read:users"] }),
    });
    expect(res.status).toBe(200);
  });
});

describe("scopes and subject", () => {
  test.each([
    [
      "GET",
      `/api/v2/users/${enc(alice)}`,
      ["update:users"],
      "Insufficient scope, expected any of: read:users,read:current_user,read:user_idp_tokens",
    ],
    [
      "GET",
      `/api/v2/users-by-email?email=x%40example.com`,
      ["update:users"],
      "Insufficient scope, expected any of: read:users",
    ],
    [
      "POST",
      identitiesPath(alice),
      ["read:users"],
      "Insufficient scope, expected any of: update:users,update:current_user_identities",
    ],
    [
      "DELETE",
      unlinkPath(alice, "google-oauth2", "1"),
      ["read:users"],
      "Insufficient scope, expected any of: update:users,update:current_user_identities",
    ],
    [
      "PATCH",
      `/api/v2/users/${enc(alice)}`,
      ["read:users"],
      "Insufficient scope, expected any of: update:users",
    ],
  ])("%s %s needs its scope", async (method, path, scopes, message) => {
    const em = emulator();
    const res = await call(em, method, path, {
      token: await em.mintToken({ scopes }),
      ...(method === "POST" || method === "PATCH" ? { body: { user_metadata: {} } } : {}),
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: "Forbidden",
      message,
      errorCode: "insufficient_scope",
    });
    refused.scopes++;
  });

  test("a user's own token cannot act on another user", async () => {
    const em = emulator();
    const { access_token } = await em.login(bob);
    for (const [method, path] of [
      ["POST", identitiesPath(alice)],
      ["DELETE", unlinkPath(alice, "google-oauth2", "108234567890123456789")],
      ["GET", `/api/v2/users/${enc(alice)}`],
    ] as const) {
      const res = await call(em, method, path, {
        token: access_token,
        ...(method === "POST" ? { body: { link_with: "x.y.z" } } : {}),
      });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        statusCode: 403,
        error: "Forbidden",
        message: "User to be acted on does not match subject in bearer token.",
      });
      refused.subjects++;
    }
  });

  test("a user's own token reads itself", async () => {
    const em = emulator();
    const { access_token } = await em.login(alice);
    const res = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token: access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: alice });
  });

  test("a user's own token cannot send provider and user_id", async () => {
    const em = emulator();
    const { access_token } = await em.login(alice);
    const res = await call(em, "POST", identitiesPath(alice), {
      token: access_token,
      body: { provider: "google-oauth2", user_id: aliceGoogle.split("|")[1] },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ errorCode: "insufficient_scope" });
    expect(em.state.getUser(aliceGoogle)).toBeDefined();
  });
});

describe("tokens that are not Management API access tokens", () => {
  test("an ID token is refused as Invalid token, naming no audience", async () => {
    const em = emulator();
    const { id_token } = await em.login(alice);
    const res = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token: id_token });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: "Unauthorized",
      message: "Invalid token",
      attributes: { error: "Invalid token" },
    });
  });

  test("an access token for another API names its audience", async () => {
    const em = emulator();
    const token = await em.mintToken({ scopes: ["read:users"], claims: { aud: "https://api.example/" } });
    const res = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ message: "Bad audience: https://api.example/" });
  });
});
