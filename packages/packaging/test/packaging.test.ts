import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import * as kit from "@idlink/test-kit";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { install, pack, publishable, type Tarball } from "./tarballs.ts";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const packages = await publishable();
const alice = "auth0|64f1a2b3c4d5e6f708192a3b";

let work: string;
let tarballs: Tarball[];
let user: string;
let emulator: ChildProcess | undefined;
let emulatorUrl: string;
let adminSecret: string;

const tarball = (name: string): Tarball => {
  const found = tarballs.find((t) => t.name === name);
  if (!found) throw new Error(`${name} was not packed`);
  return found;
};
/** A bin as npm linked it into the user's project. */
const bin = (name: string) => join(user, "node_modules", ".bin", name);
/** The environment a user's shell would give: PATH, and what the test adds. */
const shell = (env: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? "", ...env });
const tenant = () => ({
  AUTH0_DOMAIN: emulatorUrl,
  AUTH0_CLIENT_ID: "idlink-admin",
  AUTH0_CLIENT_SECRET: adminSecret,
});

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "idlink-packaging-"));
  tarballs = await pack(work);
  console.log(
    `packaging: ${tarballs.map((t) => `${t.name}@${t.version} ${(t.bytes / 1024).toFixed(1)} KiB`).join(", ")}`,
  );
  user = await install(tarballs);
  const seed = JSON.parse(await readFile(join(user, "node_modules/@idlink/emulator/seed.json"), "utf8")) as {
    clients: { client_id: string; client_secret?: string }[];
  };
  adminSecret = seed.clients.find((c) => c.client_id === "idlink-admin")?.client_secret ?? "";
  kit.recordSecrets(adminSecret);
  // The installed emulator, on a free loopback port, for the CLI and the MCP server below.
  emulator = spawn(bin("idlink-emulator"), ["--port", "0", "--rate-limit", "off"], { env: shell() });
  emulatorUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    emulator?.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    emulator?.once("exit", (code) => reject(new Error(`idlink-emulator exited (${code}): ${out}`)));
  });
});

afterAll(async () => {
  emulator?.kill();
  await Promise.all([work, user].map((dir) => dir && rm(dir, { recursive: true, force: true })));
});

test("every publishable package is packed, and none is private", () => {
  expect(packages.map((p) => p.name).sort()).toEqual([
    "@idlink/cli",
    "@idlink/core",
    "@idlink/emulator",
    "@idlink/link-action",
    "@idlink/mcp-server",
  ]);
});

