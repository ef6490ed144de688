import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterEach, describe, expect, test } from "vitest";
import {
  adminClient,
  alice,
  aliceGoogle,
  eras,
  findSecrets,
  frank,
  identityIds,
  rememberOutput,
  rememberSecret,
  structured,
  useEmulator,
} from "./helpers.ts";
import { bin, type Spawned, spawnServer } from "./process.ts";

const emulator = useEmulator();
const env = () => ({
  AUTH0_DOMAIN: emulator().url,
  AUTH0_CLIENT_ID: adminClient.clientId,
  AUTH0_CLIENT_SECRET: adminClient.clientSecret,
});

const running: (Spawned | Client)[] = [];
afterEach(async () => {
  for (const item of running.splice(0)) {
    if (item instanceof Client) await item.close();
    else await item.stop();
  }
});

/** The answer with this id, once the server wrote it. */
async function waitFor(
  server: Spawned,
  id: number,
): Promise<{ result?: { isError?: boolean; content?: { text?: string }[] } }> {
  for (;;) {
    const answer = server
      .stdout()
      .split("\n")
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as { id?: number; result?: { isError?: boolean; content?: { text?: string }[] } },
      )
      .find((m) => m.id === id);
    if (answer) return answer;
    if (server.child.exitCode !== null) throw new Error(`server exited: ${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Sends newline-delimited JSON-RPC and waits for the answer with this id. */
async function request(server: Spawned, id: number, method: string, params: unknown): Promise<unknown> {
  server.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
  for (;;) {
    const answer = server
      .stdout()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id?: number })
      .find((m) => m.id === id);
    if (answer) return answer;
    if (server.child.exitCode !== null) throw new Error(`server exited: ${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("idlink-mcp over stdio", () => {
  test("refuses an argument named __proto__ like any undeclared one, sending nothing", async () => {
    const server = spawnServer(env());
    running.push(server);
    await request(server, 1, "initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "raw", version: "0" },
    });
    server.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    // Written as text: an object literal cannot hold an own __proto__ key to stringify.
    server.child.stdin.write(
      `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_user_identities","arguments":{"user_id":"${alice}","__proto__":{"user_id":"${frank}"}}}}\n`,
    );
    const reply = await waitFor(server, 2);
    expect(reply.result?.isError).toBe(true);
    expect(reply.result?.content?.[0]?.text).toContain(
      '- __proto__: "not an argument of get_user_identities',
    );
    expect(emulator().state.requests.filter((r) => r.path.startsWith("/api/v2/"))).toEqual([]);
  });

  test("writes only protocol messages to stdout, and exits when stdin closes", async () => {
    const server = spawnServer(env());
    running.push(server);
    await request(server, 1, "initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "raw", version: "0" },
    });
    server.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    const list = (await request(server, 2, "tools/list", {})) as { result: { tools: { name: string }[] } };
    expect(list.result.tools.map((t) => t.name)).toHaveLength(7);
    await request(server, 3, "tools/call", { name: "get_user_identities", arguments: { user_id: frank } });
    await request(server, 4, "tools/call", {
      name: "get_user_identities",
      arguments: { user_id: "auth0|nobody" },
    });
    await request(server, 5, "tools/call", { name: "no_such_tool", arguments: {} });
    await request(server, 6, "tools/call", {
      name: "link_accounts",
      arguments: { primary: alice, secondary: aliceGoogle },
    });
    server.child.stdin.end();
    expect(await server.exited).toBe(0);

    const lines = server.stdout().split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: "2.0" });
    rememberOutput("stdio", server.stdout(), server.stderr());
    expect(findSecrets([server.stdout(), server.stderr()])).toEqual([]);
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });

  test("IDLINK_DEBUG=1 traces each request to Auth0 on stderr, redacted, and stdout stays the protocol's", async () => {
    const server = spawnServer({ ...env(), IDLINK_DEBUG: "1" });
    running.push(server);
    await request(server, 1, "initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "raw", version: "0" },
    });
    server.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    await request(server, 2, "tools/call", { name: "get_user_identities", arguments: { user_id: frank } });
    const idToken = (await emulator().login(aliceGoogle)).id_token;
    rememberSecret(idToken, adminClient.clientSecret);
    await request(server, 3, "tools/call", {
      name: "preview_link",
      arguments: { primary: alice, link_with: idToken },
    });
    server.child.stdin.end();
    expect(await server.exited).toBe(0);
    for (const line of server.stdout().split("\n").filter(Boolean)) {
      expect(JSON.parse(line)).toMatchObject({ jsonrpc: "2.0" });
    }
    expect(server.stdout()).not.toContain("debug");
    const trail = server
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("idlink-mcp: debug: "));
    expect(trail[0]).toMatch(/→ POST \/oauth\/token \(Get Management token\)$/);
    expect(trail[1]).toMatch(/← 200 POST \/oauth\/token \d+ ms$/);
    expect(trail).toContainEqual(expect.stringMatching(/→ GET \/api\/v2\/users\/auth0%7C\w+ \(Get user\)$/));
    expect(trail).toContainEqual(
      expect.stringMatching(
        /← 200 GET \/api\/v2\/users\/auth0%7C\w+ \d+ ms · limit \d+ remaining \d+ reset \d+$/,
      ),
    );
    rememberOutput("stdio debug", server.stdout(), server.stderr());
    expect(findSecrets([server.stdout(), server.stderr()])).toEqual([]);
    // The server's own Management token is not known here: no JWT-shaped text at all.
    expect(server.stderr()).not.toMatch(/eyJ[\w-]*\.[\w-]+\./);
  });

  test.each(eras)("links through a real client that answers the confirmation (%s)", async (era) => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin],
      env: env(),
      stderr: "pipe",
    });
    const client = new Client(
      { name: "e2e", version: "0" },
      {
        capabilities: { elicitation: { form: {} } },
        ...(era === "2026-07-28" ? { versionNegotiation: { mode: { pin: era } } } : {}),
      },
    );
    const asked: string[] = [];
    client.setRequestHandler("elicitation/create", async (req) => {
      asked.push(req.params.message);
      return { action: "accept", content: {} };
    });
    running.push(client);
    await client.connect(transport);
    expect(client.getNegotiatedProtocolVersion()).toBe(era);
    const result = await client.callTool({
      name: "link_accounts",
      arguments: { primary: alice, secondary: aliceGoogle },
    });
    rememberOutput("stdio", JSON.stringify(result), ...asked);
    expect(asked).toEqual([expect.stringContaining(`Link "${aliceGoogle}"`)]);
    expect(structured(result)).toMatchObject({ status: "linked", primary: alice, secondary: aliceGoogle });
    expect(identityIds(emulator(), alice)).toEqual([alice, aliceGoogle]);
  });

  test("IDLINK_MCP_READ_ONLY=1 advertises only the read-only tools", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin],
      env: { ...env(), IDLINK_MCP_READ_ONLY: "1" },
      stderr: "pipe",
    });
    const client = new Client({ name: "e2e", version: "0" });
    running.push(client);
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual([
      "get_user_identities",
      "find_link_candidates",
      "find_duplicate_accounts",
      "preview_link",
      "preview_unlink",
    ]);
    await expect(
      client.callTool({ name: "unlink_identity", arguments: { primary: frank, secondary: alice } }),
    ).rejects.toThrow("Tool unlink_identity not found");
  });

  test("refuses to start without credentials, saying what to set, with nothing on stdout", async () => {
    const server = spawnServer({ AUTH0_DOMAIN: emulator().url });
    running.push(server);
    expect(await server.exited).toBe(2);
    expect(server.stderr()).toContain("no Auth0 credentials — set AUTH0_TOKEN");
    expect(server.stdout()).toBe("");
  });

  test("a refused client secret is a tool error with Auth0's message, not a crash", async () => {
    rememberSecret("wrong-secret-for-idlink-admin");
    const server = spawnServer({ ...env(), AUTH0_CLIENT_SECRET: "wrong-secret-for-idlink-admin" });
    running.push(server);
    await request(server, 1, "initialize", {
      protocolVersion: "2025-11-25",
      capabilities: {},
      clientInfo: { name: "raw", version: "0" },
    });
    const answer = (await request(server, 2, "tools/call", {
      name: "get_user_identities",
      arguments: { user_id: alice },
    })) as { result: { isError: boolean; content: { text: string }[] } };
    expect(answer.result.isError).toBe(true);
    expect(answer.result.content[0]?.text).toContain("Unauthorized");
    rememberOutput("stdio", server.stdout(), server.stderr());
    expect(server.child.exitCode).toBeNull();
  });
});
