// The 2026-07-28 revision on both transports, against the built bin: a stateless server that discovers itself,
// answers with resultType and cache hints, confirms in multiple round trips (MRTR) instead of server-initiated
// elicitation, and refuses a client that mixes eras in one stdio process. The spec pages cited are in
// modelcontextprotocol/modelcontextprotocol at b0f60ba5409db7a6582440a7b473cc0398890f15, under
// docs/specification/2026-07-28/.
import { request as httpRequest } from "node:http";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  adminClient,
  alice,
  aliceGoogle,
  frank,
  frankGithub,
  identityIds,
  rememberOutput,
  rememberSecret,
  useEmulator,
} from "./helpers.ts";
import { bin, type Spawned, spawnServer } from "./process.ts";

const emulator = useEmulator();
const env = () => ({
  AUTH0_DOMAIN: emulator().url,
  AUTH0_CLIENT_ID: adminClient.clientId,
  AUTH0_CLIENT_SECRET: adminClient.clientSecret,
});
const bearer = "test-only-http-bearer-2026-0123456789abcdef";
rememberSecret(bearer);

let http: Spawned | undefined;
let url = "";
beforeAll(async () => {
  http = spawnServer({ ...env(), IDLINK_MCP_HTTP_TOKEN: bearer }, ["--http", "--port", "0"]);
  url = (await http.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/))[1] ?? "";
});
afterAll(async () => {
  await http?.stop();
});

const running: (Spawned | Client)[] = [];
afterEach(async () => {
  for (const item of running.splice(0)) {
    if (item instanceof Client) await item.close();
    else await item.stop();
  }
});

interface Answer {
  id?: unknown;
  result?: Record<string, unknown> & {
    resultType?: string;
    requestState?: string;
    inputRequests?: Record<string, { method: string; params: { mode?: string; message: string } }>;
    structuredContent?: Record<string, unknown>;
    content?: { text: string }[];
    isError?: boolean;
  };
  error?: { code: number; message: string; data?: unknown };
}

/** Sends one JSON-RPC request and reads its answer: a line on the process's stdio, or an HTTP POST. */
type Exchange = (method: string, params: Record<string, unknown>) => Promise<Answer>;

let nextId = 100;

function overStdio(server: Spawned): Exchange {
  return async (method, params) => {
    const id = nextId++;
    server.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    for (;;) {
      const answer = server
        .stdout()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Answer)
        .find((m) => m.id === id);
      if (answer) return answer;
      if (server.child.exitCode !== null) throw new Error(`server exited: ${server.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
}

/** A 2026-07-28 POST with its standard headers (basic/transports/streamable-http.mdx, "Request Metadata"). */
const overHttp: Exchange = (method, params) => {
  const id = nextId++;
  const target = new URL(url);
  const name = typeof params.name === "string" ? { "mcp-name": params.name } : {};
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: {
          authorization: `Bearer ${bearer}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          "mcp-method": method,
          ...name,
        },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
        });
        res.on("end", () => {
          const data = text.trim().startsWith("{") ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? "");
          resolve(JSON.parse(data) as Answer);
        });
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  });
};

/** The per-request `_meta` (basic/index.mdx, "Per-request protocol fields"); `elicit` declares form elicitation. */
const envelope = (elicit = false) => ({
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": elicit ? { elicitation: { form: {} } } : {},
  "io.modelcontextprotocol/clientInfo": { name: "protocol-2026", version: "0" },
});

const transports: [string, () => Exchange][] = [
  [
    "stdio",
    () => {
      const server = spawnServer(env());
      running.push(server);
      return overStdio(server);
    },
  ],
  ["Streamable HTTP", () => overHttp],
];

