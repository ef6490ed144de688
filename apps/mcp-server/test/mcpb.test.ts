// The MCP Bundle the build writes (dist/idlink-mcp.mcpb), installed the way Claude Desktop installs one: with the code
// it uses, published as @anthropic-ai/mcpb (modelcontextprotocol/mcpb README: "the code used by Claude for macOS and
// Windows to load and verify MCPB bundles") — unpackExtension, validateManifest, getMcpConfigForManifest.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  getMcpConfigForManifest,
  hasRequiredConfigMissing,
  type McpbManifestAny,
  unpackExtension,
  v0_3,
  validateManifest,
} from "@anthropic-ai/mcpb";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import pkg from "../package.json" with { type: "json" };
import { readOnlyToolNames, toolNames } from "../src/catalog.ts";
import { adminClient, alice, rememberOutput, structured, useEmulator } from "./helpers.ts";

const bundle = fileURLToPath(new URL("../dist/idlink-mcp.mcpb", import.meta.url));
const emulator = useEmulator();

let installed: string;
let manifest: McpbManifestAny;
beforeAll(async () => {
  installed = await mkdtemp(join(tmpdir(), "idlink-mcpb-"));
  expect(await unpackExtension({ mcpbPath: bundle, outputDir: installed, silent: true })).toBe(true);
  manifest = JSON.parse(await readFile(join(installed, "manifest.json"), "utf8"));
});
afterAll(async () => {
  await rm(installed, { recursive: true, force: true });
});

/** What a host gives the server once the user filled in the install dialog. */
const settings = (extra: Record<string, string | boolean> = {}) => ({
  auth0_domain: emulator().url,
  auth0_client_id: adminClient.clientId,
  auth0_client_secret: adminClient.clientSecret,
  ...extra,
});

/** The host's side: the manifest's mcp_config with its variables substituted, then the process it starts. */
async function start(userConfig: Record<string, string | boolean>) {
  const config = await getMcpConfigForManifest({
    manifest,
    extensionPath: installed,
    systemDirs: { HOME: installed },
    userConfig,
    pathSeparator: sep,
  });
  if (!config) throw new Error("the host would not start the bundle");
  // The host runs `node` with its own Node.js; this test's Node.js stands in for it.
  expect(config.command).toBe("node");
  const client = new Client({ name: "mcpb-host", version: "0.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: config.args ?? [],
      env: { PATH: process.env.PATH ?? "", ...config.env },
    }),
  );
  return { client, config };
}

describe("dist/idlink-mcp.mcpb", () => {
  test("holds a manifest the official validator accepts, with this version and every tool", async () => {
    expect(validateManifest(installed)).toBe(true);
    const parsed = v0_3.McpbManifestSchema.safeParse(manifest);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.tools?.map((t) => t.name)).toEqual(toolNames);
    // MANIFEST.md: `entry_point` is the main file of a node server, and mcp_config starts it from ${__dirname}.
    expect(manifest.server.type).toBe("node");
    expect(existsSync(join(installed, manifest.server.entry_point))).toBe(true);
    expect(manifest.server.mcp_config?.args).toEqual([`\${__dirname}/${manifest.server.entry_point}`]);
    // The bundle is ESM: Node reads its .js files as modules only with this package.json beside them.
    expect(JSON.parse(await readFile(join(installed, "package.json"), "utf8")).type).toBe("module");
  });

  test("keeps the client secret in the host: marked sensitive, required, and passed only in the environment", () => {
    const options = manifest.user_config ?? {};
    expect(options.auth0_client_secret).toMatchObject({ type: "string", sensitive: true, required: true });
    const mcp = manifest.server.mcp_config;
    const used = [...JSON.stringify(mcp).matchAll(/\$\{user_config\.([^}]+)\}/g)].map((m) => m[1]);
    expect(new Set(used)).toEqual(new Set(Object.keys(options)));
    const sensitive = Object.keys(options).filter((key) => options[key]?.sensitive);
    expect(JSON.stringify(mcp?.args)).not.toMatch(new RegExp(sensitive.join("|")));
    // Without the three settings the host does not start it (the server would only stop with a message).
    expect(hasRequiredConfigMissing({ manifest, userConfig: { auth0_domain: "acme.eu.auth0.com" } })).toBe(
      true,
    );
    expect(hasRequiredConfigMissing({ manifest, userConfig: settings() })).toBe(false);
  });

  test("starts as the host starts it, and answers with the tenant's data", async () => {
    const { client, config } = await start(settings());
    try {
      expect(config.args).toEqual([join(installed, "server", "idlink-mcp.js")]);
      expect(config.env).toMatchObject({ AUTH0_DOMAIN: emulator().url, IDLINK_MCP_READ_ONLY: "false" });
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(toolNames);
      const result = await client.callTool({ name: "get_user_identities", arguments: { user_id: alice } });
      rememberOutput("mcpb tools/call", JSON.stringify(result));
      expect(result.isError).toBeFalsy();
      expect(structured(result as Parameters<typeof structured>[0]).user_id).toBe(alice);
    } finally {
      await client.close();
    }
  });

  test("offers only the read-only tools when the host's read-only toggle is on", async () => {
    const { client } = await start(settings({ read_only: true }));
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(readOnlyToolNames);
    } finally {
      await client.close();
    }
  });
});
