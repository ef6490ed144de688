import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import { applyProfile, configFilePath, parseTenantConfig } from "../../src/node.ts";

const path = "/home/u/.config/idlink/config.json";
const config = (value: unknown) => JSON.stringify(value);
const staging = {
  domain: "staging-tenant.eu.auth0.com",
  clientId: "stg-client",
  privateKeyFile: "~/keys/staging.pem",
  signingAlg: "PS256",
};
const prod = { domain: "prod.eu.auth0.com", clientId: "prod-client", clientSecretEnv: "PROD_SECRET" };
const file = config({ default: "prod", tenants: { staging, prod } });

describe("configFilePath", () => {
  test.each([
    [{ IDLINK_CONFIG: "/tmp/c.json" }, "/tmp/c.json"],
    [{ IDLINK_CONFIG: "~/idlink.json" }, "/home/u/idlink.json"],
    [{ XDG_CONFIG_HOME: "/xdg" }, "/xdg/idlink/config.json"],
    [{ XDG_CONFIG_HOME: "relative/ignored" }, "/home/u/.config/idlink/config.json"],
    [{}, "/home/u/.config/idlink/config.json"],
  ])("%j → %s", (env, expected) => {
    expect(configFilePath(env, "/home/u")).toBe(expected);
  });
});

describe("parseTenantConfig", () => {
  test("reads profiles and the default", () => {
    const parsed = parseTenantConfig(file, path);
    expect(parsed).toMatchObject({ ok: true, value: { default: "prod", tenants: { staging, prod } } });
  });

  const secretValue = "s3cr3t-value-that-must-not-show";
  test.each([
    [
      { tenants: { staging: { ...staging, clientSecret: secretValue } } },
      'profile "staging": field "clientSecret"',
      "is a secret",
    ],
    [
      { tenants: { staging: { ...staging, client_secret: secretValue } } },
      'profile "staging": field "client_secret"',
      "is a secret",
    ],
    [
      { tenants: { staging: { ...staging, token: secretValue } } },
      'profile "staging": field "token"',
      "is a secret",
    ],
    [
      {
        tenants: {
          staging: { ...staging, privateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----" },
        },
      },
      'profile "staging": field "privateKey"',
      "is a secret",
    ],
    [
      { tenants: { staging: { ...staging, notes: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl" } } },
      'profile "staging": field "notes"',
      "holds a key or token",
    ],
    [{ client_secret: secretValue, tenants: {} }, 'field "client_secret"', "is a secret"],
  ])("refuses a secret in the file: %j", (value, where, why) => {
    const parsed = parseTenantConfig(config(value), path);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    const text = parsed.issues.map((i) => i.message).join("\n");
    recordOutput("core: profile refusal", text);
    expect(text).toContain(where);
    expect(text).toContain(why);
    expect(text).toContain("name the environment variable");
    expect(text).not.toContain(secretValue);
    expect(text).not.toContain("AAAA");
  });

  test.each([
    ["{ not json", "is not valid JSON"],
    [config([]), "must hold an object"],
    [config({ tenants: [] }), '"tenants" must be an object'],
    [config({ tenants: { a: { clientId: "x" } } }), 'profile "a": field "domain"'],
    [
      config({ tenants: { a: { domain: "t.auth0.com", colour: "red" } } }),
      'profile "a": field "colour" is not known',
    ],
    [
      config({ tenants: { a: { domain: "t.auth0.com", clientSecretEnv: "not a name!" } } }),
      'profile "a": field "clientSecretEnv" must be the NAME of an environment variable',
    ],
    [
      config({ tenants: { a: { domain: "t.auth0.com", signingAlg: "HS256" } } }),
      'profile "a": field "signingAlg"',
    ],
    [
      config({ default: "b", tenants: { a: { domain: "t.auth0.com" } } }),
      'the default profile "b" is not under "tenants"',
    ],
  ])("refuses %s", (text, message) => {
    const parsed = parseTenantConfig(text, path);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues.map((i) => i.message).join("\n")).toContain(message);
  });
});

describe("secrets where a name was expected are never echoed", () => {
  const clientSecret = "Xk3vQ9pL2mN8rT5wY7zA1bC4dE6fG0hJ_sUuVvWwXxYyZz0123456789abcdEFGH";
  recordSecrets(clientSecret);

  test.each(["clientSecretEnv", "tokenEnv", "privateKeyEnv"])(
    "a client secret written as the value of %s is refused, not shown",
    (field) => {
      const parsed = parseTenantConfig(
        config({ tenants: { a: { domain: "t.auth0.com", [field]: clientSecret } } }),
        path,
      );
      expect(parsed.ok).toBe(false);
      const text = parsed.ok ? "" : parsed.issues.map((i) => i.message).join("\n");
      recordOutput("core: profile refusal", text);
      expect(text).toContain(
        `profile "a": field "${field}" holds what looks like the secret itself (not shown)`,
      );
      expect(text).not.toContain(clientSecret.slice(0, 12));
    },
  );

  test("a variable name of words and digits is still a name", () => {
    const parsed = parseTenantConfig(
      config({
        tenants: { a: { domain: "t.auth0.com", clientSecretEnv: "ACME_PRODUCTION_CLIENT_SECRET_V2" } },
      }),
      path,
    );
    expect(parsed.ok).toBe(true);
  });

  test("a secret pasted as the profile's name (--tenant) is not echoed", () => {
    const applied = applyProfile({
      env: {},
      configPath: path,
      configText: file,
      requested: { name: clientSecret, via: "--tenant" },
    });
    expect(applied.ok).toBe(false);
    const text = applied.ok ? "" : applied.issues.map((i) => i.message).join("\n");
    recordOutput("core: profile refusal", text);
    expect(text).toContain('no profile "(a value shaped like a secret: not shown)"');
    expect(text).not.toContain(clientSecret.slice(0, 12));
    const noFile = applyProfile({
      env: {},
      configPath: path,
      configText: undefined,
      requested: { name: clientSecret, via: "--tenant" },
    });
    expect(noFile.ok || noFile.issues[0]?.message).not.toContain(clientSecret.slice(0, 12));
  });
});

describe("applyProfile", () => {
  const requested = (name: string) => ({ name, via: "--tenant" });

  test("a requested profile defines the AUTH0_* variables and names them", () => {
    const result = applyProfile({
      env: { PATH: "/bin" },
      configPath: path,
      configText: file,
      requested: requested("staging"),
    });
    expect(result).toEqual({
      ok: true,
      value: {
        profile: "staging",
        env: {
          PATH: "/bin",
          AUTH0_DOMAIN: staging.domain,
          AUTH0_CLIENT_ID: staging.clientId,
          AUTH0_CLIENT_SIGNING_KEY_PATH: staging.privateKeyFile,
          AUTH0_CLIENT_ASSERTION_SIGNING_ALG: "PS256",
        },
        labels: {
          AUTH0_DOMAIN: 'profile "staging" domain',
          AUTH0_CLIENT_ID: 'profile "staging" clientId',
          AUTH0_CLIENT_SIGNING_KEY_PATH: 'profile "staging" privateKeyFile',
          AUTH0_CLIENT_ASSERTION_SIGNING_ALG: 'profile "staging" signingAlg',
        },
      },
    });
  });

  test("takes a secret from the variable the profile names", () => {
    const result = applyProfile({
      env: { PROD_SECRET: "p" },
      configPath: path,
      configText: file,
      requested: undefined,
    });
    expect(result).toMatchObject({
      ok: true,
      value: {
        profile: "prod",
        env: { AUTH0_CLIENT_SECRET: "p" },
        labels: { AUTH0_CLIENT_SECRET: 'PROD_SECRET (profile "prod" clientSecretEnv)' },
      },
    });
  });

  test.each([
    ["no file and no request", { configText: undefined, requested: undefined, env: { AUTH0_TOKEN: "t" } }],
    [
      "a domain given, so the default stays out",
      { configText: file, requested: undefined, env: { AUTH0_DOMAIN: "x.auth0.com" } },
    ],
    ["no default", { configText: config({ tenants: { staging } }), requested: undefined, env: {} }],
  ])("leaves the environment as it is with %s", (_name, input) => {
    const result = applyProfile({ configPath: path, ...input });
    expect(result).toEqual({ ok: true, value: { profile: undefined, env: input.env, labels: {} } });
  });

  test.each([
    [
      "a missing file",
      { configText: undefined, requested: requested("staging"), env: {} },
      "there is no config file at",
    ],
    ["an unknown profile", { configText: file, requested: requested("qa"), env: {} }, 'no profile "qa"'],
    [
      "an AUTH0_* variable beside the profile",
      { configText: file, requested: requested("staging"), env: { AUTH0_TOKEN: "t" } },
      "AUTH0_TOKEN is set, but --tenant staging gives the tenant",
    ],
    [
      "AUTH0_DOMAIN beside the profile",
      { configText: file, requested: requested("staging"), env: { AUTH0_DOMAIN: "x.auth0.com" } },
      "unset it, or drop --tenant",
    ],
    [
      "--domain beside the profile",
      { configText: file, requested: requested("staging"), env: {}, domainFlag: "x.auth0.com" },
      "--domain and --tenant staging both name the tenant",
    ],
    [
      "an unset secret variable",
      { configText: file, requested: requested("prod"), env: {} },
      'PROD_SECRET is not set — profile "prod" (clientSecretEnv)',
    ],
    [
      "a stray variable with the default profile",
      { configText: file, requested: undefined, env: { AUTH0_CLIENT_SECRET: "s", PROD_SECRET: "p" } },
      "set AUTH0_DOMAIN to use the environment instead",
    ],
  ])("refuses %s", (_name, input, message) => {
    const result = applyProfile({ configPath: path, ...input });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.message).join("\n")).toContain(message);
  });
});
