import { generateKeyPair, SignJWT } from "jose";
import { describe, expect, test } from "vitest";
import { type Emulator, seedUsers } from "../src/index.ts";
import {
  adminToken,
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  call,
  databaseConnectionId,
  enc,
  frank,
  frankGithub,
  grace,
  identitiesPath,
  jane,
  janeSaml,
  unlinkPath,
  useEmulator,
} from "./helpers.ts";

const emulator = useEmulator();

async function link(em: Emulator, primary: string, body: unknown, token?: string) {
  return call(em, "POST", identitiesPath(primary), { token: token ?? (await adminToken(em)), body });
}

describe("link by provider and user_id", () => {
  test("moves the secondary into the primary and discards its metadata", async () => {
    const em = emulator();
    const res = await link(em, alice, { provider: "google-oauth2", user_id: "108234567890123456789" });
    expect(res.status).toBe(201);
    expect(res.body).toEqual([
      expect.objectContaining({ provider: "auth0", user_id: "64f1a2b3c4d5e6f708192a3b" }),
      expect.objectContaining({
        provider: "google-oauth2",
        user_id: "108234567890123456789",
        connection: "google-oauth2",
        isSocial: true,
        profileData: expect.objectContaining({ email: "alice.martin@example.com", email_verified: true }),
      }),
    ]);
    expect(em.state.getUser(aliceGoogle)).toBeUndefined();
    const primary = em.state.getUser(alice);
    expect(primary?.user_metadata).toEqual({ theme: "dark", locale: "en-GB" });
    expect(JSON.stringify(primary)).not.toContain("newsletter");
  });

  test("accepts an integer user_id", async () => {
    const em = emulator();
    const res = await link(em, bob, { provider: "github", user_id: 5812345 });
    expect(res.status).toBe(201);
    expect(em.state.getUser(bobGithub)).toBeUndefined();
  });

  test("splits enterprise ids on the first bar only", async () => {
    const em = emulator();
    const res = await link(em, jane, { provider: "samlp", user_id: "acme-saml|jdoe@acme.example" });
    expect(res.status).toBe(201);
    expect(em.state.getUser(jane)?.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual([
      jane,
      janeSaml,
    ]);
  });

  test("moves every identity of a secondary that is itself a primary", async () => {
    const em = emulator();
    const res = await link(em, alice, { provider: "auth0", user_id: frank.split("|")[1] });
    expect(res.status).toBe(201);
    expect(em.state.getUser(alice)?.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual([
      alice,
      frank,
      frankGithub,
    ]);
    expect(em.state.getUser(frank)).toBeUndefined();
  });

  test("accepts the connection_id of the secondary's database connection", async () => {
    const em = emulator();
    const res = await link(em, aliceGoogle, {
      provider: "auth0",
      user_id: alice.split("|")[1],
      connection_id: databaseConnectionId,
    });
    expect(res.status).toBe(201);
  });

  test("returns IdP tokens only with read:user_idp_tokens", async () => {
    const em = emulator();
    const token = await em.mintToken({ scopes: ["update:users"] });
    const res = await link(em, alice, { provider: "google-oauth2", user_id: "108234567890123456789" }, token);
    expect(res.status).toBe(201);
    expect(JSON.stringify(res.body)).not.toContain("emulator-only-idp");
  });
});

describe("link errors", () => {
  const invalidBody = (message: string) => ({
    statusCode: 400,
    error: "Bad Request",
    message: expect.stringContaining(message),
    errorCode: "invalid_body",
  });

  test.each([
    ["an empty body", {}, "Too few properties defined (0), minimum 1"],
    [
      "an unknown field",
      { provider: "github", user_id: "1", extra: true },
      "Additional properties not allowed: extra",
    ],
    [
      "both variants",
      { link_with: "a.b.c", provider: "github", user_id: "1" },
      "link_with cannot be sent together with provider, user_id or connection_id",
    ],
    [
      "the sample's four empty strings",
      { link_with: "", provider: "", user_id: "", connection_id: "" },
      "Payload validation error",
    ],
    ["an unknown provider", { provider: "myspace", user_id: "1" }, 'No enum match for: "myspace"'],
    ["a missing user_id", { provider: "github" }, "Missing required property: user_id"],
    ["an empty user_id", { provider: "github", user_id: "" }, "on property user_id"],
    [
      "a bad connection_id",
      { provider: "auth0", user_id: "1", connection_id: "con_short" },
      "on property connection_id",
    ],
    ["an array", [], "Expected type object but found type array"],
  ])("answers 400 invalid_body for %s", async (_name, body, message) => {
    const res = await link(emulator(), alice, body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(invalidBody(message));
  });

  test("answers 400 for a body that is not JSON", async () => {
    const em = emulator();
    const res = await call(em, "POST", identitiesPath(alice), {
      token: await adminToken(em),
      rawBody: "{nope",
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: "Invalid request payload JSON format" });
  });

  test("refuses to link a user with itself", async () => {
    const res = await link(emulator(), alice, { provider: "auth0", user_id: alice.split("|")[1] });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: "Bad Request",
      message: "Main identity and the new one are the same.",
    });
  });

  test("answers 400 for a missing secondary", async () => {
    const res = await link(emulator(), alice, { provider: "github", user_id: "404404" });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: "Provided secondary account not found." });
  });

  test("answers 404 inexistent_user for a missing primary", async () => {
    const res = await link(emulator(), "auth0|000000000000000000000000", {
      provider: "github",
      user_id: "5812345",
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: "Not Found",
      message: "The user does not exist.",
      errorCode: "inexistent_user",
    });
  });

  test("answers 409 for an identity already linked", async () => {
    const em = emulator();
    expect(
      (await link(em, alice, { provider: "google-oauth2", user_id: "108234567890123456789" })).status,
    ).toBe(201);
    const again = await link(em, alice, { provider: "google-oauth2", user_id: "108234567890123456789" });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      statusCode: 409,
      error: "Conflict",
      message: "Specified identity already exists.",
    });
  });

  test("moves the owner of an identity linked elsewhere, as Auth0 does", async () => {
    const em = emulator();
    const elsewhere = await link(em, bob, { provider: "github", user_id: 7700123 });
    expect(elsewhere.status).toBe(201);
    expect(em.state.getUser(frank)).toBeUndefined();
    expect(em.state.getUser(bob)?.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual([
      bob,
      frank,
      "github|7700123",
    ]);
  });

  test("answers 400 for a connection_id that is not the provider's", async () => {
    const res = await link(emulator(), alice, {
      provider: "github",
      user_id: "5812345",
      connection_id: databaseConnectionId,
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ message: "The provider/connection is not configured." });
  });
});

