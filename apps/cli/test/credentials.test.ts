import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { chmodSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { defaultSeed, withPrivateKeyJwtClient } from "@idlink/emulator";
import * as kit from "@idlink/test-kit";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  alice,
  expectNoSecrets,
  idlink,
  json,
  type Result,
  startTenant,
  type Tenant,
  tempDir,
} from "./helpers.ts";

const clientId = "idlink-admin-jwt";
const keyPair = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
const { privateKey: pem, publicKey } = keyPair();
const otherPem = keyPair().privateKey;
const seed = withPrivateKeyJwtClient(defaultSeed(), { clientId, publicKeyPem: publicKey });
// A key leaks if any of its base64 lines is printed, not only the whole PEM.
const keyLines = [pem, otherPem].flatMap((k) => k.split("\n").filter((line) => line.length >= 40));

let tenant: Tenant;
const dir = tempDir();
const keyFile = join(dir.path, "key.pem");
const otherKeyFile = join(dir.path, "other.pem");
const configFile = join(dir.path, "config.json");
beforeAll(async () => {
  tenant = await startTenant({ seed, rateLimit: false });
  writeFileSync(keyFile, pem, { mode: 0o600 });
  writeFileSync(otherKeyFile, otherPem, { mode: 0o600 });
  kit.recordSecrets(pem, otherPem, ...keyLines);
});
afterAll(async () => {
  await tenant.stop();
  dir.cleanup();
});

/** No key line, no secret and no JWT-shaped string (an assertion, a token) in what idlink printed. */
function expectNothingSecret(result: Result) {
  expectNoSecrets(result, [...tenant.secrets, ...keyLines]);
  expect(result.stdout + result.stderr).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/);
}

const show = (env: Record<string, string>, ...flags: string[]) =>
  idlink(["show", alice, "--json", ...flags], { env });

describe("a key file others may read", () => {
  test("is refused before anything is sent, naming the file and the fix", async () => {
    const open = join(dir.path, "open.pem");
    writeFileSync(open, pem, { mode: 0o644 });
    chmodSync(open, 0o644);
    const before = tenant.emu.state.requests.length;
    const result = await show(
      { AUTH0_DOMAIN: tenant.emu.url, AUTH0_CLIENT_ID: clientId },
      "--private-key-file",
      open,
    );
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain(
      `--private-key-file (${open}) is readable by every user (mode 644) — a private key must be yours alone: chmod 600 it, or pass --allow-insecure-key-file to use it anyway`,
    );
    expect(tenant.emu.state.requests.length).toBe(before);
    expectNothingSecret(result);
  });

  test("is used with --allow-insecure-key-file, with a warning on stderr", async () => {
    const open = join(dir.path, "open-allowed.pem");
    writeFileSync(open, pem, { mode: 0o644 });
    chmodSync(open, 0o644);
    const result = await show(
      { AUTH0_DOMAIN: tenant.emu.url, AUTH0_CLIENT_ID: clientId },
      "--private-key-file",
      open,
      "--allow-insecure-key-file",
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `idlink: warning: --private-key-file (${open}) is readable by every user (mode 644): chmod 600 it`,
    );
    expectNothingSecret(result);
  });
});

