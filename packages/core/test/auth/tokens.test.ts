import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, test } from "vitest";
import { decodeUnverified, preflightLink, preflightUnlink } from "../../src/auth/tokens.ts";
import type { LinkRequest } from "../../src/ids/rules.ts";

const iss = "https://tenant.example.auth0.com/";
type Key = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let rsa: Key;

beforeAll(async () => {
  rsa = (await generateKeyPair("RS256")).privateKey;
});

async function jwt(claims: Record<string, unknown>, alg = "RS256", key: Key | Uint8Array = rsa) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg })
    .setIssuer(iss)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(key);
}

describe("preflightLink", () => {
  const primary = "auth0|primary";

  test("passes a Management token for the identity variant", async () => {
    const token = await jwt({ sub: "cid@clients", azp: "cid", scope: "read:users update:users" });
    const result = preflightLink({ token, primary, body: { provider: "github", user_id: "1" } });
    expect(result.issues).toEqual([]);
    expect(result.caller?.kind).toBe("management");
  });

  test("passes a current-user token with a matching link_with", async () => {
    const token = await jwt({ sub: primary, azp: "spa", scope: "openid update:current_user_identities" });
    const linkWith = await jwt({ sub: "github|1", aud: "spa" });
    expect(preflightLink({ token, primary, body: { link_with: linkWith } }).issues).toEqual([]);
  });

  test.each([
    [
      "a token that is not a JWT",
      async () => ({ token: "opaque", body: { provider: "github", user_id: "1" } }),
      "token",
      "not a JWT",
    ],
    [
      "a missing update:users",
      async () => ({
        token: await jwt({ sub: "c@clients", scope: "read:users" }),
        body: { provider: "github", user_id: "1" },
      }),
      "token",
      "lacks update:users",
    ],
    [
      "a current-user token sending provider/user_id",
      async () => ({
        token: await jwt({ sub: primary, scope: "update:current_user_identities" }),
        body: { provider: "github", user_id: "1" },
      }),
      "token",
      "may only send link_with",
    ],
    [
      "a current-user token of another user",
      async () => ({
        token: await jwt({ sub: "auth0|other", azp: "spa", scope: "update:current_user_identities" }),
        body: { link_with: await jwt({ sub: "github|1", aud: "spa" }) },
      }),
      "token",
      "not the primary auth0|primary",
    ],
    [
      "an expired token",
      async () => ({
        token: await new SignJWT({ scope: "update:users" })
          .setProtectedHeader({ alg: "RS256" })
          .setExpirationTime(1000)
          .sign(rsa),
        body: { provider: "github", user_id: "1" },
      }),
      "token",
      "expired",
    ],
    [
      "a link_with signed with HS256",
      async () => ({
        token: await jwt({ sub: primary, azp: "spa", scope: "update:current_user_identities" }),
        body: { link_with: await jwt({ sub: "github|1", aud: "spa" }, "HS256", new Uint8Array(32)) },
      }),
      "link_with",
      "must be signed with RS256, not HS256",
    ],
    [
      "an unsigned link_with",
      async () => ({
        token: await jwt({ sub: primary, azp: "spa", scope: "update:current_user_identities" }),
        body: { link_with: new UnsecuredJWT({ sub: "github|1", aud: "spa" }).setIssuer(iss).encode() },
      }),
      "link_with",
      "not none —",
    ],
    [
      "a link_with without sub",
      async () => ({
        token: await jwt({ sub: primary, azp: "spa", scope: "update:current_user_identities" }),
        body: { link_with: await jwt({ aud: "spa" }) },
      }),
      "link_with",
      "no sub claim",
    ],
    [
      "a link_with for another application",
      async () => ({
        token: await jwt({ sub: primary, azp: "spa", scope: "update:current_user_identities" }),
        body: { link_with: await jwt({ sub: "github|1", aud: "other-app" }) },
      }),
      "link_with",
      "aud must be the calling token's azp (spa)",
    ],
    [
      "a link_with from another tenant",
      async () => ({
        token: await jwt({ sub: primary, azp: "spa", scope: "update:current_user_identities" }),
        body: {
          link_with: await new SignJWT({ sub: "github|1", aud: "spa" })
            .setProtectedHeader({ alg: "RS256" })
            .setIssuer("https://elsewhere.auth0.com/")
            .sign(rsa),
        },
      }),
      "link_with",
      "another tenant",
    ],
  ] as [string, () => Promise<{ token: string; body: LinkRequest }>, string, string][])(
    "reports %s",
    async (_name, make, path, message) => {
      const { token, body } = await make();
      const result = preflightLink({ token, primary, body });
      const issue = result.issues.find((i) => i.path === path);
      expect(issue?.message).toContain(message);
      expect(JSON.stringify(result.issues)).not.toContain(token);
    },
  );
});