describe.each(transports)("2026-07-28 over %s", (transport, open) => {
  test("the SDK's client discovers the server and lists its tools with cache hints, no handshake", async () => {
    const client = new Client(
      { name: "protocol-2026", version: "0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    running.push(client);
    await client.connect(
      transport === "stdio"
        ? new StdioClientTransport({ command: process.execPath, args: [bin], env: env(), stderr: "pipe" })
        : new StreamableHTTPClientTransport(new URL(url), {
            requestInit: { headers: { authorization: `Bearer ${bearer}` } },
          }),
    );
    expect(client.getProtocolEra()).toBe("modern");
    expect(client.getDiscoverResult()).toMatchObject({
      supportedVersions: ["2026-07-28"],
      capabilities: { tools: {} },
      instructions: expect.stringContaining("idlink links Auth0 accounts"),
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "idlink-mcp" } },
    });
    const listed = await client.listTools();
    expect(listed.tools).toHaveLength(7);
    // server/utilities/caching.mdx: the list changes only with the server's options, and holds no user's data.
    expect(listed).toMatchObject({ ttlMs: 3_600_000, cacheScope: "public" });
  });

  test("confirms an unlink in multiple round trips: input_required, then the retry with the answer and the state", async () => {
    const exchange = open();
    const call = { name: "unlink_identity", arguments: { primary: frank, secondary: frankGithub } };
    const asked = await exchange("tools/call", { ...call, _meta: envelope(true) });
    // basic/patterns/mrtr.mdx: an InputRequiredResult, its question among inputRequests, and an opaque requestState.
    expect(asked.result).toMatchObject({
      resultType: "input_required",
      inputRequests: {
        confirm: {
          method: "elicitation/create",
          params: { message: expect.stringContaining(`Unlink "${frankGithub}" from "${frank}"`) },
        },
      },
      requestState: expect.stringMatching(/^idlc1-e-unlink-/),
    });
    expect(identityIds(emulator(), frank)).toEqual([frank, frankGithub]);

    const answer = { inputResponses: { confirm: { action: "accept", content: {} } } };
    const retry = { ...call, ...answer, requestState: asked.result?.requestState, _meta: envelope(true) };
    const done = await exchange("tools/call", retry);
    expect(done.result).toMatchObject({ resultType: "complete", structuredContent: { status: "unlinked" } });
    expect(identityIds(emulator(), frank)).toEqual([frank]);

    rememberOutput(transport, JSON.stringify([asked, done]));
  });

  test("a retry whose answer is missing is asked again, not refused (mrtr.mdx, Error Handling)", async () => {
    const exchange = open();
    const call = { name: "link_accounts", arguments: { primary: alice, secondary: aliceGoogle } };
    const asked = await exchange("tools/call", { ...call, _meta: envelope(true) });
    const again = await exchange("tools/call", {
      ...call,
      requestState: asked.result?.requestState,
      _meta: envelope(true),
    });
    expect(again.result).toMatchObject({ resultType: "input_required", inputRequests: { confirm: {} } });
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });
});

describe("one stdio process, two eras (basic/versioning.mdx: initialize selects the 2025 protocol for the process)", () => {
  const handshake = {
    protocolVersion: "2025-11-25",
    capabilities: {},
    clientInfo: { name: "protocol-2026", version: "0" },
  };
  const getFrank = { name: "get_user_identities", arguments: { user_id: frank } };
  const managementRequests = () => emulator().state.requests.filter((r) => r.path.startsWith("/api/v2/"));

  test("a 2026-07-28 request after initialize is refused with -32022, and nothing reaches Auth0", async () => {
    const server = spawnServer(env());
    running.push(server);
    const exchange = overStdio(server);
    expect((await exchange("initialize", handshake)).result).toMatchObject({ protocolVersion: "2025-11-25" });
    const refused = await exchange("tools/call", { ...getFrank, _meta: envelope() });
    expect(refused.error).toEqual({
      code: -32022,
      message: expect.stringContaining(
        "on this connection, which opened as a 2025-era session (2025-11-25) for as long as the process runs",
      ),
      data: { supported: ["2025-11-25"], requested: "2026-07-28" },
    });
    expect(managementRequests()).toEqual([]);
    // The session goes on in its own era.
    const served = await exchange("tools/call", getFrank);
    expect(served.result?.structuredContent).toMatchObject({ user_id: frank });
  });

  test("initialize after a 2026-07-28 request is refused with -32022, and the process stays 2026-07-28", async () => {
    const server = spawnServer(env());
    running.push(server);
    const exchange = overStdio(server);
    expect((await exchange("tools/list", { _meta: envelope() })).result?.resultType).toBe("complete");
    const refused = await exchange("initialize", handshake);
    expect(refused.error).toMatchObject({
      code: -32022,
      data: { supported: ["2026-07-28"], requested: "2025-11-25" },
    });
    expect((await exchange("tools/call", getFrank)).error).toMatchObject({ code: -32602 });
    expect(managementRequests()).toEqual([]);
  });
});
