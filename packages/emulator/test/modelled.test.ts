import { describe, expect, test } from "vitest";
import {
  adminToken,
  alice,
  call,
  carol,
  enc,
  frank,
  frankGithub,
  identitiesPath,
  unlinkPath,
  useEmulator,
} from "./helpers.ts";

// Answers the emulator models without a recorded one (README: "Modelled, not observed"), and the edges of the
// observed behaviours that the fidelity corpus does not replay.

const emulator = useEmulator();

describe("modelled answers", () => {
  test("unlink on a missing primary answers 404 The user does not exist.", async () => {
    const em = emulator();
    const res = await call(em, "DELETE", unlinkPath("auth0|nobody", "github", "1"), {
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

  test("an identity already in this primary answers 409 and changes nothing", async () => {
    const em = emulator();
    const res = await call(em, "POST", identitiesPath(frank), {
      token: await adminToken(em),
      body: { provider: "github", user_id: frankGithub.split("|")[1] },
    });
    expect(res.status).toBe(409);
    expect(em.state.getUser(frank)?.identities).toHaveLength(2);
  });

  test("a link payload error names the property and its description", async () => {
    const em = emulator();
    const res = await call(em, "POST", identitiesPath(alice), {
      token: await adminToken(em),
      body: { provider: "gogle", user_id: "1" },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      message:
        "Payload validation error: 'No enum match for: \"gogle\"' on property provider (Identity provider of the secondary user account being linked).",
      errorCode: "invalid_body",
    });
  });
});

describe("PATCH edges", () => {
  test("refuses a root attribute of the wrong type, naming it, and changes nothing", async () => {
    const em = emulator();
    const res = await call(em, "PATCH", `/api/v2/users/${enc(carol)}`, {
      token: await adminToken(em),
      body: { given_name: 42, user_metadata: { a: 1 } },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      message:
        "Payload validation error: 'Expected type string but found type number' on property given_name.",
    });
    expect(em.state.getUser(carol)?.user_metadata).toBeUndefined();
  });

  test("an app_metadata emptied key by key disappears, an emptied user_metadata stays {}", async () => {
    const em = emulator();
    const token = await adminToken(em);
    await call(em, "PATCH", `/api/v2/users/${enc(carol)}`, {
      token,
      body: { user_metadata: { a: 1 }, app_metadata: { b: 2 } },
    });
    const res = await call(em, "PATCH", `/api/v2/users/${enc(carol)}`, {
      token,
      body: { user_metadata: { a: null }, app_metadata: { b: null } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_metadata: {} });
    expect(res.body).not.toHaveProperty("app_metadata");
  });

  test("never stores or echoes a password", async () => {
    const em = emulator();
    const res = await call(em, "PATCH", `/api/v2/users/${enc(carol)}`, {
      token: await adminToken(em),
      body: { password: "emulator-only-not-stored", connection: "Username-Password-Authentication" },
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain("emulator-only-not-stored");
    expect(JSON.stringify(em.state.getUser(carol))).not.toContain("emulator-only-not-stored");
  });
});
