import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEmulator, defaultSeed, withPrivateKeyJwtClient } from "@idlink/emulator";
import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import { ConfigError, readEnv } from "../server/env.ts";
import { startDemo } from "../server/start-demo.ts";

const tenant = {
  AUTH0_DOMAIN: "example.eu.auth0.com",
  AUTH0_CLIENT_ID: "m2m-id",
  AUTH0_CLIENT_SECRET: "m2m-secret",
  AUTH0_SPA_CLIENT_ID: "spa-id",
};
const { privateKey: pem } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});
const keyLines = pem.split("\n").filter((line) => line.length >= 40);
recordSecrets(pem, ...keyLines);
const files: Record<string, string> = { "/keys/demo.pem": pem };
const readKeyFile = async (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  return text;
};

async function refusal(env: Record<string, string>): Promise<string> {
  const error = await readEnv(env, readKeyFile).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as ConfigError).message;
  recordOutput("web-demo: config error", message);
  for (const line of keyLines) expect(message).not.toContain(line);
  return message;
}

describe("a private key file others may read", () => {
  const env = {
    AUTH0_DOMAIN: "example.eu.auth0.com",
    AUTH0_CLIENT_ID: "m2m-id",
    AUTH0_SPA_CLIENT_ID: "spa-id",
    AUTH0_CLIENT_SIGNING_KEY_PATH: "/keys/demo.pem",
  };

  test("is refused, naming the file, chmod 600 and the override", async () => {
    const error = await readEnv(env, readKeyFile, async () => 0o100644).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      "AUTH0_CLIENT_SIGNING_KEY_PATH (/keys/demo.pem) is readable by every user (mode 644) — a private key must be yours alone: chmod 600 it, or pass IDLINK_ALLOW_INSECURE_KEY_FILE=1 to use it anyway",
    );
  });

  test("is used with IDLINK_ALLOW_INSECURE_KEY_FILE=1, with a warning", async () => {
    const config = await readEnv(
      { ...env, IDLINK_ALLOW_INSECURE_KEY_FILE: "1" },
      readKeyFile,
      async () => 0o100644,
    );
    expect(config).toMatchObject({
      mode: "tenant",
      warnings: [
        "AUTH0_CLIENT_SIGNING_KEY_PATH (/keys/demo.pem) is readable by every user (mode 644): chmod 600 it",
      ],
    });
  });

  test("a key only its owner may read raises nothing", async () => {
    const config = await readEnv(env, readKeyFile, async () => 0o100600);
    expect(config).not.toHaveProperty("warnings");
  });
});

