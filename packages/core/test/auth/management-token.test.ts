import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { compactVerify, decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair } from "jose";
import { describe, expect, test } from "vitest";
import { clientAssertionType } from "../../src/auth/client-assertion.ts";
import { clientCredentialsToken, getManagementToken, tokenOptions } from "../../src/auth/management-token.ts";
import { createManagementClient } from "../../src/http/client.ts";
import { parseTenantDomain } from "../../src/ids/domain.ts";
import { describeError } from "../../src/present/describe-error.ts";
import { ManagementApiError, NetworkError, ValidationError } from "../../src/present/errors.ts";
import { createRecordingFetch, json, networkError } from "../fetch-recorder.ts";

// Each test asks for its own domain: the token cache is per domain, client and audience, and lives for the worker.

const pair = await generateKeyPair("RS256", { extractable: true });
const pem = await exportPKCS8(pair.privateKey);
recordSecrets(pem, ...pem.split("\n").filter((line) => line.length >= 40));

/** The messages an error carries, for asserting that no key material is in them. */
function shown(error: unknown): string {
  const text =
    error instanceof Error ? `${error.message}\n${JSON.stringify(describeError(error))}` : String(error);
  recordOutput("core: management token error", text);
  return text;
}

function expectNoKey(text: string) {
  for (const line of pem.split("\n").filter((l) => l.length >= 40)) expect(text).not.toContain(line);
}

const granted = (token: string) => json(200, { access_token: token, token_type: "Bearer", expires_in: 3600 });

