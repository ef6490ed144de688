import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, test } from "vitest";
import { type Answer, callLine, createHttpAuth } from "../src/http-auth.ts";
import { rememberOutput, rememberSecret } from "./helpers.ts";

// The guard of the HTTP endpoint, on its own: tokens signed here, the tenant's JWKS served by an injected fetch
// (which counts what would reach the tenant). test/oauth.e2e.test.ts runs the same checks against the emulator.

const issuer = "https://tenant.example/";
const resource = "https://mcp.example.com/mcp";
const metadataUrl = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
const jwksUrl = `${issuer}.well-known/jwks.json`;
const alice = "auth0|alice";

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function key(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

let tenantKey: Key;
let rotatedKey: Key;
let strangerKey: Key;

beforeAll(async () => {
  [tenantKey, rotatedKey, strangerKey] = await Promise.all([key("k1"), key("k2"), key("k1")]);
});

const now = () => Math.floor(Date.now() / 1000);

/** A token as the tenant signs one for this server, with `claims` over the defaults. */
async function token(claims: Record<string, unknown> = {}, signer: Key = tenantKey): Promise<string> {
  const signed = await new SignJWT({
    iss: issuer,
    sub: alice,
    aud: [resource, `${issuer}userinfo`],
    azp: "tpc_client",
    scope: "read:identities link:identities",
    iat: now(),
    exp: now() + 3600,
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: signer.kid })
    .sign(signer.privateKey);
  rememberSecret(signed);
  return signed;
}

/** The tenant's JWKS endpoint, as an injected fetch: what it serves can change, and every call is counted. */
function tenant(serve: () => Response | Promise<Response> = () => Response.json({ keys: [tenantKey.jwk] })) {
  const calls: string[] = [];
  const state = { serve };
  const fetchJwks: typeof fetch = async (input) => {
    calls.push(String(input));
    return state.serve();
  };
  return { calls, state, fetch: fetchJwks };
}

function guard(jwks = tenant(), options: { jwksCooldownMs?: number; now?: () => number } = {}) {
  return createHttpAuth({ kind: "oauth", issuer, resource }, "http://127.0.0.1:1/mcp", {
    fetch: jwks.fetch,
    ...options,
  });
}

/** A refusal's parts, recorded as output (nothing in it may be a token). */
function read(answer: Answer) {
  rememberOutput("http-auth", answer.body, JSON.stringify(answer.headers));
  return {
    status: answer.status,
    challenge: answer.headers["www-authenticate"],
    body: JSON.parse(answer.body) as { error?: string; error_description: string },
  };
}

async function refused(header: string | undefined, auth = guard()) {
  const admission = await auth.admit(header);
  if (admission.ok) throw new Error("admitted");
  return read(admission.answer);
}

describe("OAuth: a token of the tenant for this server", () => {
  test("is admitted, with its user, client, scopes and expiry", async () => {
    const jwks = tenant();
    const sent = await token();
    const admission = await guard(jwks).admit(`Bearer ${sent}`);
    expect(admission).toEqual({
      ok: true,
      caller: `"${alice}" (client "tpc_client", scope "read:identities link:identities")`,
      authInfo: {
        token: sent,
        clientId: "tpc_client",
        scopes: ["read:identities", "link:identities"],
        expiresAt: expect.any(Number),
        resource: new URL(resource),
        resourceMetadataUrl: metadataUrl,
        extra: { sub: alice },
      },
    });
    expect(jwks.calls).toEqual([jwksUrl]);
  });

  test("is admitted with aud as a single string and within 60 s of clock skew", async () => {
    const auth = guard();
    for (const claims of [
      { aud: resource },
      { exp: now() - 30 },
      { nbf: now() + 30 },
      { scope: undefined, azp: undefined, client_id: "m2m" },
    ]) {
      expect(await auth.admit(`Bearer ${await token(claims)}`)).toMatchObject({ ok: true });
    }
  });

  test("has no scopes when the token carries none (the tools then answer 403 insufficient_scope)", async () => {
    const admission = await guard().admit(`Bearer ${await token({ scope: undefined })}`);
    expect(admission.ok && admission.authInfo?.scopes).toEqual([]);
  });
});

describe("OAuth: a refused token", () => {
  test.each<[string, () => Promise<string>, string]>([
    [
      "another tenant's",
      () => token({ iss: "https://other-tenant.example/" }),
      `the access token was issued by https://other-tenant.example/, not by ${issuer}, this server's authorization server — sign in with ${issuer}`,
    ],
    [
      "one without an issuer",
      () => token({ iss: undefined }),
      "the access token was issued by no issuer (iss)",
    ],
    [
      "an HS256 one (a secret, not the tenant's key)",
      async () => {
        const signed = await new SignJWT({ iss: issuer, sub: alice, aud: resource, exp: now() + 60 })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode("a-shared-secret-of-32-characters!"));
        rememberSecret(signed);
        return signed;
      },
      `the access token is signed with HS256, but ${issuer} signs with RS256`,
    ],
    [
      "an unsigned one (alg none)",
      async () =>
        new UnsecuredJWT({ iss: issuer, sub: alice, aud: resource }).setExpirationTime("1h").encode(),
      "the access token is signed with none, but",
    ],
  ])("is refused before any key is fetched: %s", async (_, make, message) => {
    const jwks = tenant();
    const { status, challenge, body } = await refused(`Bearer ${await make()}`, guard(jwks));
    expect(status).toBe(401);
    expect(body).toEqual({ error: "invalid_token", error_description: expect.stringContaining(message) });
    expect(challenge).toMatch(
      new RegExp(
        `^Bearer error="invalid_token", error_description="[^"]+", scope="read:identities", resource_metadata="${metadataUrl}"$`,
      ),
    );
    expect(jwks.calls).toEqual([]);
  });

  test.each<[string, () => Promise<string>, string]>([
    [
      "for another audience (the Management API)",
      () => token({ aud: `${issuer}api/v2/` }),
      `the access token is for ${issuer}api/v2/, not for this server — ask ${issuer} for a token with resource=${resource}`,
    ],
    ["expired more than 60 s ago", () => token({ exp: now() - 61 }), "the access token expired at 20"],
    ["not yet valid", () => token({ nbf: now() + 120 }), "the access token is not valid before 20"],
    ["without sub", () => token({ sub: undefined }), "the access token has no sub claim"],
    ["without exp", () => token({ exp: undefined }), "the access token has no exp claim"],
    [
      "signed by another key under the tenant's kid",
      () => token({}, strangerKey),
      `the access token's signature does not verify with the keys of ${issuer}`,
    ],
    [
      "signed by a key the tenant does not publish",
      () => token({}, rotatedKey),
      `the access token is signed with a key ${jwksUrl} does not hold`,
    ],
    ["not a JWT", async () => "opaque-token-0123456789", "the access token is not a JWT"],
  ])("is refused with 401 invalid_token: %s", async (_, make, message) => {
    const { status, challenge, body } = await refused(`Bearer ${await make()}`);
    expect(status).toBe(401);
    expect(body.error_description).toContain(message);
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain(`resource_metadata="${metadataUrl}"`);
  });

  test.each([
    ["no Authorization header", undefined],
    ["another scheme", "Basic dXNlcjpwYXNz"],
    ["an empty bearer", "Bearer "],
  ])("gets the challenge without an error code: %s (RFC 6750 §3.1)", async (_, header) => {
    const { status, challenge, body } = await refused(header);
    expect(status).toBe(401);
    expect(challenge).toBe(`Bearer scope="read:identities", resource_metadata="${metadataUrl}"`);
    expect(body).toEqual({
      error_description: `send Authorization: Bearer <access token>, a token of ${issuer} for ${resource} — the resource metadata (${metadataUrl}) says how to get one`,
    });
  });

  test("never puts a quote, a backslash or a non-ASCII character in the challenge", async () => {
    const { challenge, body } = await refused(`Bearer ${await token({ iss: 'https://a"b\\c—é.example/' })}`);
    const description = /error_description="([^"]*)"/.exec(challenge ?? "")?.[1];
    expect(description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/);
    expect(description).toContain("issued by https://a'b'c-");
    expect(body.error_description).toContain('issued by https://a"b\\c—é.example/');
  });

  test("follows the clock it is given", async () => {
    const sent = await token({ exp: now() + 3600 });
    const later = guard(tenant(), { now: () => (now() + 3600 + 61) * 1000 });
    expect((await refused(`Bearer ${sent}`, later)).body.error_description).toContain("expired at");
  });
});