describe.each(packages)("$name", ({ name }) => {
  test("publint finds nothing, suggestions included", async () => {
    const data = await readFile(tarball(name).file);
    const { messages, pkg } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
      strict: true,
    });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`)).toEqual([]);
  });

  // esm-only: every package is ESM, and Node ≥ 20.19 (our engines) can require() it; attw's node10 and CommonJS
  // columns describe older Node. A package with bins and no exports (the CLI, the MCP server) has no types to check.
  test("attw finds no problem in its types (esm-only profile)", async () => {
    const attw = join(dirname(require.resolve("@arethetypeswrong/cli/package.json")), "dist", "index.js");
    const options = ["--profile", "esm-only", "--format", "ascii", "--no-emoji", "--no-color"];
    const args = [attw, tarball(name).file, ...options];
    const result = await run(process.execPath, args, {
      env: shell({ NO_COLOR: "1" }),
      timeout: 150_000,
    }).catch((error: { stdout: string; code: number }) => error);
    const verdicts = result.stdout
      .split("\n")
      .filter((line) => /^(node1\d|bundler).*: |does not contain types/.test(line))
      .join("; ");
    console.log(`attw ${name}: ${verdicts}`);
    expect("code" in result ? result.code : 0, result.stdout).toBe(0);
  });
});

describe("installed from the tarballs", () => {
  test("idlink --version and idlink-mcp --version print the packed versions", async () => {
    expect((await run(bin("idlink"), ["--version"], { env: shell() })).stdout.trim()).toBe(
      tarball("@idlink/cli").version,
    );
    expect((await run(bin("idlink-mcp"), ["--version"], { env: shell() })).stdout.trim()).toBe(
      tarball("@idlink/mcp-server").version,
    );
    expect((await run(bin("idlink-mcp"), ["--help"], { env: shell() })).stdout).toContain("AUTH0_DOMAIN");
  });

  test("idlink show reads a user from idlink-emulator", async () => {
    const { stdout, stderr } = await run(bin("idlink"), ["show", alice, "--json"], {
      env: shell(tenant()),
      timeout: 30_000,
    });
    kit.recordOutput("packaging: idlink show", stdout + stderr);
    const shown = JSON.parse(stdout) as {
      ok: boolean;
      user: { user_id: string };
      identities: { id: string }[];
    };
    expect(shown.ok).toBe(true);
    expect(shown.user.user_id).toBe(alice);
    expect(shown.identities.map((i) => i.id)).toContain(alice);
  });

  test("the MCP client lists idlink-mcp's tools and calls one", async () => {
    const transport = new StdioClientTransport({
      command: bin("idlink-mcp"),
      env: shell(tenant()),
      stderr: "pipe",
    });
    const client = new Client({ name: "packaging", version: "0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([
        "find_duplicate_accounts",
        "find_link_candidates",
        "get_user_identities",
        "link_accounts",
        "preview_link",
        "preview_unlink",
        "unlink_identity",
      ]);
      const result = await client.callTool({ name: "get_user_identities", arguments: { user_id: alice } });
      kit.recordOutput("packaging: idlink-mcp", JSON.stringify(result));
      expect(result.isError).not.toBe(true);
      expect(result.structuredContent).toMatchObject({ user_id: alice });
    } finally {
      await client.close();
    }
  });

  // Every entry of core, as a user imports it.
  const consumer = `import { type LinkBody, type Parsed, parseLinkRequest } from "@idlink/core";
import { parseUserId } from "@idlink/core/browser";
import { primaryCriteria } from "@idlink/core/export";
import { tokenOptions } from "@idlink/core/node";
import { parseTenantDomain } from "@idlink/core/startup";

const good: Parsed<LinkBody> = parseLinkRequest({ provider: "google-oauth2", user_id: "108234567890123456789" });
const bad = parseLinkRequest({ provider: "", connection_id: "", user_id: "", link_with: "" });
if (!good.ok || bad.ok) throw new Error("parseLinkRequest disagrees with its documentation");
const variant: "token" | "identity" = good.value.variant;
const tenant = parseTenantDomain("tenant.eu.auth0.com");
const id = parseUserId("samlp|acme|jane");
console.log(JSON.stringify({
  variant,
  issues: bad.issues.map((issue) => issue.path),
  audience: tenant.ok ? tenant.value.managementAudience : undefined,
  rest: id.ok ? id.value.user_id : undefined,
  criteria: primaryCriteria.length > 0,
  token: "token" in tokenOptions({ token: "t" }),
}));
`;

  // Node's own resolution with every declaration checked (ours and our dependencies'), and a bundler's as in Vite's
  // template (libraries' declarations trusted).
  test.each([
    ["nodenext", { module: "nodenext", moduleResolution: "nodenext", skipLibCheck: false }],
    ["bundler", { module: "esnext", moduleResolution: "bundler", skipLibCheck: true }],
  ])(
    "a strict TypeScript consumer with %s resolution imports every entry of @idlink/core, typechecks and runs",
    async (mode, resolution) => {
      const dir = join(user, `consumer-${mode}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
      await writeFile(join(dir, "index.ts"), consumer);
      const compilerOptions = {
        ...resolution,
        target: "es2022",
        lib: ["es2023", "dom"],
        types: [],
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: false,
        outDir: "out",
      };
      await writeFile(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["index.ts"] }));
      // The workspace's TypeScript stands in for the user's: it resolves @idlink/core from the user's node_modules.
      const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
      await run(process.execPath, [tsc, "-p", dir], { timeout: 150_000 }).catch(
        (error: { stdout: string }) => {
          throw new Error(`tsc (${mode}) failed:\n${error.stdout}`);
        },
      );
      const { stdout } = await run(process.execPath, [join(dir, "out", "index.js")], { env: shell() });
      expect(JSON.parse(stdout)).toEqual({
        variant: "identity",
        issues: ["link_with", "provider", "user_id", "connection_id"],
        audience: "https://tenant.eu.auth0.com/api/v2/",
        rest: "acme|jane",
        criteria: true,
        token: true,
      });
    },
  );
});
