import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSeed, withPrivateKeyJwtClient } from "@idlink/emulator";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { afterAll, describe, expect, test } from "vitest";
import { createFactory } from "../src/app.ts";
import { ConfigError, parseConfig } from "../src/env.ts";
import { alice, rememberOutput, rememberSecret, structured, useEmulator } from "./helpers.ts";

const clientId = "idlink-admin-jwt";
const keyPair = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
const { privateKey: pem, publicKey } = keyPair();
const otherPem = keyPair().privateKey;
const keyLines = [pem, otherPem].flatMap((k) => k.split("\n").filter((line) => line.length >= 40));
rememberSecret(pem, otherPem, ...keyLines);

const emulator = useEmulator({
  seed: withPrivateKeyJwtClient(defaultSeed(), { clientId, publicKeyPem: publicKey }),
});
const dir = mkdtempSync(join(tmpdir(), "idlink-mcp-credentials-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyFile = join(dir, "key.pem");
const otherKeyFile = join(dir, "other.pem");
writeFileSync(keyFile, pem, { mode: 0o600 });
writeFileSync(otherKeyFile, otherPem, { mode: 0o600 });
const noConfig = { IDLINK_CONFIG: join(dir, "absent.json") };

/** Starts the server the way main.ts does (parseConfig, then createFactory) and calls get_user_identities. */
async function getIdentities(env: Record<string, string>) {
  const factory = createFactory(await parseConfig(env, []));
  // A stdio server calls the factory once, with no request context.
  const server = await factory({} as Parameters<typeof factory>[0]);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: "idlink-test", version: "0.0.0" });
  await client.connect(clientSide);
  try {
    const result = await client.callTool({ name: "get_user_identities", arguments: { user_id: alice } });
    rememberOutput("tools/call get_user_identities", JSON.stringify(result));
    return result;
  } finally {
    await client.close();
    await server.close();
  }
}

async function refusal(env: Record<string, string>): Promise<string> {
  const error = await parseConfig({ ...noConfig, ...env }, []).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as ConfigError).message;
  rememberOutput("config error", message);
  for (const line of keyLines) expect(message).not.toContain(line);
  return message;
}

describe("Private Key JWT", () => {
  test.each([
    ["AUTH0_CLIENT_SIGNING_KEY_PATH", { AUTH0_CLIENT_SIGNING_KEY_PATH: keyFile }],
    // An MCP client's JSON config is read by no shell: ~ reaches the server as written.
    [
      "AUTH0_CLIENT_SIGNING_KEY_PATH written ~/key.pem",
      { AUTH0_CLIENT_SIGNING_KEY_PATH: "~/key.pem", HOME: dir },
    ],
    ["AUTH0_CLIENT_ASSERTION_SIGNING_KEY", { AUTH0_CLIENT_ASSERTION_SIGNING_KEY: pem }],
  ])("a tool reads a user with a token got through %s", async (_name, key) => {
    const result = await getIdentities({
      ...noConfig,
      AUTH0_DOMAIN: emulator().url,
      AUTH0_CLIENT_ID: clientId,
      ...key,
    });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toMatchObject({ user_id: alice });
  });

  test("a refused assertion is a tool error that says what to check, with no key in it", async () => {
    const result = await getIdentities({
      ...noConfig,
      AUTH0_DOMAIN: emulator().url,
      AUTH0_CLIENT_ID: clientId,
      AUTH0_CLIENT_SIGNING_KEY_PATH: otherKeyFile,
    });
    expect(result.isError).toBe(true);
    const text = JSON.stringify(result);
    expect(text).toContain("invalid_client");
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/);
  });

  test.each([
    [
      { AUTH0_CLIENT_SECRET: "s", AUTH0_CLIENT_SIGNING_KEY_PATH: keyFile },
      "an application authenticates with one",
    ],
    [{ AUTH0_CLIENT_SIGNING_KEY_PATH: join(dir, "missing.pem") }, "cannot read the private key file"],
    [
      { AUTH0_CLIENT_ASSERTION_SIGNING_KEY: "not a key" },
      "AUTH0_CLIENT_ASSERTION_SIGNING_KEY is not a PEM private key",
    ],
  ])("refuses %j at start", async (env, message) => {
    expect(
      await refusal({ AUTH0_DOMAIN: "tenant.eu.auth0.com", AUTH0_CLIENT_ID: clientId, ...env }),
    ).toContain(message);
  });
});

describe("AUTH0_ACCESS_TOKEN and profiles", () => {
  test("AUTH0_ACCESS_TOKEN is AUTH0_TOKEN's alias; two different values are refused", async () => {
    const config = await parseConfig(
      { ...noConfig, AUTH0_DOMAIN: "tenant.eu.auth0.com", AUTH0_ACCESS_TOKEN: "t1" },
      [],
    );
    expect(config.credentials).toEqual({ source: "AUTH0_ACCESS_TOKEN", token: "t1" });
    const message = await refusal({
      AUTH0_DOMAIN: "tenant.eu.auth0.com",
      AUTH0_ACCESS_TOKEN: "t1",
      AUTH0_TOKEN: "t2",
    });
    expect(message).toContain("both set and differ");
  });

  test("IDLINK_TENANT selects a profile of the config file", async () => {
    const configFile = join(dir, "config.json");
    writeFileSync(
      configFile,
      JSON.stringify({ tenants: { staging: { domain: emulator().url, clientId, privateKeyFile: keyFile } } }),
    );
    const result = await getIdentities({ IDLINK_CONFIG: configFile, IDLINK_TENANT: "staging" });
    expect(structured(result)).toMatchObject({ user_id: alice });
  });

  test.each([
    [
      { tenants: { staging: { domain: "t.auth0.com", clientSecret: "in-the-file-secret" } } },
      'profile "staging": field "clientSecret"',
    ],
    [{ tenants: { other: { domain: "t.auth0.com" } } }, 'no profile "staging"'],
  ])("refuses %j", async (config, message) => {
    const configFile = join(dir, "bad-config.json");
    writeFileSync(configFile, JSON.stringify(config));
    const text = await refusal({ IDLINK_CONFIG: configFile, IDLINK_TENANT: "staging" });
    expect(text).toContain(message);
    expect(text).not.toContain("in-the-file-secret");
  });
});
