import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEnv } from "@idlink/cli/src/env.ts";
import type { Io } from "@idlink/cli/src/io.ts";
import { runCli } from "@idlink/cli/src/program.ts";
import { createManagementClient, type Issue, maxIdLength } from "@idlink/core";
import { createEmulator, type Emulator, seedUsers } from "@idlink/emulator";
import { createServer } from "@idlink/mcp-server/src/server.ts";
import { recordOutput } from "@idlink/test-kit";
import { type DemoServer, startDemoServer } from "@idlink/web-demo/server/demo-server.ts";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const { alice, aliceGoogle, bob, bobGithub, frank } = seedUsers;

/** Arguments as every face names them: CLI positionals and flags, MCP arguments, the demo's form fields. */
interface Args {
  primary: string;
  secondary?: string;
  provider?: string;
  user_id?: string;
  connection_id?: string;
  link_with?: string;
}

// Bad inputs as people type or paste them. Each must get the same field-named answer from every face, and none may
// reach the tenant (not even a token request). A full id typed into user_id is not among them: Auth0 accepts it, so
// core sends its bare part and says so (see core's README).
const long = `auth0|${"7".repeat(maxIdLength)}`;
const linkCases: [string, Args][] = [
  ["an empty primary", { primary: "", secondary: aliceGoogle }],
  ["a blank primary", { primary: "   ", secondary: aliceGoogle }],
  ["a primary with a trailing space", { primary: `${alice} `, secondary: aliceGoogle }],
  ["a provider with nothing after the bar", { primary: "auth0|", secondary: aliceGoogle }],
  ["a bare provider", { primary: "github", secondary: aliceGoogle }],
  ["an id with no provider", { primary: "|x", secondary: aliceGoogle }],
  ["a dot", { primary: ".", secondary: aliceGoogle }],
  ["two dots", { primary: "..", secondary: aliceGoogle }],
  ["a very long id", { primary: long, secondary: aliceGoogle }],
  ["a path for a primary", { primary: "users/auth0|64f1", secondary: aliceGoogle }],
  ["a query in the provider", { primary: "auth0?x=1|64f1", secondary: aliceGoogle }],
  ["a fragment for a provider", { primary: "#auth0|64f1", secondary: aliceGoogle }],
  ["a unicode provider", { primary: "ünïcødé|64f1", secondary: aliceGoogle }],
  ["a percent-encoded id", { primary: "auth0%7C64f1", secondary: aliceGoogle }],
  ["an empty secondary", { primary: alice, secondary: "" }],
  ["a secondary without a provider", { primary: alice, secondary: "108234567890123456789" }],
  ["a secondary with an unknown provider", { primary: alice, secondary: "gogle-oauth2|108" }],
  ["the primary as its own secondary", { primary: alice, secondary: alice }],
  ["no secondary at all", { primary: alice }],
  ["provider without user_id", { primary: alice, provider: "github" }],
  ["an empty provider", { primary: alice, provider: "", user_id: "5812345" }],
  ["a full id and provider at once", { primary: alice, secondary: bobGithub, provider: "github" }],
  [
    "link_with and provider at once",
    { primary: alice, link_with: "x.y.z", provider: "github", user_id: "1" },
  ],
  ["a malformed connection", { primary: alice, secondary: bobGithub, connection_id: "con_short" }],
  ["everything wrong at once", { primary: "github", secondary: "", connection_id: "" }],
];

const unlinkCases: [string, Omit<Args, "secondary" | "link_with" | "connection_id">][] = [
  ["an empty primary", { primary: "", provider: "github", user_id: "7700123" }],
  ["a bare provider as primary", { primary: "github", provider: "github", user_id: "7700123" }],
  ["a very long primary", { primary: long, provider: "github", user_id: "7700123" }],
  ["an unknown provider", { primary: frank, provider: "gihtub", user_id: "7700123" }],
  ["an empty user_id", { primary: frank, provider: "github", user_id: "" }],
  ["the main identity", { primary: frank, provider: "auth0", user_id: frank.slice("auth0|".length) }],
];

let emu: Emulator;
let token: string;
let mcp: Client;
let web: DemoServer;
let webDir: string;

beforeAll(async () => {
  emu = await createEmulator({ rateLimit: false });
  token = await emu.mintToken({ scopes: ["read:users", "update:users"] });
  const client = createManagementClient({ domain: emu.url, token, retry: { maxRetries: 0 } });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createServer({ client }).connect(serverSide);
  mcp = new Client({ name: "faces", version: "0" }, { capabilities: {} });
  await mcp.connect(clientSide);
  webDir = mkdtempSync(join(tmpdir(), "idlink-faces-"));
  web = await startDemoServer({ clientDir: webDir });
  web.attach({ mode: "emulator", tenant: emu.url, spaClientId: "idlink-spa", client });
});