describe("OAuth: the tenant's keys", () => {
  test("are fetched once and kept", async () => {
    const jwks = tenant();
    const auth = guard(jwks);
    for (let i = 0; i < 3; i++) expect((await auth.admit(`Bearer ${await token()}`)).ok).toBe(true);
    expect(jwks.calls).toHaveLength(1);
  });

  test("are fetched again for a key rotated in", async () => {
    const jwks = tenant();
    const auth = guard(jwks, { jwksCooldownMs: 0 });
    expect((await auth.admit(`Bearer ${await token()}`)).ok).toBe(true);
    jwks.state.serve = () => Response.json({ keys: [tenantKey.jwk, rotatedKey.jwk] });
    expect((await auth.admit(`Bearer ${await token({}, rotatedKey)}`)).ok).toBe(true);
    expect(jwks.calls).toHaveLength(2);
  });

  test("are not fetched again for an unknown key within the cooldown (30 s)", async () => {
    const jwks = tenant();
    const auth = guard(jwks);
    expect((await auth.admit(`Bearer ${await token()}`)).ok).toBe(true);
    jwks.state.serve = () => Response.json({ keys: [tenantKey.jwk, rotatedKey.jwk] });
    for (let i = 0; i < 3; i++) {
      expect((await refused(`Bearer ${await token({}, rotatedKey)}`, auth)).status).toBe(401);
    }
    expect(jwks.calls).toHaveLength(1);
  });

  test.each<[string, () => Response | Promise<Response>, string]>([
    [
      "the connection fails",
      () => {
        throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
      },
      "the connection failed (ECONNREFUSED)",
    ],
    ["the tenant answers 500", () => new Response("oops", { status: 500 }), "it answered 500"],
    ["a redirect", () => new Response(null, { status: 302, headers: { location: "/x" } }), "it answered 302"],
    ["HTML", () => new Response("<html></html>", { status: 200 }), "its answer is not JSON"],
    ["JSON without keys", () => Response.json({ nope: true }), "its answer is not a JSON Web Key Set"],
  ])("that cannot be fetched fail closed with 503, saying why: %s", async (_, serve, why) => {
    const jwks = tenant(serve);
    const auth = guard(jwks);
    const { status, challenge, body } = await refused(`Bearer ${await token()}`, auth);
    expect(status).toBe(503);
    expect(challenge).toBeUndefined();
    expect(body).toEqual({
      error: "server_error",
      error_description: `cannot check the access token: the tenant's signing keys (${jwksUrl}) could not be fetched — ${why}; nothing was done, try again once the server reaches the tenant`,
    });
    // A failure is not kept: once the tenant answers, the next request goes through.
    jwks.state.serve = () => Response.json({ keys: [tenantKey.jwk] });
    expect((await auth.admit(`Bearer ${await token()}`)).ok).toBe(true);
  });
});