describe("link with link_with", () => {
  test("links the secondary's ID token with the primary's own access token", async () => {
    const em = emulator();
    const primary = await em.login(alice);
    const secondary = await em.login(aliceGoogle);
    const res = await link(em, alice, { link_with: secondary.id_token }, primary.access_token);
    expect(res.status).toBe(201);
    expect(em.state.getUser(aliceGoogle)).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain("emulator-only-idp");
  });

  test("logging in with a linked identity resolves to the primary", async () => {
    const em = emulator();
    await link(em, alice, { provider: "google-oauth2", user_id: "108234567890123456789" });
    const { id_token } = await em.login(aliceGoogle);
    const [, payload = ""] = id_token.split(".");
    expect(JSON.parse(Buffer.from(payload, "base64url").toString())).toMatchObject({ sub: alice });
  });

  // Signed with the tenant's own key, so only the claim under test is wrong.
  const forged = (em: Emulator, claims: Record<string, unknown>) =>
    em.mintToken({ scopes: [], claims: { aud: "idlink-spa", sub: aliceGoogle, ...claims } });

  const cases: [string, (em: Emulator) => Promise<string>, string][] = [
    ["a token that is not a JWT", async () => "nope", "Invalid token (link_with)."],
    [
      "an HS256 token",
      async (em) =>
        new SignJWT({ iss: em.issuer, sub: aliceGoogle, aud: "idlink-spa" })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode("a-shared-secret-of-at-least-32-bytes!")),
      "JWT (link_with) must have an alg of RS256.",
    ],
    [
      "a token from another key",
      async (em) => {
        const { privateKey } = await generateKeyPair("RS256");
        return new SignJWT({ iss: em.issuer, sub: aliceGoogle, aud: "idlink-spa" })
          .setProtectedHeader({ alg: "RS256" })
          .sign(privateKey);
      },
      "Invalid token (link_with).",
    ],
    [
      "another issuer",
      (em) => forged(em, { iss: "https://other.example/" }),
      "JWT (link_with) must have the same issuer as the calling user.",
    ],
    ["no sub", (em) => forged(em, { sub: undefined }), "JWT (link_with) must contains sub claim."],
    [
      "a sub that is no user id",
      (em) => forged(em, { sub: "nobar" }),
      "JWT (link_with) contains an invalid sub claim.",
    ],
    [
      "an aud that is no string",
      (em) => forged(em, { aud: 42 }),
      "JWT (link_with) contains an invalid aud claim.",
    ],
    [
      "an aud that is not the caller's azp",
      (em) => forged(em, { aud: "another-client" }),
      "JWT (link_with) must have an aud claim that matches that of the calling token's azp.",
    ],
  ];

  test.each(cases)("refuses %s", async (_name, make, message) => {
    const em = emulator();
    const { access_token } = await em.login(alice);
    const res = await link(em, alice, { link_with: await make(em) }, access_token);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: "Bad Request", message });
    expect(em.state.getUser(aliceGoogle)).toBeDefined();
  });

  test("refuses an empty link_with as an invalid token", async () => {
    const em = emulator();
    const { access_token } = await em.login(alice);
    const res = await link(em, alice, { link_with: "" }, access_token);
    expect(res.body).toMatchObject({ message: "Invalid token (link_with)." });
  });
});

