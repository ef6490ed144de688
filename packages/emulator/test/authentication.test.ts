import { fetchChecked } from "@idlink/test-kit";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, test } from "vitest";
import { alice, aliceGoogle, call, enc, useEmulator } from "./helpers.ts";

const emulator = useEmulator();

function tokenRequest(url: string, body: Record<string, string>, form = false) {
  return fetchChecked(`${url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": form ? "application/x-www-form-urlencoded" : "application/json" },
    body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
}

describe("client credentials", () => {
  test("issues a Management token with the client's grants", async () => {
    const em = emulator();
    const res = await tokenRequest(em.url, {
      grant_type: "client_credentials",
      client_id: "idlink-admin",
      client_secret: "emulator-only-secret-admin",
      audience: em.managementAudience,
    });
    expect(res.status).toBe(200);
    const body = res.body as { access_token: string; scope: string; token_type: string; expires_in: number };
    expect(body).toMatchObject({
      token_type: "Bearer",
      expires_in: 86_400,
      scope:
        "read:users update:users read:user_idp_tokens read:actions create:actions update:actions delete:actions read:triggers update:triggers",
    });
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: "RS256" });
    expect(decodeJwt(body.access_token)).toMatchObject({
      iss: em.issuer,
      aud: em.managementAudience,
      sub: "idlink-admin@clients",
      azp: "idlink-admin",
      gty: "client-credentials",
      scope:
        "read:users update:users read:user_idp_tokens read:actions create:actions update:actions delete:actions read:triggers update:triggers",
    });
    const read = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token: body.access_token });
    expect(read.status).toBe(200);
  });

  test("narrows to the requested scope, from a form body", async () => {
    const em = emulator();
    const res = await tokenRequest(
      em.url,
      {
        grant_type: "client_credentials",
        client_id: "idlink-admin",
        client_secret: "emulator-only-secret-admin",
        audience: em.managementAudience,
        scope: "read:users",
      },
      true,
    );
    expect(res.body).toMatchObject({ scope: "read:users" });
  });

  test.each([
    ["an unknown client", { client_id: "nobody", client_secret: "x" }, 401, "access_denied"],
    ["a wrong secret", { client_id: "idlink-admin", client_secret: "wrong" }, 401, "access_denied"],
    ["another audience", { audience: "https://elsewhere.example/api/v2/" }, 403, "access_denied"],
    [
      "an ungranted scope",
      { client_id: "idlink-reader", client_secret: "emulator-only-secret-reader", scope: "update:users" },
      403,
      "access_denied",
    ],
    ["another grant type", { grant_type: "password" }, 403, "unauthorized_client"],
    ["no audience", { audience: "" }, 403, "access_denied"],
  ])("refuses %s", async (_name, override, status, error) => {
    const em = emulator();
    const res = await tokenRequest(em.url, {
      grant_type: "client_credentials",
      client_id: "idlink-admin",
      client_secret: "emulator-only-secret-admin",
      audience: em.managementAudience,
      ...override,
    });
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error, error_description: expect.any(String) });
  });
});

describe("client credentials without audience", () => {
  test.each([
    ["JSON", false],
    ["a form", true],
  ])("answers the legacy API v1 refusal from %s", async (_name, form) => {
    const em = emulator();
    const res = await tokenRequest(
      em.url,
      {
        grant_type: "client_credentials",
        client_id: "idlink-admin",
        client_secret: "emulator-only-secret-admin",
      },
      form,
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: "access_denied",
      error_description: "Non-global clients are not allowed access to APIv1",
    });
  });
});

describe("discovery", () => {
  test("publishes its RS256 key and OpenID configuration", async () => {
    const em = emulator();
    const jwks = await (await fetch(`${em.url}/.well-known/jwks.json`)).json();
    expect(jwks).toMatchObject({ keys: [{ kty: "RSA", alg: "RS256", use: "sig", kid: expect.any(String) }] });
    expect(JSON.stringify(jwks)).not.toMatch(/"d":/);
    const config = await (await fetch(`${em.url}/.well-known/openid-configuration`)).json();
    expect(config).toMatchObject({ issuer: em.issuer, jwks_uri: `${em.url}/.well-known/jwks.json` });
  });
});

describe("dev login", () => {
  test("mints the user's ID token and access token", async () => {
    const em = emulator();
    const res = await fetch(`${em.url}/emulator/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user_id: aliceGoogle }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id_token: string; access_token: string; expires_in: number };
    expect(decodeJwt(body.id_token)).toMatchObject({
      iss: em.issuer,
      aud: "idlink-spa",
      sub: aliceGoogle,
      email: "alice.martin@example.com",
      email_verified: true,
      name: "Alice Martin",
    });
    expect(decodeJwt(body.access_token)).toMatchObject({
      aud: [em.managementAudience, `${em.issuer}userinfo`],
      azp: "idlink-spa",
      sub: aliceGoogle,
      scope: "openid profile email read:current_user update:current_user_identities",
    });
  });

  test("answers 404 for an unknown user", async () => {
    const em = emulator();
    const res = await fetch(`${em.url}/emulator/login`, {
      method: "POST",
      body: JSON.stringify({ user_id: "x|y" }),
    });
    expect(res.status).toBe(404);
  });
});
