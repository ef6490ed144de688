import { describe, expect, test } from "vitest";
import type { Emulator } from "../src/index.ts";
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

  test.each([
    ["a malformed address", "not-an-email"],
    ["an empty address", ""],
    ["an address ending in a zero-width space", "alice.martin@example.com\u200b"],
  ])("refuses %s, naming the value and the property", async (_name, email) => {
    const em = emulator();
    const res = await call(em, "GET", `/api/v2/users-by-email?email=${enc(email)}`, {
      token: await adminToken(em),
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: "Bad Request",
      message: `Query validation error: 'Object didn't pass validation for format email: ${email}' on property email (Email address to search for (case-sensitive)).`,
      errorCode: "invalid_query_string",
    });
  });

  test("refuses a parameter it does not take", async () => {
    const em = emulator();
    const res = await call(em, "GET", `/api/v2/users-by-email?email=x%40example.com&page=0&per_page=5`, {
      token: await adminToken(em),
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      message: "Query validation error: 'Additional properties not allowed: page,per_page'.",
      errorCode: "invalid_query_string",
    });
  });
});

describe("request body encodings", () => {
  const patch = async (em: Emulator, contentType: string | undefined, body: string | Uint8Array) =>
    fetch(`${em.url}/api/v2/users/${enc(alice)}`, {
      method: "PATCH",
      headers: {
        authorization: `Bearer ${await adminToken(em)}`,
        ...(contentType === undefined ? {} : { "content-type": contentType }),
      },
      body,
    });

  test("reads a form body as string fields and validates them", async () => {
    const em = emulator();
    const named = await patch(em, "application/x-www-form-urlencoded", "name=Alice%20M.&given_name=Al");
    expect(named.status).toBe(200);
    expect(await named.json()).toMatchObject({ name: "Alice M.", given_name: "Al" });
    const metadata = await patch(em, "application/x-www-form-urlencoded", "user_metadata=x");
    expect(metadata.status).toBe(400);
    expect(await metadata.json()).toMatchObject({
      message:
        "Payload validation error: 'Expected type object but found type string' on property user_metadata.",
      errorCode: "invalid_body",
    });
  });

  test("reads a body without content type as JSON", async () => {
    const em = emulator();
    // Bytes, so that fetch adds no content type of its own (it would say text/plain for a string).
    const res = await patch(em, undefined, new TextEncoder().encode(JSON.stringify({ nickname: "ally" })));
    expect(res.status).toBe(200);
    expect(em.state.getUser(alice)?.nickname).toBe("ally");
  });

  test.each(["text/plain", "client/json", "multipart/form-data; boundary=x"])(
    "refuses %s with 415 and changes nothing",
    async (type) => {
      const em = emulator();
      const res = await patch(em, type, JSON.stringify({ name: "Mallory" }));
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({
        statusCode: 415,
        error: "Unsupported Media Type",
        message: "Unsupported Media Type",
      });
      expect(res.headers.get("x-ratelimit-limit")).toBeNull();
      expect(em.state.getUser(alice)?.name).toBe("Alice Martin");
    },
  );
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
