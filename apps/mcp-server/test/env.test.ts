import { describe, expect, test } from "vitest";
import { ConfigError, defaultHttpPort, parseConfig } from "../src/env.ts";

const noConfig = { IDLINK_CONFIG: "/nonexistent/idlink/config.json" };
const domain = { ...noConfig, AUTH0_DOMAIN: "tenant.eu.auth0.com" };
const clientCredentials = { ...domain, AUTH0_CLIENT_ID: "id", AUTH0_CLIENT_SECRET: "secret" };
const httpToken = "h".repeat(32);

describe("parseConfig", () => {
  test("reads client credentials, stdio and all tools by default", async () => {
    expect(await parseConfig(clientCredentials, [])).toEqual({
      domain: expect.objectContaining({ origin: "https://tenant.eu.auth0.com" }),
      credentials: { source: "client id", clientCredentials: { clientId: "id", clientSecret: "secret" } },
      readOnly: false,
      tools: undefined,
      debug: false,
      http: undefined,
      help: false,
      version: false,
    });
  });

  test("reads a Management token", async () => {
    expect((await parseConfig({ ...domain, AUTH0_TOKEN: "t" }, [])).credentials).toEqual({
      source: "AUTH0_TOKEN",
      token: "t",
    });
  });

  test.each([
    [noConfig, "AUTH0_DOMAIN is not set"],
    [domain, "no Auth0 credentials — set AUTH0_TOKEN"],
    [{ ...domain, AUTH0_CLIENT_ID: "id" }, "AUTH0_CLIENT_ID is set without a way to authenticate"],
    [{ ...domain, AUTH0_CLIENT_SECRET: "s" }, "AUTH0_CLIENT_ID is not set"],
    [{ ...clientCredentials, AUTH0_TOKEN: "t" }, "keep one way of authenticating"],
    [{ ...domain, AUTH0_TOKEN: " " }, "AUTH0_TOKEN is set but empty"],
    [{ ...clientCredentials, AUTH0_DOMAIN: "https://tenant.eu.auth0.com/api/v2" }, "AUTH0_DOMAIN has a path"],
    [{ ...clientCredentials, AUTH0_DOMAIN: "http://tenant.eu.auth0.com" }, "AUTH0_DOMAIN must use https"],
    [{ ...clientCredentials, IDLINK_MCP_READ_ONLY: "maybe" }, "IDLINK_MCP_READ_ONLY must be 1/true/yes"],
    [
      { ...clientCredentials, IDLINK_DEBUG: "verbose" },
      'IDLINK_DEBUG must be 1/true/yes or 0/false/no, not "verbose"',
    ],
  ])("refuses %j: %s", async (env, message) => {
    await expect(parseConfig(env, [])).rejects.toThrow(ConfigError);
    await expect(parseConfig(env, [])).rejects.toThrow(message);
  });

  test.each([
    [["--read-only"], {}],
    [[], { IDLINK_MCP_READ_ONLY: "1" }],
    [[], { IDLINK_MCP_READ_ONLY: "true" }],
  ])("turns read-only mode on from %j %j", async (argv, env) => {
    expect((await parseConfig({ ...clientCredentials, ...env }, argv)).readOnly).toBe(true);
  });

  test("turns the debug trail on with IDLINK_DEBUG=1", async () => {
    expect((await parseConfig({ ...clientCredentials, IDLINK_DEBUG: "1" }, [])).debug).toBe(true);
    expect((await parseConfig({ ...clientCredentials, IDLINK_DEBUG: "0" }, [])).debug).toBe(false);
  });

  test("selects tools in their stable order", async () => {
    expect((await parseConfig(clientCredentials, ["--tools", "link_accounts, preview_link"])).tools).toEqual([
      "preview_link",
      "link_accounts",
    ]);
  });

  test.each([
    [["--tools", "link_acounts"], "unknown tool(s) in --tools: link_acounts"],
    [["--tools", ""], "--tools is empty"],
    [
      ["--read-only", "--tools", "unlink_identity"],
      "unlink_identity change accounts and read-only mode is on",
    ],
    [["--http"], "--http needs IDLINK_MCP_HTTP_TOKEN"],
    [["--port", "8080"], "--port needs --http"],
    [["--verbose"], "Unknown option '--verbose'"],
  ])("refuses %j", async (argv, message) => {
    await expect(parseConfig(clientCredentials, argv)).rejects.toThrow(message);
  });

  test("serves HTTP with a bearer token, on the default port or the one given", async () => {
    const env = { ...clientCredentials, IDLINK_MCP_HTTP_TOKEN: httpToken };
    expect((await parseConfig(env, ["--http"])).http).toEqual({ port: defaultHttpPort, token: httpToken });
    expect((await parseConfig(env, ["--http", "--port", "0"])).http).toEqual({ port: 0, token: httpToken });
    await expect(parseConfig(env, ["--http", "--port", "99999"])).rejects.toThrow(
      "--port must be a whole number",
    );
    await expect(parseConfig({ ...env, IDLINK_MCP_HTTP_TOKEN: "short" }, ["--http"])).rejects.toThrow(
      "too short",
    );
  });

  test("--help and --version need no credentials", async () => {
    expect((await parseConfig({}, ["--help"])).help).toBe(true);
    expect((await parseConfig({}, ["--version"])).version).toBe(true);
  });
});

describe("a private key file others may read", () => {
  const env = { ...domain, AUTH0_CLIENT_ID: "id", AUTH0_CLIENT_SIGNING_KEY_PATH: "/keys/open.pem" };
  const files = (mode: number) => ({
    home: "/home/u",
    readFile: async () => {
      throw Object.assign(new Error("not read: refused before"), { code: "EACCES" });
    },
    fileMode: async () => mode,
  });

  test("is refused before it is read, naming the file, chmod 600 and the override", async () => {
    const error = await parseConfig(env, [], files(0o100644)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      "AUTH0_CLIENT_SIGNING_KEY_PATH (/keys/open.pem) is readable by every user (mode 644) — a private key must be yours alone: chmod 600 it, or pass IDLINK_ALLOW_INSECURE_KEY_FILE=1 to use it anyway",
    );
  });

  test("IDLINK_ALLOW_INSECURE_KEY_FILE must be a yes or a no", async () => {
    await expect(
      parseConfig({ ...env, IDLINK_ALLOW_INSECURE_KEY_FILE: "maybe" }, [], files(0o100644)),
    ).rejects.toThrow("IDLINK_ALLOW_INSECURE_KEY_FILE must be 1/true/yes");
  });
});
