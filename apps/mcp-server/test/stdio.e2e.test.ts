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

/** Writes every message at once, closes stdin, and reads what the server wrote before it exited, by id. */
async function writeAllAndClose(server: Spawned, messages: object[]): Promise<Map<unknown, Answer>> {
  server.child.stdin.end(messages.map((m) => `${JSON.stringify(m)}\n`).join(""));
  expect(await server.exited).toBe(0);
  const lines = server.stdout().split("\n").filter(Boolean);
  return new Map(lines.map((line) => JSON.parse(line) as Answer).map((m) => [m.id, m]));
}

interface Answer {
  id?: unknown;
  method?: string;
  result?: {
    isError?: boolean;
    resultType?: string;
    content?: { text?: string }[];
    structuredContent?: unknown;
  };
  error?: { code: number; message: string };
}

const meta = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "script", version: "0" },
};
const handshake = (capabilities: object = {}) => [
  {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities, clientInfo: { name: "script", version: "0" } },
  },
  { jsonrpc: "2.0", method: "notifications/initialized" },
];

describe("idlink-mcp over stdio, input closed at once (a script, a pipe)", () => {
  test("answers every 2026-07-28 request it read before exiting, those that load the SDK too", async () => {
    const server = spawnServer(env());
    running.push(server);
    const call = (id: number, name: string, args: object) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { _meta: meta, name, arguments: args },
    });
    const answers = await writeAllAndClose(server, [
      { jsonrpc: "2.0", id: 1, method: "server/discover", params: { _meta: meta } },
      { jsonrpc: "2.0", id: 2, method: "tools/list", params: { _meta: meta } },
      call(3, "get_user_identities", { user_id: frank }),
      call(4, "preview_link", { primary: alice, secondary: aliceGoogle }),
      call(5, "link_accounts", { primary: alice, secondary: aliceGoogle }),
    ]);
    expect([...answers.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    for (const id of [1, 2, 3, 4, 5]) expect(answers.get(id)?.result?.resultType).toBe("complete");
    expect(answers.get(3)?.result?.structuredContent).toMatchObject({ user_id: frank });
    // No elicitation declared in its _meta and no confirmation_token: refused, nothing changed.
    expect(answers.get(5)?.result?.content?.[0]?.text).toContain(
      "Confirmation required — nothing was changed",
    );
    expect(identityIds(emulator(), alice)).toEqual([alice]);
    rememberOutput("stdio closed", server.stdout(), server.stderr());
  });

  test("answers every 2025-era request it read, a confirmation it could no longer ask included", async () => {
    const server = spawnServer(env());
    running.push(server);
    const answers = await writeAllAndClose(server, [
      ...handshake({ elicitation: { form: {} } }),
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
      {
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "get_user_identities", arguments: { user_id: frank } },
      },
      {
        jsonrpc: "2.0",
        id: 4,
        method: "tools/call",
        params: { name: "link_accounts", arguments: { primary: alice, secondary: aliceGoogle } },
      },
    ]);
    expect([...answers.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(answers.get(3)?.result?.isError).toBeUndefined();
    // The question comes after the plan (Auth0 reads), when stdin has ended: it is not sent, the call fails at once.
    expect([...answers.values()].filter((m) => m.method !== undefined)).toEqual([]);
    expect(answers.get(4)?.result).toMatchObject({
      isError: true,
      content: [{ text: expect.stringContaining("The client closed its input (stdin) before answering") }],
    });
    expect(identityIds(emulator(), alice)).toEqual([alice]);
    rememberOutput("stdio closed", server.stdout(), server.stderr());
  });
});

describe("idlink-mcp over stdio, input closed while a call waits", () => {
  test("a question the client has not answered when stdin ends fails its call, which is answered", async () => {
    const server = spawnServer(env());
    running.push(server);
    server.child.stdin.write(
      [
        ...handshake({ elicitation: { form: {} } }),
        {
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "link_accounts", arguments: { primary: alice, secondary: aliceGoogle } },
        },
      ]
        .map((m) => `${JSON.stringify(m)}\n`)
        .join(""),
    );
    await expect.poll(() => server.stdout(), { timeout: 15_000 }).toContain('"method":"elicitation/create"');
    const answers = await writeAllAndClose(server, []);
    expect(answers.get(2)?.result).toMatchObject({
      isError: true,
      content: [{ text: expect.stringContaining("The client closed its input (stdin) before answering") }],
    });
    expect(identityIds(emulator(), alice)).toEqual([alice]);
    rememberOutput("stdio closed", server.stdout(), server.stderr());
  });

  test("a request cancelled before stdin ends gets no answer, and the server still exits", async () => {
    const server = spawnServer(env());
    running.push(server);
    const answers = await writeAllAndClose(server, [
      ...handshake(),
      {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "get_user_identities", arguments: { user_id: frank } },
      },
      { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 2, reason: "test" } },
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "no_such_tool", arguments: {} } },
    ]);
    // basic/patterns/cancellation.mdx: no further message for a cancelled request.
    expect([...answers.keys()].sort()).toEqual([1, 3]);
  });
});

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
    // The token endpoint has a rate-limit bucket of its own, whose headers the trail shows (fidelity corpus).
    expect(trail[1]).toMatch(/← 200 POST \/oauth\/token \d+ ms · limit \d+ remaining \d+ reset \d+$/);
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