describe("unlink", () => {
  test("recreates the identity as a standalone user with no metadata", async () => {
    const em = emulator();
    const res = await call(em, "DELETE", unlinkPath(frank, "github", "7700123"), {
      token: await adminToken(em),
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual([expect.objectContaining({ provider: "auth0" })]);
    const standalone = em.state.getUser(frankGithub);
    expect(standalone).toMatchObject({
      user_id: frankGithub,
      email: "frank@example.com",
      identities: [{ provider: "github", user_id: 7700123, connection: "github" }],
    });
    expect(standalone?.user_metadata).toBeUndefined();
    expect(standalone?.app_metadata).toBeUndefined();
    expect(standalone?.identities[0]?.profileData).toBeUndefined();
  });

  test("refuses to remove the main identity", async () => {
    const em = emulator();
    const res = await call(em, "DELETE", unlinkPath(frank, "auth0", frank.split("|")[1] ?? ""), {
      token: await adminToken(em),
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      statusCode: 400,
      error: "Bad Request",
      message: "Main identity cannot be removed.",
    });
  });

  test("lets a user unlink from their own account", async () => {
    const em = emulator();
    const { access_token } = await em.login(frank);
    const res = await call(em, "DELETE", unlinkPath(frank, "github", "7700123"), { token: access_token });
    expect(res.status).toBe(200);
  });

  test("answers the unchanged identities for an identity that is not linked", async () => {
    const em = emulator();
    const res = await call(em, "DELETE", unlinkPath(alice, "github", "1"), { token: await adminToken(em) });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
  });

  test("round-trips an enterprise id", async () => {
    const em = emulator();
    await link(em, jane, { provider: "samlp", user_id: "acme-saml|jdoe@acme.example" });
    const res = await call(em, "DELETE", unlinkPath(jane, "samlp", "acme-saml|jdoe@acme.example"), {
      token: await adminToken(em),
    });
    expect(res.status).toBe(200);
    expect(em.state.getUser(janeSaml)?.email).toBe("jdoe@acme.example");
  });
});

describe("path ids", () => {
  test("decodes a percent-encoded id exactly once", async () => {
    const em = emulator();
    const token = await adminToken(em);
    expect((await call(em, "GET", `/api/v2/users/${enc(grace)}`, { token })).status).toBe(200);
    // Encoded twice, the id arrives as "google-oauth2%7C…" and names nobody.
    const twice = await call(em, "GET", `/api/v2/users/${enc(enc(grace))}`, { token });
    expect(twice.status).toBe(404);
    expect(em.state.requests.at(-1)?.path).toBe(`/api/v2/users/${enc(enc(grace))}`);
  });

  test("keeps an encoded slash inside one segment", async () => {
    const em = emulator();
    const res = await call(em, "GET", `/api/v2/users/${enc("auth0|a/b")}`, { token: await adminToken(em) });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ message: "The user does not exist." });
  });

  test("decodes every segment of an unlink path", async () => {
    const em = emulator();
    await link(em, jane, { provider: "samlp", user_id: "acme-saml|jdoe@acme.example" });
    const raw = `/api/v2/users/auth0%7C65a0b1c2d3e4f5061728394a/identities/samlp/acme-saml%7Cjdoe%40acme.example`;
    const res = await call(em, "DELETE", raw, { token: await adminToken(em) });
    expect(res.status).toBe(200);
    expect(em.state.getUser(janeSaml)).toBeDefined();
  });
});