describe("Private Key JWT", () => {
  test.each([
    ["--private-key-file", { AUTH0_CLIENT_ID: clientId }, ["--private-key-file", keyFile]],
    [
      "AUTH0_CLIENT_SIGNING_KEY_PATH",
      { AUTH0_CLIENT_ID: clientId, AUTH0_CLIENT_SIGNING_KEY_PATH: keyFile },
      [],
    ],
    [
      "AUTH0_CLIENT_SIGNING_KEY_PATH written ~/key.pem (no shell expanded it)",
      { AUTH0_CLIENT_ID: clientId, AUTH0_CLIENT_SIGNING_KEY_PATH: "~/key.pem", HOME: dir.path },
      [],
    ],
    [
      "--private-key-file=~/key.pem",
      { AUTH0_CLIENT_ID: clientId, HOME: dir.path },
      ["--private-key-file=~/key.pem"],
    ],
    [
      "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
      { AUTH0_CLIENT_ID: clientId, AUTH0_CLIENT_ASSERTION_SIGNING_KEY: pem },
      [],
    ],
  ])("gets a Management token with a private key from %s", async (_name, env, flags) => {
    const result = await show({ AUTH0_DOMAIN: tenant.emu.url, ...env }, ...flags);
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ ok: true, user: { user_id: alice } });
    expectNothingSecret(result);
  });

  test("says what to check when Auth0 refuses the assertion (another key)", async () => {
    const result = await show(
      { AUTH0_DOMAIN: tenant.emu.url, AUTH0_CLIENT_ID: clientId },
      "--private-key-file",
      otherKeyFile,
    );
    expect(result.code).toBe(1);
    expect(json(result)).toMatchObject({
      ok: false,
      error: {
        status: 401,
        code: "invalid_client",
        hint: expect.stringContaining("public key is registered"),
      },
    });
    expectNothingSecret(result);
  });

  test.each([
    [
      "a secret and a key",
      { AUTH0_CLIENT_SECRET: "emulator-only-secret-admin" },
      ["--private-key-file", keyFile],
      "an application authenticates with one",
    ],
    ["a key that does not exist", {}, ["--private-key-file", join(dir.path, "nope.pem")], "cannot read"],
    [
      "a public key",
      { AUTH0_CLIENT_ASSERTION_SIGNING_KEY: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----" },
      [],
      "AUTH0_CLIENT_ASSERTION_SIGNING_KEY holds a public key",
    ],
    [
      "an unknown algorithm",
      { AUTH0_CLIENT_SIGNING_KEY_PATH: keyFile, AUTH0_CLIENT_ASSERTION_SIGNING_ALG: "HS256" },
      [],
      "must be one of RS256, RS384, PS256",
    ],
  ])("refuses %s before anything is sent", async (_name, env, flags, message) => {
    const before = tenant.emu.state.requests.length;
    const result = await show({ AUTH0_DOMAIN: tenant.emu.url, AUTH0_CLIENT_ID: clientId, ...env }, ...flags);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).toContain(message);
    expect(tenant.emu.state.requests.length).toBe(before);
    expectNothingSecret(result);
  });
});