describe("preflightUnlink", () => {
  const primary = "auth0|primary";

  test("passes a Management token, and a user's own token on its own account", async () => {
    const management = await jwt({ sub: "cid@clients", scope: "update:users" });
    expect(preflightUnlink({ token: management, primary })).toMatchObject({
      issues: [],
      caller: { kind: "management" },
    });
    const own = await jwt({ sub: primary, scope: "update:current_user_identities" });
    expect(preflightUnlink({ token: own, primary })).toMatchObject({
      issues: [],
      caller: { kind: "current-user" },
    });
  });

  test.each([
    [async () => "opaque", "the access token is not a JWT"],
    [
      async () => jwt({ sub: primary, scope: "read:users" }),
      "lacks update:users or update:current_user_identities",
    ],
    [
      async () => jwt({ sub: "auth0|other", scope: "update:current_user_identities" }),
      "the token belongs to auth0|other, not the primary auth0|primary — a user's token can only unlink from its own account",
    ],
  ])("reports %#: %s", async (make, message) => {
    const result = preflightUnlink({ token: await make(), primary });
    expect(result.issues).toEqual([{ path: "token", message: expect.stringContaining(message) }]);
  });

  test("judges expiry at the time it is given", async () => {
    const token = await jwt({ scope: "update:users" });
    const { exp = 0 } = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as {
      exp?: number;
    };
    expect(preflightUnlink({ token, primary, now: new Date((exp - 1) * 1000) }).issues).toEqual([]);
    expect(preflightUnlink({ token, primary, now: new Date(exp * 1000) }).issues).toEqual([
      { path: "token", message: expect.stringMatching(/^the access token expired at .* — get a new one$/) },
    ]);
  });

  test("decodes the caller without verifying it: scopes, subject, application, issuer and expiry", async () => {
    const token = await jwt({ sub: "cid@clients", azp: "cid", scope: "read:users  update:users" });
    const { caller } = preflightUnlink({ token, primary });
    expect(caller).toMatchObject({
      kind: "management",
      scopes: ["read:users", "update:users"],
      sub: "cid@clients",
      azp: "cid",
      iss,
      expiresAt: expect.any(Date),
    });
  });
});

describe("decodeUnverified", () => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const jwt = (header: unknown, claims: unknown) => `${part(header)}.${part(claims)}.sig`;

  test("reads the header's alg and the claims Auth0 issues, as UTF-8", () => {
    const decoded = decodeUnverified(
      jwt(
        { alg: "RS256", typ: "JWT" },
        { sub: "auth0|1", email: "zoë@exämple.com", exp: 2, aud: ["a", "b"] },
      ),
    );
    expect(decoded).toEqual({
      alg: "RS256",
      claims: {
        sub: "auth0|1",
        email: "zoë@exämple.com",
        exp: 2,
        aud: ["a", "b"],
        iss: undefined,
        azp: undefined,
        scope: undefined,
        email_verified: undefined,
      },
    });
  });

  test("reads a claim of another type than Auth0's as absent", () => {
    const decoded = decodeUnverified(
      jwt({ alg: "RS256" }, { sub: 7, exp: "soon", aud: [1], email_verified: "yes" }),
    );
    expect(decoded?.claims).toMatchObject({
      sub: undefined,
      exp: undefined,
      aud: undefined,
      email_verified: undefined,
    });
  });

  test.each([
    ["not three parts", "abc.def"],
    ["not base64url", "a+b.c/d.e"],
    ["not JSON", `${Buffer.from("{x").toString("base64url")}.${part({})}.s`],
    ["a payload that is no object", `${part({ alg: "RS256" })}.${part([1, 2])}.s`],
    ["an empty header", `.${part({})}.s`],
  ])("answers undefined for %s", (_, token) => {
    expect(decodeUnverified(token)).toBeUndefined();
  });
});