describe("profileData", () => {
  const { carol, carolGoogle, erin } = seedUsers;
  const profileOfLinked = (body: unknown, userId: string | number) =>
    (body as { user_id: string | number; profileData?: Record<string, unknown> }[]).find(
      (identity) => identity.user_id === userId,
    )?.profileData;

  test("keeps what a database user was given and leaves out what Auth0 derives from its email", async () => {
    const em = emulator();
    const derived = await link(em, carolGoogle, { provider: "auth0", user_id: carol.slice("auth0|".length) });
    expect(profileOfLinked(derived.body, carol.slice("auth0|".length))).toEqual({
      email: "carol@example.org",
      email_verified: false,
    });
    const given = await link(em, aliceGoogle, { provider: "auth0", user_id: alice.slice("auth0|".length) });
    expect(profileOfLinked(given.body, alice.slice("auth0|".length))).toEqual({
      email: "alice.martin@example.com",
      email_verified: true,
      name: "Alice Martin",
      given_name: "Alice",
      family_name: "Martin",
    });
  });

  test("keeps a social identity's whole profile, not what Auth0 manages", async () => {
    const em = emulator();
    const res = await link(em, erin, {
      provider: "google-oauth2",
      user_id: grace.slice("google-oauth2|".length),
    });
    const profile = profileOfLinked(res.body, grace.slice("google-oauth2|".length));
    expect(profile).toMatchObject({ name: "Grace Hopper", nickname: "grace", given_name: "Grace" });
    expect(profile?.picture).toContain("googleusercontent");
    for (const managed of [
      "user_id",
      "identities",
      "created_at",
      "logins_count",
      "last_login",
      "app_metadata",
    ]) {
      expect(profile).not.toHaveProperty(managed);
    }
  });

  test("gives an unlinked database user its derived name and nickname back", async () => {
    const em = emulator();
    const token = await adminToken(em);
    const carolId = carol.slice("auth0|".length);
    await link(em, carolGoogle, { provider: "auth0", user_id: carolId });
    const res = await call(em, "DELETE", unlinkPath(carolGoogle, "auth0", carolId), { token });
    expect(res.status).toBe(200);
    expect(em.state.getUser(carol)).toMatchObject({
      email: "carol@example.org",
      name: "carol@example.org",
      nickname: "carol",
      identities: [{ provider: "auth0", user_id: carolId }],
    });
  });
});

describe("form bodies", () => {
  test("link reads provider and user_id from a form", async () => {
    const em = emulator();
    const res = await fetch(`${em.url}${identitiesPath(alice)}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${await adminToken(em)}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        provider: "google-oauth2",
        user_id: aliceGoogle.split("|")[1] ?? "",
      }).toString(),
    });
    expect(res.status).toBe(201);
    expect(em.state.getUser(aliceGoogle)).toBeUndefined();
  });
});

describe("unlink of an identity whose user_id holds its connection", () => {
  test("takes the whole user_id, connection prefix included, as one path segment", async () => {
    const em = emulator();
    const token = await adminToken(em);
    await link(em, jane, { provider: "samlp", user_id: "acme-saml|jdoe@acme.example" });
    // Only the part after the connection: names no identity of the primary, a 200 that removes nothing.
    const partial = await call(em, "DELETE", unlinkPath(jane, "samlp", "jdoe@acme.example"), { token });
    expect(partial.status).toBe(200);
    expect(em.state.getUser(janeSaml)).toBeUndefined();
    const whole = await call(em, "DELETE", unlinkPath(jane, "samlp", "acme-saml|jdoe@acme.example"), {
      token,
    });
    expect(whole.status).toBe(200);
    expect((whole.body as unknown[]).length).toBe(1);
    expect(em.state.getUser(janeSaml)?.identities).toEqual([
      expect.objectContaining({ provider: "samlp", user_id: "acme-saml|jdoe@acme.example" }),
    ]);
  });
});