afterAll(async () => {
  await mcp?.close();
  await web?.stop();
  await emu?.stop();
  rmSync(webDir, { recursive: true, force: true });
});

/** The CLI, in-process through its injectable Io, asked for one JSON document. */
async function viaCli(argv: string[], stdin = ""): Promise<Issue[]> {
  let out = "";
  let err = "";
  const io: Io = {
    env: readEnv({ AUTH0_DOMAIN: emu.url, AUTH0_TOKEN: token }),
    writeOut: (t) => {
      out += t;
    },
    writeErr: (t) => {
      err += t;
    },
    readStdin: async () => stdin,
    prompt: async () => "",
    interactive: false,
    stderrIsTTY: false,
    colorOut: false,
    colorErr: false,
    interrupt: new AbortController().signal,
    cwd: process.cwd(),
    pid: process.pid,
  };
  const code = await runCli([...argv, "--yes", "--json"], io);
  recordOutput("wire-test: faces cli", out + err);
  expect(code).toBe(2);
  return (JSON.parse(out) as { error: { issues: Issue[] } }).error.issues;
}

/** The MCP server, through a real client: a refusal lists `- path: message` lines. */
async function viaMcp(tool: string, args: Record<string, unknown>): Promise<Issue[]> {
  const result = await mcp.callTool({ name: tool, arguments: args });
  const text = (result.content as { type: string; text: string }[]).map((c) => c.text).join("\n");
  recordOutput("wire-test: faces mcp", text);
  expect(result.isError).toBe(true);
  // The MCP server fences what came from the request or the tenant: each message is a JSON string, said so first.
  expect(text).toMatch(/^Values in quotes are JSON strings .*\nInvalid input — nothing was sent:/);
  return text
    .split("\n")
    .filter((line) => line.startsWith("- "))
    .map((line) => {
      const [path = "", ...rest] = line.slice(2).split(": ");
      return { path, message: JSON.parse(rest.join(": ")) as string };
    });
}

/** The web demo's server, over HTTP as the page calls it. */
async function viaWeb(path: string, body: unknown): Promise<Issue[]> {
  const response = await fetch(`${web.origin}${path}`, {
    method: "POST",
    // With the page's per-start proof (`x-idlink-csrf`), as the page sends it.
    headers: { "content-type": "application/json", origin: web.origin, "x-idlink-csrf": web.proof },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  recordOutput("wire-test: faces web", text);
  expect(response.status).toBe(400);
  return (JSON.parse(text) as { error: { issues: Issue[] } }).error.issues;
}

function cliLinkArgv(a: Args): string[] {
  return [
    "link",
    a.primary,
    ...(a.secondary === undefined ? [] : [a.secondary]),
    ...(a.provider === undefined ? [] : [`--provider=${a.provider}`]),
    ...(a.user_id === undefined ? [] : [`--user-id=${a.user_id}`]),
    ...(a.connection_id === undefined ? [] : [`--connection-id=${a.connection_id}`]),
    ...(a.link_with === undefined ? [] : ["--link-with", "-"]),
  ];
}

const sent = () => emu.state.requests.length;

describe("every face gives the same field-named answer to a bad link, and sends nothing", () => {
  test.each(linkCases)("%s", async (_name, args) => {
    const before = sent();
    const { primary, ...rest } = args;
    const cli = await viaCli(cliLinkArgv(args), args.link_with);
    const fromMcp = await viaMcp("preview_link", args as unknown as Record<string, unknown>);
    const fromWeb = await viaWeb("/api/plan", { primary, body: rest });
    expect(cli.length).toBeGreaterThan(0);
    expect(fromMcp).toEqual(cli);
    expect(fromWeb).toEqual(cli);
    for (const issue of cli) {
      expect(["primary", "secondary", "provider", "user_id", "connection_id", "link_with"]).toContain(
        issue.path,
      );
      expect(issue.message.length).toBeLessThan(300);
    }
    expect(sent()).toBe(before);
  });
});

describe("every face gives the same field-named answer to a bad unlink, and sends nothing", () => {
  test.each(unlinkCases)("%s", async (_name, args) => {
    const before = sent();
    const cli = await viaCli([
      "unlink",
      args.primary,
      `--provider=${args.provider ?? ""}`,
      `--user-id=${args.user_id ?? ""}`,
    ]);
    const fromMcp = await viaMcp("preview_unlink", args);
    const fromWeb = await viaWeb("/api/unlink", args);
    expect(cli.length).toBeGreaterThan(0);
    expect(fromMcp).toEqual(cli);
    expect(fromWeb).toEqual(cli);
    expect(sent()).toBe(before);
  });
});

test("a good link still goes through every face's plan (the list above is not refusing everything)", async () => {
  const plan = await mcp.callTool({
    name: "preview_link",
    arguments: { primary: bob, secondary: bobGithub },
  });
  expect(plan.isError).toBeFalsy();
  expect(sent()).toBeGreaterThan(0);
});
