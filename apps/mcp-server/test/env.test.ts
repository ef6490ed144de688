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
    [["--port", "8080"], "--port needs --http"],
    [["--host", "0.0.0.0"], "--host needs --http"],
    [["--resource", "https://mcp.example.com/mcp"], "--resource needs --http"],
    [["--verbose"], "Unknown option '--verbose'"],
  ])("refuses %j", async (argv, message) => {
    await expect(parseConfig(clientCredentials, argv)).rejects.toThrow(message);
  });

  test("serves HTTP with a bearer token, on the default port or the one given", async () => {
    const env = { ...clientCredentials, IDLINK_MCP_HTTP_TOKEN: httpToken };
    const bearer = { kind: "bearer", token: httpToken };
    expect((await parseConfig(env, ["--http"])).http).toEqual({
      port: defaultHttpPort,
      host: "127.0.0.1",
      auth: bearer,
    });
    expect((await parseConfig(env, ["--http", "--port", "0"])).http).toEqual({
      port: 0,
      host: "127.0.0.1",
      auth: bearer,
    });
    await expect(parseConfig(env, ["--http", "--port", "99999"])).rejects.toThrow(
      "--port must be a whole number",
    );
    await expect(parseConfig({ ...env, IDLINK_MCP_HTTP_TOKEN: "short" }, ["--http"])).rejects.toThrow(
      "too short",
    );
  });

  test("serves HTTP as an OAuth protected resource of the tenant without IDLINK_MCP_HTTP_TOKEN", async () => {
    const oauth = (config: Awaited<ReturnType<typeof parseConfig>>) => config.http;
    expect(oauth(await parseConfig(clientCredentials, ["--http"]))).toEqual({
      port: defaultHttpPort,
      host: "127.0.0.1",
      auth: { kind: "oauth", issuer: "https://tenant.eu.auth0.com/", resource: undefined },
    });
    expect(
      oauth(await parseConfig({ ...clientCredentials, AUTH0_DOMAIN: "http://127.0.0.1:8787" }, ["--http"]))
        ?.auth,
    ).toEqual({ kind: "oauth", issuer: "http://127.0.0.1:8787/", resource: undefined });
    const remote = await parseConfig(
      {
        ...clientCredentials,
        IDLINK_MCP_AUTH_DOMAIN: "login.example.com",
        IDLINK_MCP_RESOURCE: "https://mcp.example.com/mcp",
      },
      ["--http", "--host", "0.0.0.0"],
    );
    expect(remote.http).toEqual({
      port: defaultHttpPort,
      host: "0.0.0.0",
      auth: { kind: "oauth", issuer: "https://login.example.com/", resource: "https://mcp.example.com/mcp" },
    });
    expect(
      oauth(await parseConfig(clientCredentials, ["--http", "--resource", "http://localhost:3917/mcp"]))
        ?.auth,
    ).toEqual({
      kind: "oauth",
      issuer: "https://tenant.eu.auth0.com/",
      resource: "http://localhost:3917/mcp",
    });
  });

  test.each<[string, Record<string, string>, string[], string]>([
    [
      "the static bearer beside OAuth settings",
      { IDLINK_MCP_HTTP_TOKEN: httpToken, IDLINK_MCP_RESOURCE: "https://mcp.example.com/mcp" },
      [],
      "IDLINK_MCP_HTTP_TOKEN (a static bearer) and IDLINK_MCP_RESOURCE (OAuth) are two ways to guard HTTP — unset IDLINK_MCP_HTTP_TOKEN to use OAuth",
    ],
    [
      "the static bearer beside an authorization server",
      { IDLINK_MCP_HTTP_TOKEN: httpToken, IDLINK_MCP_AUTH_DOMAIN: "login.example.com" },
      [],
      "IDLINK_MCP_HTTP_TOKEN (a static bearer) and IDLINK_MCP_AUTH_DOMAIN (OAuth)",
    ],
    [
      "the static bearer off loopback",
      { IDLINK_MCP_HTTP_TOKEN: httpToken },
      ["--host", "0.0.0.0"],
      "IDLINK_MCP_HTTP_TOKEN is a static bearer for development on loopback, and --host 0.0.0.0 serves other machines — unset IDLINK_MCP_HTTP_TOKEN",
    ],
    [
      "another host without the URL callers reach",
      {},
      ["--host", "0.0.0.0"],
      "--host 0.0.0.0 serves other machines: set IDLINK_MCP_RESOURCE (or --resource)",
    ],
    [
      "a resource that is no URL",
      { IDLINK_MCP_RESOURCE: "mcp.example.com" },
      [],
      "IDLINK_MCP_RESOURCE must be this server's public URL",
    ],
    [
      "a plain-http resource off loopback",
      {},
      ["--resource", "http://mcp.example.com/mcp"],
      "--resource must use https (plain http only on loopback)",
    ],
    [
      "a resource with a fragment",
      {},
      ["--resource", "https://mcp.example.com/mcp#x"],
      "--resource must not have a fragment (RFC 8707)",
    ],
    [
      "a resource with a query",
      {},
      ["--resource", "https://mcp.example.com/mcp?a=1"],
      "--resource must not have a query",
    ],
    ["another scheme", {}, ["--resource", "ftp://mcp.example.com/mcp"], "--resource must be an https URL"],
    [
      "two different resources",
      { IDLINK_MCP_RESOURCE: "https://a.example.com/mcp" },
      ["--resource", "https://b.example.com/mcp"],
      "--resource and IDLINK_MCP_RESOURCE name different URLs",
    ],
    [
      "an authorization server with a path",
      { IDLINK_MCP_AUTH_DOMAIN: "https://login.example.com/oauth" },
      [],
      "IDLINK_MCP_AUTH_DOMAIN has a path",
    ],
  ])("refuses %s", async (_, env, argv, message) => {
    const error = await parseConfig({ ...clientCredentials, ...env }, ["--http", ...argv]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
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
