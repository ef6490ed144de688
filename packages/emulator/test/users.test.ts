import { describe, expect, test } from "vitest";
import { adminToken, alice, aliceGoogle, call, enc, useEmulator } from "./helpers.ts";

const emulator = useEmulator();

describe("get user", () => {
  test("answers the user with identities, IdP tokens only with read:user_idp_tokens", async () => {
    const em = emulator();
    const reader = await em.mintToken({ scopes: ["read:users"], azp: "idlink-reader" });
    const plain = await call(em, "GET", `/api/v2/users/${enc(aliceGoogle)}`, { token: reader });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ user_id: aliceGoogle, identities: [{ provider: "google-oauth2" }] });
    expect(JSON.stringify(plain.body)).not.toContain("emulator-only-idp");
    const full = await call(em, "GET", `/api/v2/users/${enc(aliceGoogle)}`, { token: await adminToken(em) });
    expect(JSON.stringify(full.body)).toContain("emulator-only-idp-access-token-google-alice");
  });

  test("answers 404 The user does not exist.", async () => {
    const em = emulator();
    const res = await call(em, "GET", `/api/v2/users/${enc("auth0|nobody")}`, {
      token: await adminToken(em),
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: "Not Found",
      message: "The user does not exist.",
      errorCode: "inexistent_user",
    });
  });

  test("selects fields", async () => {
    const em = emulator();
    const token = await adminToken(em);
    const included = await call(em, "GET", `/api/v2/users/${enc(alice)}?fields=user_id,email`, { token });
    expect(included.body).toEqual({ user_id: alice, email: "alice.martin@example.com" });
    const excluded = await call(
      em,
      "GET",
      `/api/v2/users/${enc(alice)}?fields=identities&include_fields=false`,
      {
        token,
      },
    );
    expect(excluded.body).not.toHaveProperty("identities");
    const bad = await call(em, "GET", `/api/v2/users/${enc(alice)}?include_fields=maybe`, { token });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ errorCode: "invalid_query_string" });
  });
});

describe("users by email", () => {
  test("finds every user with the exact email", async () => {
    const em = emulator();
    const res = await call(em, "GET", `/api/v2/users-by-email?email=${enc("alice.martin@example.com")}`, {
      token: await adminToken(em),
    });
    expect(res.status).toBe(200);
    expect((res.body as { user_id: string }[]).map((u) => u.user_id).sort()).toEqual(
      [alice, aliceGoogle].sort(),
    );
  });

  test("matches case-sensitively", async () => {
    const em = emulator();
    const res = await call(em, "GET", `/api/v2/users-by-email?email=${enc("Alice.Martin@example.com")}`, {
      token: await adminToken(em),
    });
    expect(res.body).toEqual([]);
  });

  test("answers 400 without email", async () => {
    const em = emulator();
    const res = await call(em, "GET", "/api/v2/users-by-email", { token: await adminToken(em) });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      message: "Query validation error: 'Missing required property: email'.",
    });
  });
});

describe("patch user metadata", () => {
  test("merges top-level keys and removes null ones", async () => {
    const em = emulator();
    const res = await call(em, "PATCH", `/api/v2/users/${enc(alice)}`, {
      token: await adminToken(em),
      body: { user_metadata: { newsletter: true, theme: null } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_metadata: { newsletter: true, locale: "en-GB" } });
    expect(em.state.getUser(alice)?.user_metadata).toEqual({ locale: "en-GB", newsletter: true });
  });

  test("refuses fields that are not a user's", async () => {
    const em = emulator();
    const res = await call(em, "PATCH", `/api/v2/users/${enc(alice)}`, {
      token: await adminToken(em),
      body: { favourite_colour: "teal" },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errorCode: "invalid_body" });
  });

  test("answers 404 for a missing user", async () => {
    const em = emulator();
    const res = await call(em, "PATCH", `/api/v2/users/${enc("auth0|nobody")}`, {
      token: await adminToken(em),
      body: { user_metadata: { a: 1 } },
    });
    expect(res.status).toBe(404);
  });
});
