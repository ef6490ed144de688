import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import { describe, expect, test } from "vitest";
import { credentialVariables, resolveCredentials } from "../../src/node.ts";
import { describeError } from "../../src/present/describe-error.ts";
import { ValidationError } from "../../src/present/errors.ts";

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

describe("resolveCredentials, as a face calls it", () => {
  const read = (value: string) => async () => value;

  test.each([
    [{ env: { AUTH0_TOKEN: "t" } }, { source: "AUTH0_TOKEN", token: "t" }],
    [
      { env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SECRET: "s" } },
      { source: "client c", clientCredentials: { clientId: "c", clientSecret: "s" } },
    ],
    [
      { env: { AUTH0_TOKEN: "t" }, file: { name: "--token-file", read: read(" f \n") } },
      { source: "--token-file", token: "f" },
    ],
  ])("resolves %j", async (sources, expected) => {
    expect(await resolveCredentials(sources)).toEqual(expected);
  });

  test.each([
    [{ env: { AUTH0_TOKEN: "" } }, "AUTH0_TOKEN", "is set but empty"],
    [{ env: { AUTH0_CLIENT_ID: "c" } }, "AUTH0_CLIENT_SECRET", "without a way to authenticate"],
    [{ env: { AUTH0_TOKEN: "t", AUTH0_CLIENT_ID: "c" } }, "AUTH0_TOKEN", "keep one way"],
    [{ env: {} }, "AUTH0_TOKEN", "no Auth0 credentials"],
    [{ env: {}, stdin: { name: "--token-stdin", read: read("  ") } }, "--token-stdin", "empty token"],
    [
      {
        env: {},
        file: { name: "--token-file", read: read("t") },
        stdin: { name: "--token-stdin", read: read("t") },
      },
      "--token-file",
      "--token-file and --token-stdin both give the token: use one",
    ],
  ])("refuses %j, naming %s", async (sources, path, message) => {
    const error = await resolveCredentials(sources).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toContainEqual({
      path,
      message: expect.stringContaining(message),
    });
  });

  test("reads a key file only when a key path is the way chosen", async () => {
    const paths: string[] = [];
    const readFile = async (path: string) => {
      paths.push(path);
      return pem;
    };
    await resolveCredentials({ env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SECRET: "s" }, readFile });
    expect(paths).toEqual([]);
    await resolveCredentials({
      env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SIGNING_KEY_PATH: "./k.pem" },
      readFile,
    });
    expect(paths).toEqual(["./k.pem"]);
  });

  test("names the variables of the rule as Auth0's own tools do", () => {
    expect(Object.values(credentialVariables)).toEqual([
      "AUTH0_TOKEN",
      "AUTH0_ACCESS_TOKEN",
      "AUTH0_CLIENT_ID",
      "AUTH0_CLIENT_SECRET",
      "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
      "AUTH0_CLIENT_SIGNING_KEY_PATH",
      "AUTH0_CLIENT_ASSERTION_SIGNING_ALG",
      "AUTH0_AUDIENCE",
    ]);
  });
});

describe("files others may read", () => {
  const env = { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SIGNING_KEY_PATH: "./key.pem" };
  const readFile = async () => pem;
  const insecureKeyFile = { name: "--allow-insecure-key-file", allowed: false };

  test.each([
    [0o644, "every user (mode 644)"],
    [0o640, "its group (mode 640)"],
  ])("a private key with mode %o is refused, as ssh refuses one, naming the fix", async (mode, who) => {
    const error = await resolveCredentials({
      env,
      readFile,
      fileMode: async () => mode,
      insecureKeyFile,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      {
        path: "AUTH0_CLIENT_SIGNING_KEY_PATH",
        message: `AUTH0_CLIENT_SIGNING_KEY_PATH (./key.pem) is readable by ${who} — a private key must be yours alone: chmod 600 it, or pass --allow-insecure-key-file to use it anyway`,
      },
    ]);
    expectNoKey(shown(error));
  });

  test("a key with mode 600 is taken without a warning", async () => {
    const credentials = await resolveCredentials({ env, readFile, fileMode: async () => 0o100600 });
    expect("clientCredentials" in credentials).toBe(true);
    expect(credentials.warnings).toBeUndefined();
  });

  test("with the face's override, a key others may read is taken with a warning", async () => {
    const credentials = await resolveCredentials({
      env,
      readFile,
      fileMode: async () => 0o100644,
      insecureKeyFile: { ...insecureKeyFile, allowed: true },
    });
    expect(credentials.warnings).toEqual([
      "AUTH0_CLIENT_SIGNING_KEY_PATH (./key.pem) is readable by every user (mode 644): chmod 600 it",
    ]);
  });

  test("a token file others may read is taken with a warning that names it, never the token", async () => {
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmaWxlIn0.file-token-signature-9f8e7d";
    recordSecrets(token);
    const credentials = await resolveCredentials({
      env: {},
      file: { name: "--token-file", path: "/tmp/token.txt", read: async () => token },
      fileMode: async () => 0o100644,
    });
    expect(credentials.warnings).toEqual([
      "--token-file /tmp/token.txt is readable by every user (mode 644) — a token file should be yours alone: chmod 600 it",
    ]);
    recordOutput("core: credentials warning", credentials.warnings?.join("\n") ?? "");
  });

  test("a secret pasted where a key path was expected is never echoed", async () => {
    const error = await resolveCredentials({
      env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SIGNING_KEY_PATH: pem },
      readFile: async () => {
        throw new Error("cannot read the private key file");
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expectNoKey(shown(error));
  });
});
