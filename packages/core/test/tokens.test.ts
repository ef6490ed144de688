import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, test } from "vitest";
import { getManagementToken, type LinkRequest, ManagementApiError, preflightLink } from "../src/index.ts";
import { createRecordingFetch, json } from "./fetch-recorder.ts";

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

describe("getManagementToken", () => {
  test("asks once and caches the token until shortly before it expires", async () => {
    const { fetch, requests } = createRecordingFetch([
      json(200, { access_token: "tok-1", token_type: "Bearer", expires_in: 86400 }),
    ]);
    const options = { domain: "cache-test.auth0.com", clientId: "cid", clientSecret: "s3cret", fetch };
    const [a, b] = await Promise.all([getManagementToken(options), getManagementToken(options)]);
    expect([a, b, await getManagementToken(options)]).toEqual(["tok-1", "tok-1", "tok-1"]);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe("https://cache-test.auth0.com/oauth/token");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({
      grant_type: "client_credentials",
      client_id: "cid",
      client_secret: "s3cret",
      audience: "https://cache-test.auth0.com/api/v2/",
    });
  });

  test("asks again once the cached token is about to expire", async () => {
    const { fetch, requests } = createRecordingFetch([
      json(200, { access_token: "short", token_type: "Bearer", expires_in: 0 }),
      json(200, { access_token: "fresh", token_type: "Bearer", expires_in: 3600 }),
    ]);
    const options = { domain: "expiry-test.auth0.com", clientId: "cid", clientSecret: "s", fetch };
    expect(await getManagementToken(options)).toBe("short");
    expect(await getManagementToken(options)).toBe("fresh");
    expect(requests).toHaveLength(2);
  });

  test("reports a refused grant without the secret and does not cache it", async () => {
    const { fetch, requests } = createRecordingFetch([
      json(401, { error: "access_denied", error_description: "Unauthorized" }),
      json(200, { access_token: "ok", token_type: "Bearer", expires_in: 3600 }),
    ]);
    const options = {
      domain: "refused-test.auth0.com",
      clientId: "cid",
      clientSecret: "very-secret-value",
      fetch,
    };
    const error = await getManagementToken(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as Error).message).toBe(
      "Get Management token failed (401 access_denied): Unauthorized — POST /oauth/token",
    );
    expect(JSON.stringify(error)).not.toContain("very-secret-value");
    expect(await getManagementToken(options)).toBe("ok");
    expect(requests).toHaveLength(2);
  });
});

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
