import { recordOutput, recordSecrets } from "@idlink/test-kit";
import {
  compactVerify,
  decodeJwt,
  decodeProtectedHeader,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
} from "jose";
import { describe, expect, test } from "vitest";
import {
  checkSigningKeyPem,
  clientAssertionType,
  createManagementClient,
  describeError,
  getManagementToken,
  ManagementApiError,
  NetworkError,
  resolveCredentials,
  ValidationError,
} from "../src/index.ts";
import { createRecordingFetch, json, networkError } from "./fetch-recorder.ts";

const pair = await generateKeyPair("RS256", { extractable: true });
const pem = await exportPKCS8(pair.privateKey);
const publicPem = await exportSPKI(pair.publicKey);
recordSecrets(pem, ...pem.split("\n").filter((line) => line.length >= 40));

/** The messages an error carries, for asserting that no key material is in them. */
function shown(error: unknown): string {
  const text =
    error instanceof Error ? `${error.message}\n${JSON.stringify(describeError(error))}` : String(error);
  recordOutput("core: credentials error", text);
  return text;
}

function expectNoKey(text: string) {
  for (const line of pem.split("\n").filter((l) => l.length >= 40)) expect(text).not.toContain(line);
}

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
      clientCredentials: { clientId: "c", clientAssertionSigningKey: pem },
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
      "Get Management token could not reach Auth0 (connection failed: ECONNREFUSED) — POST /oauth/token",
    );
    expect(describeError(error)).toMatchObject({ hint: "Check the domain and the network, then retry." });
    expect(shown(error)).not.toContain(secret);
  });

  test("a token endpoint that never answers times out, and the next call asks again", async () => {
    let calls = 0;
    const silent = (request: Request) => {
      calls += 1;
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

describe("checkSigningKeyPem", () => {
  test.each([
    ["", "is empty"],
    [publicPem, "holds a public key"],
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "PKCS#1 key"],
    [
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----",
      "passphrase-protected",
    ],
    ["my-client-secret-value", "is not a PEM private key"],
  ])("refuses %j", (value, message) => {
    const result = checkSigningKeyPem(value, "AUTH0_CLIENT_ASSERTION_SIGNING_KEY");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.path).toBe("AUTH0_CLIENT_ASSERTION_SIGNING_KEY");
    expect(result.issues[0]?.message).toContain(message);
    expect(result.issues[0]?.message).not.toContain("my-client-secret-value");
  });
});

describe("resolveCredentials", () => {
  const pastedToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwYXN0ZWQifQ.pasted-token-signature-4c3b2a";
  recordSecrets(pastedToken);
  const files: Record<string, string> = {
    "./key.pem": pem,
    "./public.pem": publicPem,
    "/home/ada/keys/idlink.pem": pem,
  };
  const readFile = async (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error(`no such file ${path}`);
    return text;
  };

  test.each([
    [{ AUTH0_ACCESS_TOKEN: "t" }, { source: "AUTH0_ACCESS_TOKEN", token: "t" }],
    [
      { AUTH0_TOKEN: "t", AUTH0_ACCESS_TOKEN: "t" },
      { source: "AUTH0_TOKEN", token: "t" },
    ],
    [
      { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SECRET: "s", AUTH0_AUDIENCE: "https://t.auth0.com/api/v2/" },
      {
        source: "client c",
        clientCredentials: { clientId: "c", clientSecret: "s", audience: "https://t.auth0.com/api/v2/" },
      },
    ],
  ])("resolves %j", async (env, expected) => {
    expect(await resolveCredentials({ env })).toEqual(expected);
  });

  test.each([
    [
      { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SIGNING_KEY_PATH: "./key.pem" },
      "AUTH0_CLIENT_SIGNING_KEY_PATH (./key.pem)",
      "RS256",
    ],
    [
      {
        AUTH0_CLIENT_ID: "c",
        AUTH0_CLIENT_ASSERTION_SIGNING_KEY: pem,
        AUTH0_CLIENT_ASSERTION_SIGNING_ALG: "ps256",
      },
      "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
      "PS256",
    ],
  ])("takes a private key from %s", async (env, source, alg) => {
    const credentials = await resolveCredentials({ env, readFile });
    expect(credentials).toEqual({
      source: "client c",
      clientCredentials: {
        clientId: "c",
        clientAssertionSigningKey: pem.trim(),
        clientAssertionSigningAlg: alg,
        signingKeySource: source,
      },
    });
  });

  test.each([
    ["~/keys/idlink.pem", "/home/ada/"],
    ["~/keys/idlink.pem", "/home/ada"],
  ])(
    "a key path written %s starts at the home directory (%s), as a shell would read it",
    async (path, home) => {
      const fromEnv = await resolveCredentials({
        env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SIGNING_KEY_PATH: path },
        readFile,
        home,
      });
      expect(fromEnv).toMatchObject({
        clientCredentials: {
          clientAssertionSigningKey: pem.trim(),
          signingKeySource: `AUTH0_CLIENT_SIGNING_KEY_PATH (${path})`,
        },
      });
      const fromFlag = await resolveCredentials({
        env: { AUTH0_CLIENT_ID: "c" },
        keyFile: { name: "--private-key-file", path },
        readFile,
        home,
      });
      expect(fromFlag).toMatchObject({ clientCredentials: { clientAssertionSigningKey: pem.trim() } });
    },
  );

  test("~user and a ~ inside a path are left as written", async () => {
    const read: string[] = [];
    for (const path of ["~ada/key.pem", "./~/key.pem"]) {
      await resolveCredentials({
        env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SIGNING_KEY_PATH: path },
        readFile: async (p) => {
          read.push(p);
          return pem;
        },
        home: "/home/ada",
      });
    }
    expect(read).toEqual(["~ada/key.pem", "./~/key.pem"]);
  });

  test("a key file the user named wins over the key variables", async () => {
    const credentials = await resolveCredentials({
      env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SIGNING_KEY_PATH: "./missing.pem" },
      keyFile: { name: "--private-key-file", path: "./key.pem" },
      readFile,
    });
    expect(credentials).toMatchObject({
      clientCredentials: { signingKeySource: "--private-key-file (./key.pem)" },
    });
  });

  test.each([
    [{ AUTH0_TOKEN: "a", AUTH0_ACCESS_TOKEN: "b" }, "AUTH0_TOKEN", "both set and differ"],
    [{ AUTH0_ACCESS_TOKEN: "" }, "AUTH0_ACCESS_TOKEN", "is set but empty"],
    [
      { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SECRET: "s", AUTH0_CLIENT_SIGNING_KEY_PATH: "./key.pem" },
      "AUTH0_CLIENT_SECRET",
      "an application authenticates with one",
    ],
    [
      {
        AUTH0_CLIENT_ID: "c",
        AUTH0_CLIENT_ASSERTION_SIGNING_KEY: pem,
        AUTH0_CLIENT_SIGNING_KEY_PATH: "./key.pem",
      },
      "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
      "both give the private key",
    ],
    [
      { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SIGNING_KEY_PATH: "./public.pem" },
      "AUTH0_CLIENT_SIGNING_KEY_PATH (./public.pem)",
      "holds a public key",
    ],
    [
      { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_ASSERTION_SIGNING_KEY: "not-a-key" },
      "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
      "is not a PEM private key",
    ],
    [
      {
        AUTH0_CLIENT_ID: "c",
        AUTH0_CLIENT_SIGNING_KEY_PATH: "./key.pem",
        AUTH0_CLIENT_ASSERTION_SIGNING_ALG: "HS256",
      },
      "AUTH0_CLIENT_ASSERTION_SIGNING_ALG",
      "must be one of RS256, RS384, PS256",
    ],
    [
      { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SECRET: "s", AUTH0_CLIENT_ASSERTION_SIGNING_ALG: "RS256" },
      "AUTH0_CLIENT_ASSERTION_SIGNING_ALG",
      "no private key is",
    ],
    [{ AUTH0_CLIENT_SIGNING_KEY_PATH: "./key.pem" }, "AUTH0_CLIENT_ID", "is not set"],
    [{ AUTH0_CLIENT_ID: "c" }, "AUTH0_CLIENT_SECRET", "without a way to authenticate"],
    [
      { AUTH0_TOKEN: "t", AUTH0_AUDIENCE: "https://t.auth0.com/api/v2/" },
      "AUTH0_AUDIENCE",
      "only applies to a machine-to-machine application",
    ],
    [{ AUTH0_TOKEN: "t", AUTH0_CLIENT_SIGNING_KEY_PATH: "./key.pem" }, "AUTH0_TOKEN", "keep one way"],
  ])("refuses %j, naming %s", async (env, path, message) => {
    const error = await resolveCredentials({ env, readFile }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toContainEqual({
      path,
      message: expect.stringContaining(message),
    });
    expectNoKey(shown(error));
  });

  // Values as pasted where no shell reads them (named by a label: the token stays out of the test's title).
  test.each<[string, Record<string, string>, string, string]>([
    [
      "a header's Bearer",
      { AUTH0_TOKEN: `Bearer ${pastedToken}` },
      "AUTH0_TOKEN",
      'starts with "Bearer" — give the token alone',
    ],
    [
      "bearer in lower case",
      { AUTH0_ACCESS_TOKEN: `bearer  ${pastedToken}` },
      "AUTH0_ACCESS_TOKEN",
      'starts with "Bearer"',
    ],
    [
      "a quoted token",
      { AUTH0_TOKEN: `'${pastedToken}'` },
      "AUTH0_TOKEN",
      "is wrapped in quotes — remove them",
    ],
    [
      "a quoted secret",
      { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SECRET: `"${pastedToken}"` },
      "AUTH0_CLIENT_SECRET",
      "wrapped in quotes",
    ],
    [
      "a quoted client id",
      { AUTH0_CLIENT_ID: '"c"', AUTH0_CLIENT_SECRET: "s" },
      "AUTH0_CLIENT_ID",
      "wrapped in quotes",
    ],
  ])("refuses %s, naming the variable, without echoing the value", async (_what, env, path, message) => {
    const error = await resolveCredentials({ env }).catch((e: unknown) => e);
    expect((error as ValidationError).issues).toEqual([{ path, message: expect.stringContaining(message) }]);
    expect(shown(error)).not.toContain(pastedToken);
  });

  test("refuses a token file holding a header's Bearer, naming the file and not the token", async () => {
    const error = await resolveCredentials({
      env: {},
      file: { name: "--token-file", read: async () => `Bearer ${pastedToken}\n` },
    }).catch((e: unknown) => e);
    expect((error as ValidationError).issues).toEqual([
      { path: "--token-file", message: expect.stringContaining('--token-file starts with "Bearer"') },
    ]);
    expect(shown(error)).not.toContain(pastedToken);
  });

  test.each([
    [{ keyFile: { name: "--private-key-file", path: "./key.pem" } }, "--private-key-file"],
    [{ audience: { name: "--audience", value: "https://t.auth0.com/api/v2/" } }, "--audience"],
  ])("refuses a token file beside %j", async (extra, path) => {
    const error = await resolveCredentials({
      env: {},
      file: { name: "--token-file", read: async () => "t" },
      readFile,
      ...extra,
    }).catch((e: unknown) => e);
    expect((error as ValidationError).issues).toContainEqual({
      path,
      message: expect.stringContaining("--token-file gives a token — use one"),
    });
  });

  test("names a profile's variables as the profile calls them", async () => {
    const error = await resolveCredentials({
      env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SECRET: "s", AUTH0_CLIENT_ASSERTION_SIGNING_KEY: pem },
      labels: { AUTH0_CLIENT_ASSERTION_SIGNING_KEY: 'STAGING_KEY (profile "staging" privateKeyEnv)' },
    }).catch((e: unknown) => e);
    expect(shown(error)).toContain('STAGING_KEY (profile "staging" privateKeyEnv) are both set');
  });
});

describe("describeError on a custom domain", () => {
  const error = (status: number, message: string, path = "/api/v2/users/{id}") =>
    new ManagementApiError({ operation: "Get user", status, error: "e", message, method: "GET", path });

  test.each([
    [error(401, "Bad audience: https://login.example.com/api/v2/")],
    [error(403, "Service not enabled within domain: https://login.example.com/api/v2/", "/oauth/token")],
  ])("says a custom domain may be in use for %s", (e) => {
    const hint = describeError(e).hint ?? "";
    expect(hint).toContain("canonical domain");
    expect(hint).toContain("AUTH0_AUDIENCE");
  });

  test("tells what to check when Auth0 refuses a client assertion", () => {
    const e = new ManagementApiError({
      operation: "Get Management token",
      status: 401,
      error: "invalid_client",
      message: "Invalid client assertion signature",
      method: "POST",
      path: "/oauth/token",
    });
    expect(describeError(e).hint).toContain("public key is registered on the application");
  });
});