describe("AUTH0_ACCESS_TOKEN", () => {
  test("is accepted as AUTH0_TOKEN", async () => {
    const result = await show({ AUTH0_DOMAIN: tenant.emu.url, AUTH0_ACCESS_TOKEN: tenant.adminToken });
    expect(result.code).toBe(0);
  });

  test("refuses two different tokens", async () => {
    const result = await show({
      AUTH0_DOMAIN: tenant.emu.url,
      AUTH0_ACCESS_TOKEN: tenant.adminToken,
      AUTH0_TOKEN: tenant.readerToken,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("AUTH0_TOKEN and AUTH0_ACCESS_TOKEN are both set and differ");
    expectNothingSecret(result);
  });
});

describe("values as pasted where no shell reads them", () => {
  test.each([
    ["a header's Bearer", (token: string) => `Bearer ${token}`, 'AUTH0_TOKEN starts with "Bearer"'],
    ["quotes a .env file kept", (token: string) => `"${token}"`, "AUTH0_TOKEN is wrapped in quotes"],
  ])("%s: refused before anything is sent (exit 2), the token not echoed", async (_what, paste, message) => {
    const requests = tenant.emu.state.requests.length;
    const result = await show({ AUTH0_DOMAIN: tenant.emu.url, AUTH0_TOKEN: paste(tenant.adminToken) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(tenant.emu.state.requests.length).toBe(requests);
    expectNothingSecret(result);
  });

  test("a quoted AUTH0_DOMAIN is refused with the fix", async () => {
    const result = await show({ AUTH0_DOMAIN: `'${tenant.emu.url}'`, AUTH0_TOKEN: tenant.adminToken });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("AUTH0_DOMAIN is wrapped in quotes — give the host without them");
  });
});

describe("custom domains", () => {
  test("--audience is the token's audience; a wrong one is explained", async () => {
    const result = await show(tenant.clientEnv, "--audience", "https://login.example.com/api/v2/");
    expect(result.code).toBe(1);
    const error = json(result).error as Record<string, string>;
    expect(error.message).toContain("Service not enabled within domain: https://login.example.com/api/v2/");
    expect(error.hint).toContain("canonical domain");
    expectNothingSecret(result);
  });

  test("--audience with the tenant's own audience works", async () => {
    const result = await show(tenant.clientEnv, "--audience", tenant.emu.managementAudience);
    expect(result.code).toBe(0);
  });

  test("a token for another audience gets the custom-domain hint", async () => {
    const token = await tenant.emu.mintToken({
      scopes: ["read:users"],
      claims: { aud: "https://login.example.com/api/v2/" },
    });
    kit.recordSecrets(token);
    const result = await show({ AUTH0_DOMAIN: tenant.emu.url, AUTH0_TOKEN: token });
    expect(result.code).toBe(1);
    expect(json(result)).toMatchObject({
      error: {
        status: 401,
        message: expect.stringContaining("Bad audience: https://login.example.com/api/v2/"),
        hint: expect.stringContaining("AUTH0_AUDIENCE"),
      },
    });
    expectNoSecrets(result, [token]);
  });
});

describe("a tenant that cannot be reached", () => {
  let closedPort = "";
  beforeAll(async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await once(server, "listening");
    closedPort = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise((resolve) => server.close(resolve));
  });

  test.each([
    ["nothing listening", () => closedPort, "connection failed: ECONNREFUSED"],
    // Port 9 is one that fetch refuses to use at all.
    ["a port fetch blocks", () => "http://127.0.0.1:9", "connection failed: bad port"],
    [
      "https to a server that speaks http",
      () => tenant.emu.url.replace("http:", "https:"),
      "connection failed: ERR_SSL",
    ],
  ])("%s: the token request says so, with the domain to check", async (_name, domain, reason) => {
    const result = await show({ ...tenant.clientEnv, AUTH0_DOMAIN: domain() });
    expect(result.code).toBe(1);
    expect(json(result)).toMatchObject({
      ok: false,
      error: {
        // The host it tried, so a typo or a look-alike shows.
        message: expect.stringContaining(`Get Management token could not reach ${new URL(domain()).host} (`),
        hint: "Check the domain and the network, then retry.",
      },
    });
    expect((json(result).error as { message: string }).message).toContain(reason);
    expectNothingSecret(result);
  });
});

describe("profiles", () => {
  const write = (config: unknown) => writeFileSync(configFile, JSON.stringify(config));
  const staging = () => ({ domain: tenant.emu.url, clientId, privateKeyFile: keyFile });
  const env = (extra: Record<string, string> = {}) => ({ IDLINK_CONFIG: configFile, ...extra });

  test("--tenant NAME takes the tenant and where its key is from the config file", async () => {
    write({ tenants: { staging: staging() } });
    const result = await idlink(["show", alice, "--tenant", "staging", "--json"], { env: env() });
    expect(result.code).toBe(0);
    expectNothingSecret(result);
  });

  test.each([
    [["--tenant", "staging", "show", alice, "--json"]],
    [["--tenant=staging", "show", alice, "--json"]],
  ])("the profile may be named before the command: %j", async (argv) => {
    write({ tenants: { staging: staging() } });
    const result = await idlink(argv, { env: env() });
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ ok: true, user: { user_id: alice } });
  });

  test("IDLINK_TENANT selects a profile, and a profile's secret comes from the variable it names", async () => {
    write({
      tenants: {
        admin: { domain: tenant.emu.url, clientId: "idlink-admin", clientSecretEnv: "ADMIN_SECRET" },
      },
    });
    const result = await show(env({ IDLINK_TENANT: "admin", ADMIN_SECRET: "emulator-only-secret-admin" }));
    expect(result.code).toBe(0);
  });

  test("the default profile applies when no tenant is given", async () => {
    write({ default: "staging", tenants: { staging: staging() } });
    expect((await show(env())).code).toBe(0);
  });

  test.each([
    [
      "a secret in the file",
      () => ({ tenants: { staging: { ...staging(), clientSecret: "emulator-only-secret-admin" } } }),
      env({ IDLINK_TENANT: "staging" }),
      'profile "staging": field "clientSecret"',
    ],
    [
      "a key in the file",
      () => ({ tenants: { staging: { ...staging(), privateKey: "PEM" } } }),
      env({ IDLINK_TENANT: "staging" }),
      "a config file must not hold secrets",
    ],
    [
      "an unknown profile",
      () => ({ tenants: { staging: staging() } }),
      env({ IDLINK_TENANT: "prod" }),
      'no profile "prod"',
    ],
    [
      "a stray AUTH0_TOKEN",
      () => ({ tenants: { staging: staging() } }),
      env({ IDLINK_TENANT: "staging", AUTH0_TOKEN: "t0k3n-stray-value" }),
      "AUTH0_TOKEN is set, but IDLINK_TENANT staging gives the tenant",
    ],
  ])("refuses %s, naming the profile", async (_name, config, environment, message) => {
    write(config());
    const result = await show(environment);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expectNoSecrets(result, ["emulator-only-secret-admin", "t0k3n-stray-value"]);
  });

  test("--domain beside --tenant is refused", async () => {
    write({ tenants: { staging: staging() } });
    const result = await show(env(), "--tenant", "staging", "--domain", tenant.emu.url);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--domain and --tenant staging both name the tenant");
  });
});