describe("readEnv", () => {
  test("starts the emulator when nothing is configured", async () => {
    expect(await readEnv({})).toEqual({ mode: "emulator", port: 0 });
    expect(await readEnv({ AUTH0_DOMAIN: " ", PORT: "8080" })).toEqual({ mode: "emulator", port: 8080 });
  });

  test("points at a tenant with a client secret", async () => {
    expect(await readEnv(tenant)).toEqual({
      mode: "tenant",
      port: 5173,
      domain: expect.objectContaining({ origin: "https://example.eu.auth0.com" }),
      clientCredentials: { clientId: "m2m-id", clientSecret: "m2m-secret" },
      spaClientId: "spa-id",
    });
  });

  test("reads a key path written ~/… from the home directory", async () => {
    const { AUTH0_CLIENT_SECRET: _, ...withoutSecret } = tenant;
    const read: string[] = [];
    const config = await readEnv(
      { ...withoutSecret, HOME: "/keys", AUTH0_CLIENT_SIGNING_KEY_PATH: "~/demo.pem" },
      async (path) => {
        read.push(path);
        return readKeyFile(path);
      },
    );
    expect(read).toEqual(["/keys/demo.pem"]);
    expect(config).toMatchObject({ clientCredentials: { clientAssertionSigningKey: pem.trim() } });
  });

  test("points at a tenant with a private key (Private Key JWT)", async () => {
    const { AUTH0_CLIENT_SECRET: _, ...withoutSecret } = tenant;
    const config = await readEnv(
      {
        ...withoutSecret,
        AUTH0_CLIENT_SIGNING_KEY_PATH: "/keys/demo.pem",
        AUTH0_AUDIENCE: "https://example.eu.auth0.com/api/v2/",
      },
      readKeyFile,
    );
    expect(config).toMatchObject({
      mode: "tenant",
      clientCredentials: {
        clientId: "m2m-id",
        clientAssertionSigningKey: pem.trim(),
        clientAssertionSigningAlg: "RS256",
        audience: "https://example.eu.auth0.com/api/v2/",
      },
    });
  });

  test("names the missing variables of a half-configured tenant", async () => {
    const { AUTH0_SPA_CLIENT_ID: _, ...partial } = tenant;
    expect(await refusal(partial)).toContain("missing: AUTH0_SPA_CLIENT_ID");
  });

  test.each([
    [{ AUTH0_CLIENT_SECRET: "" }, "without a way to authenticate"],
    [{ AUTH0_CLIENT_SIGNING_KEY_PATH: "/keys/demo.pem" }, "an application authenticates with one"],
    [
      { AUTH0_CLIENT_SECRET: "", AUTH0_CLIENT_SIGNING_KEY_PATH: "/keys/missing.pem" },
      "cannot read the private key file /keys/missing.pem",
    ],
    [
      { AUTH0_CLIENT_SECRET: "", AUTH0_CLIENT_ASSERTION_SIGNING_KEY: "not-a-pem" },
      "AUTH0_CLIENT_ASSERTION_SIGNING_KEY is not a PEM private key",
    ],
  ])("refuses %j", async (extra, message) => {
    const env: Record<string, string> = { ...tenant, ...extra };
    for (const [k, v] of Object.entries(env)) if (v === "") delete env[k];
    expect(await refusal(env)).toContain(message);
  });

  test("IDLINK_DEBUG turns the debug trail on, and refuses what it cannot read", async () => {
    expect(await readEnv({ IDLINK_DEBUG: "true" })).toEqual({ mode: "emulator", port: 0, debug: true });
    expect(await readEnv({ IDLINK_DEBUG: "0" })).toEqual({ mode: "emulator", port: 0 });
    await expect(readEnv({ IDLINK_DEBUG: "loud" })).rejects.toThrow(
      "IDLINK_DEBUG must be 1/true/yes or 0/false/no",
    );
  });

  test("IDLINK_LINK_SESSION_SECRET is the linking page's secret: at least 32 characters, never echoed", async () => {
    const secret = "s".repeat(40);
    expect(await readEnv({ IDLINK_LINK_SESSION_SECRET: secret })).toEqual({
      mode: "emulator",
      port: 0,
      linkSessionSecret: secret,
    });
    expect(await readEnv({ ...tenant, IDLINK_LINK_SESSION_SECRET: secret })).toMatchObject({
      mode: "tenant",
      linkSessionSecret: secret,
    });
    const short = await refusal({ IDLINK_LINK_SESSION_SECRET: "too-short-secret-value" });
    expect(short).toContain("IDLINK_LINK_SESSION_SECRET must be at least 32 characters");
    expect(short).not.toContain("too-short-secret-value");
  });

  test("with the emulator the demo draws a linking-page secret per start and tells whoever loads the Action", async () => {
    const first = await startDemo({ mode: "emulator", port: 0 }, undefined);
    const second = await startDemo({ mode: "emulator", port: 0 }, undefined);
    try {
      expect(first.linkAtLogin?.pageUrl).toBe(`${first.server.origin}/link`);
      expect(first.linkAtLogin?.sessionSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(second.linkAtLogin?.sessionSecret).not.toBe(first.linkAtLogin?.sessionSecret);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  test.each(["abc", "70000", "-1"])("refuses PORT=%s", async (port) => {
    await expect(readEnv({ PORT: port })).rejects.toThrow("PORT must be a number between 0 and 65535");
  });
});

describe("the demo server with Private Key JWT", () => {
  test("reads a user through an emulator tenant whose M2M application has only a public key", async () => {
    // The emulator holds only `pem`'s public half.
    const publicKeyPem = createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
    const seed = withPrivateKeyJwtClient(defaultSeed(), { clientId: "demo-jwt", publicKeyPem });
    const emulator = await createEmulator({ seed, rateLimit: false });
    const config = await readEnv(
      {
        AUTH0_DOMAIN: emulator.url,
        AUTH0_CLIENT_ID: "demo-jwt",
        AUTH0_CLIENT_ASSERTION_SIGNING_KEY: pem,
        AUTH0_SPA_CLIENT_ID: "idlink-spa",
        PORT: "0",
      },
      readKeyFile,
    );
    const demo = await startDemo(config, join(tmpdir(), "idlink-demo-no-client"));
    try {
      const response = await fetch(
        `${demo.url}api/users/${encodeURIComponent("auth0|64f1a2b3c4d5e6f708192a3b")}`,
        { headers: { "x-idlink-csrf": demo.server.proof } },
      );
      const text = await response.text();
      recordOutput("web-demo: /api/users with Private Key JWT", text);
      expect(response.status).toBe(200);
      expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/);
      for (const line of keyLines) expect(text).not.toContain(line);
    } finally {
      await demo.stop();
      await emulator.stop();
    }
  });
});