describe("OAuth: the protected-resource metadata (RFC 9728)", () => {
  test("names the tenant, the scopes and the header, at the path of the resource", () => {
    const auth = guard();
    const answer = auth.metadata("GET", "/.well-known/oauth-protected-resource/mcp");
    expect(answer?.status).toBe(200);
    expect(JSON.parse(answer?.body ?? "")).toEqual({
      resource,
      authorization_servers: [issuer],
      scopes_supported: ["read:identities", "link:identities"],
      bearer_methods_supported: ["header"],
      resource_name: "idlink-mcp",
    });
    expect(auth.hostnames).toEqual(["mcp.example.com"]);
  });

  test("answers GET only, and nothing at other paths", () => {
    const auth = guard();
    expect(auth.metadata("POST", "/.well-known/oauth-protected-resource/mcp")).toMatchObject({
      status: 405,
      headers: { allow: "GET, HEAD" },
    });
    expect(auth.metadata("GET", "/.well-known/oauth-protected-resource")).toBeUndefined();
    expect(auth.metadata("GET", "/mcp")).toBeUndefined();
  });

  test("defaults the resource to the URL the server listens on", async () => {
    const auth = createHttpAuth({ kind: "oauth", issuer, resource: undefined }, "http://127.0.0.1:3917/mcp");
    const answer = auth.metadata("GET", "/.well-known/oauth-protected-resource/mcp");
    expect(JSON.parse(answer?.body ?? "").resource).toBe("http://127.0.0.1:3917/mcp");
    expect(auth.summary).toBe(`OAuth: access tokens of ${issuer} for http://127.0.0.1:3917/mcp`);
  });
});

describe("the static bearer", () => {
  const bearer = "s".repeat(40);
  const auth = createHttpAuth({ kind: "bearer", token: bearer }, "http://127.0.0.1:1/mcp");

  test("admits its token alone, and serves no metadata", async () => {
    expect(await auth.admit(`Bearer ${bearer}`)).toEqual({ ok: true, caller: "the static bearer" });
    expect(auth.metadata("GET", "/.well-known/oauth-protected-resource/mcp")).toBeUndefined();
    expect(auth.summary).toBe("static bearer IDLINK_MCP_HTTP_TOKEN (development on loopback)");
  });

  test("refuses anything else, saying it is for development on loopback", async () => {
    for (const header of [undefined, `Bearer ${bearer}x`, `Basic ${bearer}`]) {
      const { status, challenge, body } = await refused(header, auth);
      expect(status).toBe(401);
      expect(challenge).toBe('Bearer realm="idlink-mcp"');
      expect(body.error_description).toContain("the static bearer is for development on loopback");
    }
  });
});

describe("the debug trail's line", () => {
  test("names the caller and the call, never more of the body", () => {
    const body = (value: unknown) => Buffer.from(JSON.stringify(value));
    expect(
      callLine(
        "auth0|alice",
        body({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "link_accounts" } }),
      ),
    ).toBe("call by auth0|alice: tools/call link_accounts");
    expect(callLine("auth0|alice", body({ jsonrpc: "2.0", id: 1, method: "tools/list" }))).toBe(
      "call by auth0|alice: tools/list",
    );
    expect(callLine("x", Buffer.from("not json"))).toBe("call by x: a body that is not one JSON-RPC message");
  });
});