describe("getManagementToken with a client secret", () => {
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

describe("getManagementToken with a private key (Private Key JWT)", () => {
  test("sends a signed assertion instead of a secret, as Auth0's guide describes", async () => {
    const { fetch, requests } = createRecordingFetch([
      json(200, { access_token: "pk-token", token_type: "Bearer", expires_in: 3600 }),
    ]);
    const token = await getManagementToken({
      domain: "pkjwt-test.eu.auth0.com",
      clientId: "m2m-client",
      clientAssertionSigningKey: pem,
      fetch,
    });
    expect(token).toBe("pk-token");
    const body = JSON.parse(requests[0]?.body ?? "{}") as Record<string, string>;
    expect(body).not.toHaveProperty("client_secret");
    expect(body).toMatchObject({
      grant_type: "client_credentials",
      client_id: "m2m-client",
      client_assertion_type: clientAssertionType,
      audience: "https://pkjwt-test.eu.auth0.com/api/v2/",
    });
    const assertion = body.client_assertion ?? "";
    recordSecrets(assertion);
    expect(decodeProtectedHeader(assertion).alg).toBe("RS256");
    await compactVerify(assertion, pair.publicKey);
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({
      iss: "m2m-client",
      sub: "m2m-client",
      aud: "https://pkjwt-test.eu.auth0.com/",
    });
    expect(typeof claims.jti).toBe("string");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(300);
  });

  test("signs a fresh jti each time, and PS256 when asked", async () => {
    const reply = () => json(200, { access_token: "t", token_type: "Bearer", expires_in: 1 });
    const { fetch, requests } = createRecordingFetch([reply(), reply()]);
    for (const audience of ["https://a.example/api/v2/", "https://b.example/api/v2/"]) {
      await getManagementToken({
        domain: "pkjwt-ps.eu.auth0.com",
        clientId: "c",
        clientAssertionSigningKey: pem,
        clientAssertionSigningAlg: "PS256",
        audience,
        fetch,
      });
    }
    const assertions = requests.map(
      (r) => (JSON.parse(r.body) as { client_assertion: string }).client_assertion,
    );
    recordSecrets(...assertions);
    expect(new Set(assertions.map((a) => decodeJwt(a).jti)).size).toBe(2);
    expect(assertions.map((a) => decodeProtectedHeader(a).alg)).toEqual(["PS256", "PS256"]);
  });

  test("refuses a bad key before anything is sent, naming where it came from", async () => {
    const { fetch, requests } = createRecordingFetch([]);
    const broken = pem.replace(/[A-Za-z]{20}/, "AAAAAAAAAAAAAAAAAAAA");
    const error = await getManagementToken({
      domain: "pkjwt-bad.eu.auth0.com",
      clientId: "c",
      clientAssertionSigningKey: broken,
      signingKeySource: "AUTH0_CLIENT_SIGNING_KEY_PATH (./key.pem)",
      fetch,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const text = shown(error);
    expect(text).toContain("AUTH0_CLIENT_SIGNING_KEY_PATH (./key.pem) is not an RSA private key");
    expectNoKey(text);
    expect(requests).toHaveLength(0);
  });

  test("a client made with a private key authenticates with it", async () => {
    const { fetch, requests } = createRecordingFetch([
      json(200, { access_token: "pk-token-2", token_type: "Bearer", expires_in: 3600 }),
      json(200, { user_id: "auth0|x" }),
    ]);
    const client = createManagementClient({
      domain: "pkjwt-client.eu.auth0.com",
      getToken: clientCredentialsToken({ clientId: "c", clientAssertionSigningKey: pem }),
      fetch,
    });
    await client.getUser("auth0|x");
    expect(requests[0]?.body).toContain("client_assertion");
    expect(requests[1]?.headers.get("authorization")).toBe("Bearer pk-token-2");
  });
});

describe("getManagementToken when Auth0 does not answer", () => {
  const secret = "client-secret-of-the-unreachable-tenant-8f7e6d";
  recordSecrets(secret);

  test("a refused connection is a NetworkError naming the token request; the domain is what to check", async () => {
    const { fetch } = createRecordingFetch([networkError("ECONNREFUSED")]);
    const error = await getManagementToken({
      domain: "unreachable.eu.auth0.com",
      clientId: "c",
      clientSecret: secret,
      fetch,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe(
      "Get Management token could not reach unreachable.eu.auth0.com (connection failed: ECONNREFUSED) — POST /oauth/token",
    );
    expect(describeError(error)).toMatchObject({ hint: "Check the domain and the network, then retry." });
    expect(shown(error)).not.toContain(secret);
  });

  test("a token endpoint that never answers times out, and the next call asks again", async () => {
    let calls = 0;
    const held: Request[] = [];
    const silent = (request: Request) => {
      calls += 1;
      held.push(request);
      return new Promise<Response>((_, reject) =>
        request.signal.addEventListener("abort", () => reject(request.signal.reason)),
      );
    };
    const options = {
      domain: "silent.eu.auth0.com",
      clientId: "c",
      clientSecret: secret,
      fetch: silent,
      timeoutMs: 50,
    };
    const error = await getManagementToken(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain("(no answer within 0.05 s) — POST /oauth/token");
    await getManagementToken(options).catch(() => undefined);
    expect(calls).toBe(2);
  });
});

describe("getManagementToken's tenant", () => {
  test("takes a TenantDomain as it is, and a custom audience over the tenant's", async () => {
    const parsed = parseTenantDomain("https://td-test.eu.auth0.com/");
    if (!parsed.ok) throw new Error("expected a domain");
    const { fetch, requests } = createRecordingFetch([granted("a"), granted("b")]);
    await getManagementToken({ domain: parsed.value, clientId: "c", clientSecret: "s", fetch });
    await getManagementToken({
      domain: parsed.value,
      clientId: "c",
      clientSecret: "s",
      audience: "https://td-test.eu.auth0.com/custom/",
      fetch,
    });
    expect(requests.map((r) => [r.url, (JSON.parse(r.body) as { audience: string }).audience])).toEqual([
      ["https://td-test.eu.auth0.com/oauth/token", "https://td-test.eu.auth0.com/api/v2/"],
      ["https://td-test.eu.auth0.com/oauth/token", "https://td-test.eu.auth0.com/custom/"],
    ]);
  });

  test("refuses a bad domain before anything is sent", async () => {
    const { fetch, requests } = createRecordingFetch([]);
    await expect(
      getManagementToken({ domain: "http://plain.example", clientId: "c", clientSecret: "s", fetch }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(requests).toHaveLength(0);
  });

  test("a 200 without an access token is an invalid response", async () => {
    const { fetch } = createRecordingFetch([json(200, { token_type: "Bearer" })]);
    const error = await getManagementToken({
      domain: "no-token.eu.auth0.com",
      clientId: "c",
      clientSecret: "s",
      fetch,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as Error).message).toBe(
      "Get Management token failed (200 invalid_response): the token response has no access_token — POST /oauth/token",
    );
  });
});

describe("clientCredentialsToken", () => {
  test("a client made with it gets a token with the client-credentials grant and sends it", async () => {
    const { fetch, requests } = createRecordingFetch([
      json(200, { access_token: "m2m-token", token_type: "Bearer", expires_in: 3600 }),
      json(200, { user_id: "auth0|x" }),
    ]);
    const client = createManagementClient({
      domain: "cc-test.auth0.com",
      getToken: clientCredentialsToken({ clientId: "cid", clientSecret: "cs" }),
      fetch,
    });
    await client.getUser("auth0|x");
    expect(requests.map((r) => new URL(r.url).pathname)).toEqual(["/oauth/token", "/api/v2/users/auth0%7Cx"]);
    expect(requests[1]?.headers.get("authorization")).toBe("Bearer m2m-token");
  });

  test("asks the client's tenant with the client's fetch, trail and timeout", async () => {
    const { fetch, requests } = createRecordingFetch([granted("ctx-token")]);
    const parsed = parseTenantDomain("ctx-test.eu.auth0.com");
    if (!parsed.ok) throw new Error("expected a domain");
    const events: string[] = [];
    const token = await clientCredentialsToken({ clientId: "cid", clientSecret: "cs" })({
      tenant: parsed.value,
      fetch,
      onEvent: (event) => events.push(`${event.type} ${event.operation}`),
      timeoutMs: 5000,
    });
    expect(token).toBe("ctx-token");
    expect(requests[0]?.url).toBe("https://ctx-test.eu.auth0.com/oauth/token");
    expect(events).toEqual(["request Get Management token", "response Get Management token"]);
  });

  test("the client's timeout bounds its token request", async () => {
    const held: Request[] = [];
    const client = createManagementClient({
      domain: "ctx-timeout.eu.auth0.com",
      getToken: clientCredentialsToken({ clientId: "cid", clientSecret: "cs" }),
      timeoutMs: 50,
      fetch: (request) => {
        held.push(request);
        return new Promise((_, reject) =>
          request.signal.addEventListener("abort", () => reject(request.signal.reason)),
        );
      },
    });
    const error = await client.getUser("auth0|x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain(
      "Get Management token could not reach ctx-timeout.eu.auth0.com (no answer within 0.05 s)",
    );
  });
});

describe("tokenOptions", () => {
  test("a token is sent as it is; client credentials become a token source", async () => {
    expect(tokenOptions({ token: "t" })).toEqual({ token: "t" });
    const options = tokenOptions({ clientCredentials: { clientId: "cid", clientSecret: "cs" } });
    expect(Object.keys(options)).toEqual(["getToken"]);
    const { fetch, requests } = createRecordingFetch([
      granted("via-options"),
      json(200, { user_id: "auth0|x" }),
    ]);
    const client = createManagementClient({ domain: "options-test.auth0.com", ...options, fetch });
    await client.getUser("auth0|x");
    expect(requests[1]?.headers.get("authorization")).toBe("Bearer via-options");
  });
});

describe("the emulator's published seed secret", () => {
  test("is refused for a real tenant before anything is sent, without echoing it", async () => {
    const { fetch, requests } = createRecordingFetch([granted("never")]);
    const error = await getManagementToken({
      domain: "copied-env.eu.auth0.com",
      clientId: "idlink-admin",
      clientSecret: "emulator-only-secret-admin",
      fetch,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      {
        path: "client_secret",
        message:
          "the client secret is the local emulator's published seed secret (emulator-only-…), refused for copied-env.eu.auth0.com, which is not the emulator — give that application's own secret",
      },
    ]);
    expect(shown(error)).not.toContain("emulator-only-secret-admin");
    expect(requests).toHaveLength(0);
  });

  test("is sent to the emulator on loopback", async () => {
    const { fetch, requests } = createRecordingFetch([granted("emulator-token")]);
    const token = await getManagementToken({
      domain: "http://127.0.0.1:4999",
      clientId: "idlink-admin",
      clientSecret: "emulator-only-secret-admin",
      fetch,
    });
    expect(token).toBe("emulator-token");
    expect(requests).toHaveLength(1);
  });
});
