import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { createManagementClient } from "@idlink/core";
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { describe, expect, test } from "vitest";
import { catalog, toolNames } from "../src/catalog.ts";
import type { Config } from "../src/env.ts";
import { type Handover, replayId, serveFront, warmUpArgument } from "../src/front.ts";
import { frontMethods, generateCatalog } from "../src/generate-catalog.ts";
import { sdkExchange } from "../src/sdk-exchange.ts";
import { serveSdkStdio } from "../src/sdk-stdio.ts";
import type { ToolSelection } from "../src/selection.ts";
import { createServer } from "../src/server.ts";
import type { ToolName } from "../src/tools/index.ts";
import { adminClient, alice, eras, rememberOutput, useEmulator } from "./helpers.ts";
import { bin, spawnServer } from "./process.ts";

const emulator = useEmulator();

const initialize = (protocolVersion: string, id: string | number = 1): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id,
  method: "initialize",
  params: { protocolVersion, capabilities: { roots: {} }, clientInfo: { name: "front-test", version: "1" } },
});
const initialized: JSONRPCMessage = { jsonrpc: "2.0", method: "notifications/initialized" };
/** The 2026-07-28 per-request `_meta` (basic/index.mdx, "Per-request protocol fields"). */
const envelope = (extra: Record<string, unknown> = {}, version = "2026-07-28") => ({
  "io.modelcontextprotocol/protocolVersion": version,
  "io.modelcontextprotocol/clientCapabilities": {},
  ...extra,
});
/** A 2026-07-28 request: no session, its version and the client's capabilities in `_meta`. */
const modern = (id: number, method: string, meta = envelope(), params: Record<string, unknown> = {}) =>
  request(id, method, { ...params, _meta: meta });
const richEnvelope = envelope({
  "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
  "io.modelcontextprotocol/clientInfo": { name: "front-test", version: "1", title: "Front test" },
});
const request = (id: number, method: string, params?: Record<string, unknown>): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id,
  method,
  ...(params ? { params } : {}),
});

/**
 * The front in-process on in-memory streams; `load` only records that it was asked to load the SDK. It waits long
 * after tools/list before handing over (`quietMs`), unless a test says otherwise.
 */
function front(
  selection: ToolSelection = {},
  load?: (handover: Handover) => Promise<void>,
  quietMs = 60_000,
) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const errors: string[] = [];
  const handovers: Handover[] = [];
  let out = "";
  stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  serveFront({
    catalog,
    selection,
    stdin,
    stdout,
    onerror: (error) => errors.push(error.message),
    load: async (handover) => {
      handovers.push(handover);
      await load?.(handover);
    },
    quietMs,
  });
  return {
    stdin,
    errors,
    handovers,
    send: (...messages: (JSONRPCMessage | string)[]) =>
      stdin.write(messages.map((m) => `${typeof m === "string" ? m : JSON.stringify(m)}\n`).join("")),
    lines: () => out.split("\n").filter(Boolean),
    answers: () =>
      out
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as JSONRPCMessage),
  };
}

/** The SDK server's own answers to the same messages (every request answered), in id order. */
async function sdk(messages: JSONRPCMessage[], options: { readOnly?: boolean; tools?: ToolName[] } = {}) {
  const client = createManagementClient({ domain: "http://127.0.0.1:9", token: "listing-only" });
  const written = await sdkExchange(() => createServer({ client, options }), messages);
  return sortById(written);
}

function sortById(messages: JSONRPCMessage[]): JSONRPCMessage[] {
  return [...messages].sort((a, b) => Number("id" in a ? a.id : 0) - Number("id" in b ? b.id : 0));
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("the generated catalog", () => {
  test("is what the SDK server answers now (else run the build, or `pnpm --filter @idlink/mcp-server run generate`)", async () => {
    expect(await generateCatalog()).toEqual(catalog);
  });
});

describe("the stdio front answers exactly as the SDK server", () => {
  const handshakes = [...catalog.protocolVersions.echoed, "2026-07-28", "2099-01-01"];
  test.each(handshakes)("initialize %s, then ping, tools/list and the lists it refuses", async (version) => {
    const messages = [
      initialize(version),
      initialized,
      request(2, "ping"),
      request(3, "tools/list"),
      ...frontMethods.map((method, i) => request(4 + i, method)),
      request(9, "tools/list", {}),
    ];
    const f = front();
    f.send(...messages);
    await tick();
    expect(f.handovers).toEqual([]);
    expect(sortById(f.answers())).toEqual(await sdk(messages));
  });

  test.each<[string, JSONRPCMessage[]]>([
    ["server/discover and tools/list", [modern(1, "server/discover"), modern(2, "tools/list")]],
    [
      "with the client's identity and capabilities",
      [modern(1, "server/discover", richEnvelope), modern(2, "tools/list", richEnvelope)],
    ],
    ["tools/list, then server/discover", [modern(1, "tools/list"), modern(2, "server/discover")]],
    [
      "server/discover, then the 2025 handshake (a client's fallback)",
      [modern(1, "server/discover"), initialize("2025-11-25", 2), request(3, "tools/list")],
    ],
  ])("2026-07-28, stateless: %s", async (_, messages) => {
    const f = front();
    f.send(...messages);
    await tick();
    expect(f.handovers).toEqual([]);
    expect(sortById(f.answers())).toEqual(await sdk(messages));
  });

  test("answers 2026-07-28 lists with resultType, cache hints and serverInfo (caching.mdx, basic/index.mdx)", async () => {
    const f = front();
    f.send(modern(1, "tools/list"), modern(2, "server/discover"));
    await tick();
    const [list, discover] = f.answers() as { result: Record<string, unknown> }[];
    const serverInfo = {
      name: "idlink-mcp",
      title: "idlink — Auth0 account linking",
      version: expect.any(String),
    };
    for (const result of [list?.result, discover?.result]) {
      expect(result).toMatchObject({
        resultType: "complete",
        ttlMs: 3_600_000,
        cacheScope: "public",
        _meta: { "io.modelcontextprotocol/serverInfo": serverInfo },
      });
    }
    expect(discover?.result.supportedVersions).toEqual(["2026-07-28"]);
    expect(list?.result.tools).toHaveLength(7);
  });

  test.each<[string, { readOnly?: boolean; tools?: ToolName[] }]>([
    ["read-only", { readOnly: true }],
    ["--tools", { tools: ["preview_link", "link_accounts"] }],
    ["read-only and --tools", { readOnly: true, tools: ["get_user_identities", "unlink_identity"] }],
  ])("lists only the selected tools (%s), in both eras", async (_, selection) => {
    for (const messages of [
      [initialize("2025-11-25"), request(2, "tools/list")],
      [modern(1, "server/discover"), modern(2, "tools/list")],
    ]) {
      const f = front(selection);
      f.send(...messages);
      await tick();
      expect(f.answers()).toEqual(await sdk(messages, selection));
    }
  });

  test("writes each answer as one line of JSON, the id as the client sent it", async () => {
    const f = front();
    f.send(initialize("2025-11-25", "a-string-id"), request(7, "ping"));
    await tick();
    expect(f.lines()).toEqual([
      expect.stringMatching(/^\{"result":\{"protocolVersion":"2025-11-25",.*"id":"a-string-id"\}$/),
      '{"result":{},"jsonrpc":"2.0","id":7}',
    ]);
  });

  test("skips a line that is not JSON, as the SDK does, and reads a message split across writes", async () => {
    const f = front();
    const line = `${JSON.stringify(initialize("2025-11-25"))}\n`;
    f.stdin.write("not json\r\n");
    f.stdin.write(line.slice(0, 20));
    f.stdin.write(`${line.slice(20)}${JSON.stringify(request(2, "ping"))}\r\n`);
    await tick();
    expect(f.handovers).toEqual([]);
    expect(f.answers().map((m) => ("id" in m ? m.id : undefined))).toEqual([1, 2]);
  });
});

/** A configuration whose tenant is never reached: the calls below are refused before anything is sent. */
const config: Config = {
  domain: "http://127.0.0.1:9",
  credentials: { source: "AUTH0_TOKEN", token: "unused-the-call-is-refused" },
  readOnly: false,
  tools: undefined,
  debug: false,
  http: undefined,
  help: false,
  version: false,
};
const refusedCall = { name: "get_user_identities", arguments: { user_id: "not an id" } };

describe("the stdio front hands the connection to the SDK server", () => {
  test.each<[string, (JSONRPCMessage | string)[]]>([
    ["a tool call", [initialize("2025-11-25"), request(2, "tools/call", { name: "x", arguments: {} })]],
    ["a request before initialize", [request(1, "tools/list")]],
    ["server/discover without the envelope", [request(1, "server/discover", { _meta: {} })]],
    [
      "a 2026-07-28 request without clientCapabilities",
      [request(1, "tools/list", { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } })],
    ],
    ["a 2026 version it does not serve", [modern(1, "server/discover", envelope({}, "2099-01-01"))]],
    [
      "a 2026-07-28 envelope with a key it does not know",
      [modern(1, "tools/list", envelope({ progressToken: 1 }))],
    ],
    ["a 2026-07-28 tool call", [modern(1, "tools/call", envelope(), { name: "x", arguments: {} })]],
    ["a 2026-07-28 ping (the revision removed it)", [modern(1, "ping")]],
    ["a 2026-07-28 request within a 2025 session", [initialize("2025-11-25"), modern(2, "tools/list")]],
    ["initialize after a 2026-07-28 request", [modern(1, "tools/list"), initialize("2025-11-25", 2)]],
    ["a 2025 request after a 2026-07-28 one", [modern(1, "tools/list"), request(2, "tools/list")]],
    ["initialize with _meta", [{ ...initialize("2025-11-25"), params: { _meta: {} } } as JSONRPCMessage]],
    ["initialize without clientInfo", [request(1, "initialize", { protocolVersion: "2025-11-25" })]],
    ["a second initialize", [initialize("2025-11-25"), initialize("2025-11-25", 2)]],
    ["tools/list with a cursor", [initialize("2025-11-25"), request(2, "tools/list", { cursor: "x" })]],
    ["an unknown method", [initialize("2025-11-25"), request(2, "completion/complete")]],
    ["a notification it does not know", [initialize("2025-11-25"), { jsonrpc: "2.0", method: "x/y" }]],
    ["a message with an extra field", ['{"jsonrpc":"2.0","id":1,"method":"ping","extra":1}']],
    ["a JSON-RPC 1 message", ['{"id":1,"method":"ping"}']],
    ["a fractional id", ['{"jsonrpc":"2.0","id":1.5,"method":"ping"}']],
  ])("on %s, with every byte it did not answer put back on stdin", async (_, messages) => {
    const f = front();
    f.send(...messages, request(99, "ping"));
    await tick();
    expect(f.handovers).toHaveLength(1);
    const [handover] = f.handovers;
    const rest = handover?.stdin.read()?.toString("utf8") ?? "";
    const unanswered = messages.slice(f.lines().length > 0 ? 1 : 0);
    expect(rest).toBe(
      [...unanswered, request(99, "ping")]
        .map((m) => `${typeof m === "string" ? m : JSON.stringify(m)}\n`)
        .join(""),
    );
  });

  test("replays the handshake it answered, under an id whose answer is dropped", async () => {
    const f = front();
    f.send(initialize("2025-06-18"), initialized, request(2, "tools/call", { name: "x" }));
    await tick();
    expect(f.handovers[0]?.replay).toEqual([{ ...initialize("2025-06-18"), id: replayId }, initialized]);
    expect([...(f.handovers[0]?.hidden ?? [])]).toEqual([replayId]);
  });

  test("replays the 2026-07-28 request that set the era; a probe sets none", async () => {
    const pinned = front();
    pinned.send(modern(1, "server/discover"), modern(2, "tools/list"), modern(3, "tools/call"));
    const probed = front();
    probed.send(modern(1, "server/discover"), modern(2, "tools/call"));
    await tick();
    expect(pinned.handovers[0]?.replay).toEqual([{ ...modern(2, "tools/list"), id: replayId }]);
    expect(probed.handovers[0]?.replay).toEqual([]);
    expect([...(probed.handovers[0]?.hidden ?? [])]).toEqual([]);
  });

  test("the SDK server takes over: it answers the call, and the handshake is answered once", async () => {
    const errors: string[] = [];
    const f = front({}, async (handover) => serveSdkStdio(config, handover, (e) => errors.push(e.message)));
    f.send(
      initialize("2025-11-25"),
      initialized,
      request(2, "tools/call", { name: "get_user_identities", arguments: { user_id: "not an id" } }),
      request(3, "tools/list"),
    );
    await expect.poll(() => f.answers().length, { timeout: 10_000 }).toBe(3);
    const answers = sortById(f.answers());
    expect(answers.map((m) => ("id" in m ? m.id : undefined))).toEqual([1, 2, 3]);
    expect(JSON.stringify(answers[1])).toContain("user_id must be a full user id");
    expect(answers[2]).toEqual((await sdk([initialize("2025-11-25"), request(3, "tools/list")]))[1]);
    expect(errors).toEqual([]);
    f.stdin.end();
  });

  test.each<[string, JSONRPCMessage[], Record<string, unknown>, JSONRPCMessage]>([
    [
      "a 2026-07-28 request in a 2025 session",
      [initialize("2025-06-18"), initialized, modern(2, "tools/call", envelope(), refusedCall)],
      {
        code: -32022,
        message: expect.stringMatching(
          /^Unsupported protocol version: 2026-07-28 on this connection, which opened as a 2025-era session \(2025-06-18\).*send requests here without _meta "io\.modelcontextprotocol\/protocolVersion", or start a new server process/,
        ),
        data: { supported: ["2025-06-18"], requested: "2026-07-28" },
      },
      request(3, "tools/call", refusedCall),
    ],
    [
      "initialize on a 2026-07-28 connection",
      [modern(1, "tools/list"), initialize("2025-11-25", 2)],
      { code: -32022, data: { supported: ["2026-07-28"], requested: "2025-11-25" } },
      modern(3, "tools/call", envelope(), refusedCall),
    ],
  ])(
    "refuses %s, and the connection serves its own era on (basic/versioning.mdx)",
    async (_, messages, error, next) => {
      const errors: string[] = [];
      const f = front({}, async (handover) => serveSdkStdio(config, handover, (e) => errors.push(e.message)));
      f.send(...messages);
      await expect.poll(() => f.answers().length, { timeout: 10_000 }).toBe(2);
      expect(sortById(f.answers())[1]).toEqual({
        jsonrpc: "2.0",
        id: 2,
        error: expect.objectContaining(error),
      });
      // The connection's own era still works after the refusal.
      f.send(next);
      await expect.poll(() => f.answers().length, { timeout: 10_000 }).toBe(3);
      expect(JSON.stringify(sortById(f.answers())[2])).toContain("user_id must be a full user id");
      f.stdin.end();
    },
  );

  test("when stdin ends, answers every request it read (the SDK's among them) before the connection closes", async () => {
    const errors: string[] = [];
    const f = front({}, async (handover) => serveSdkStdio(config, handover, (e) => errors.push(e.message)));
    f.send(
      modern(1, "server/discover"),
      modern(2, "tools/list"),
      modern(3, "tools/call", envelope(), refusedCall),
      modern(4, "tools/call", envelope(), refusedCall),
      modern(5, "prompts/list"),
    );
    // Before the SDK server has even loaded.
    f.stdin.end();
    await expect.poll(() => f.answers().length, { timeout: 10_000 }).toBe(5);
    const answers = sortById(f.answers()) as {
      id: number;
      result?: { resultType?: string };
      error?: unknown;
    }[];
    expect(answers.map((a) => a.id)).toEqual([1, 2, 3, 4, 5]);
    expect(answers.slice(0, 4).map((a) => a.result?.resultType)).toEqual(Array(4).fill("complete"));
    expect(answers[4]?.error).toMatchObject({ code: -32601 });
    expect(errors).toEqual([]);
  });

  test("reports and skips a line that is JSON but no JSON-RPC message, as the SDK's transport does", async () => {
    const errors: string[] = [];
    const f = front({}, async (handover) => serveSdkStdio(config, handover, (e) => errors.push(e.message)));
    f.send(modern(1, "tools/call", envelope(), refusedCall), '{"not":"json-rpc"}', modern(2, "tools/list"));
    await expect.poll(() => f.answers().length, { timeout: 10_000 }).toBe(2);
    expect(errors).toHaveLength(1);
    f.stdin.end();
  });

  test("a line past the SDK's limit (10 MiB) is reported and ends the connection, as the SDK's transport does", async () => {
    const errors: string[] = [];
    let ended = false;
    const f = front({}, async (handover) => {
      serveSdkStdio(config, handover, (e) => errors.push(e.message));
      handover.stdin.on("pause", () => {
        ended = true;
      });
    });
    f.stdin.write("x".repeat(11 * 1024 * 1024));
    await expect
      .poll(() => errors, { timeout: 10_000 })
      .toEqual([expect.stringContaining("exceeded maximum size")]);
    expect(ended).toBe(true);
  });

  test("a failure to load the SDK server is reported and ends the connection", async () => {
    const f = front({}, async () => {
      throw new Error("chunk missing");
    });
    f.send(initialize("2025-11-25"), request(2, "tools/call", { name: "x" }));
    await expect.poll(() => f.errors).toEqual(["chunk missing"]);
    expect(f.stdin.destroyed).toBe(true);
  });
});

/** The call a quiet hand-over replays for a tool: refused for its undeclared argument (src/front.ts, warmUp). */
const warmUpCall = (tool: string, params: Record<string, unknown> = {}): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id: `${warmUpArgument}:${tool}`,
  method: "tools/call",
  params: { ...params, name: tool, arguments: { [warmUpArgument]: true } },
});

describe("a quiet moment after tools/list hands the connection over", () => {
  const readOnlyTools = [
    "get_user_identities",
    "find_link_candidates",
    "find_duplicate_accounts",
    "preview_link",
    "preview_unlink",
  ];

  test.each<[string, JSONRPCMessage[], JSONRPCMessage[], Record<string, unknown>]>([
    [
      "2025",
      [initialize("2025-11-25"), initialized, request(2, "tools/list")],
      [{ ...initialize("2025-11-25"), id: replayId }, initialized],
      {},
    ],
    [
      "2026-07-28",
      [modern(1, "server/discover"), modern(2, "tools/list")],
      [{ ...modern(2, "tools/list"), id: replayId }],
      { _meta: envelope() },
    ],
  ])(
    "%s: replays the request that set the era, then a warm-up call per listed tool, every answer dropped",
    async (_, opening, pinned, params) => {
      const f = front({ readOnly: true }, undefined, 10);
      f.send(...opening);
      await expect.poll(() => f.handovers.length).toBe(1);
      const calls = readOnlyTools.map((tool) => warmUpCall(tool, params));
      expect(f.handovers[0]?.replay).toEqual([...pinned, ...calls]);
      expect([...(f.handovers[0]?.hidden ?? [])]).toEqual([
        replayId,
        ...calls.map((c) => ("id" in c ? c.id : "")),
      ]);
      expect(f.answers()).toHaveLength(2);
      expect(f.handovers[0]?.stdin.read()).toBeNull();
    },
  );

  test("answers what comes in the same breath (ping, prompts/list) before it hands over", async () => {
    const f = front({}, undefined, 1_000);
    f.send(initialize("2025-11-25"), initialized, request(2, "tools/list"));
    await tick();
    f.send(request(3, "ping"), request(4, "prompts/list"));
    await tick();
    expect(f.answers().map((m) => ("id" in m ? m.id : undefined))).toEqual([1, 2, 3, 4]);
    expect(f.handovers).toEqual([]);
    await expect.poll(() => f.handovers.length, { timeout: 5_000 }).toBe(1);
  });

  test("does not hand over before tools/list is answered, nor once stdin has ended", async () => {
    const opened = front({}, undefined, 10);
    opened.send(initialize("2025-11-25"), initialized, request(2, "ping"));
    const ended = front({}, undefined, 10);
    ended.send(initialize("2025-11-25"), initialized, request(2, "tools/list"));
    ended.stdin.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(opened.answers()).toHaveLength(2);
    expect(ended.answers()).toHaveLength(2);
    expect(opened.handovers).toEqual([]);
    expect(ended.handovers).toEqual([]);
  });

  test.each(eras)(
    "every warm-up call (%s) is refused for its argument before anything is read or sent",
    async (era) => {
      const f = front({}, undefined, 10);
      f.send(
        ...(era === "2026-07-28"
          ? [modern(1, "tools/list")]
          : [initialize(era), initialized, request(2, "tools/list")]),
      );
      await expect.poll(() => f.handovers.length).toBe(1);
      const sent: string[] = [];
      const client = createManagementClient({
        domain: "http://127.0.0.1:9",
        token: "unused-nothing-is-sent",
        fetch: async (r) => {
          sent.push(`${r.method} ${r.url}`);
          return fetch(r);
        },
      });
      const replay = (f.handovers[0]?.replay ?? []) as JSONRPCMessage[];
      const answers = (await sdkExchange(() => createServer({ client }), replay)) as {
        id?: unknown;
        result?: { isError?: boolean; content?: { text?: string }[] };
      }[];
      const warm = answers.filter((a) => String(a.id).startsWith(`${warmUpArgument}:`));
      expect(warm.map((a) => a.id)).toEqual(toolNames.map((tool) => `${warmUpArgument}:${tool}`));
      for (const [i, answer] of warm.entries()) {
        expect(answer.result?.isError).toBe(true);
        expect(answer.result?.content?.[0]?.text).toContain(
          `"${warmUpArgument}": "not an argument of ${toolNames[i]}`,
        );
      }
      expect(sent).toEqual([]);
    },
  );

  test("then the SDK server answers the first call, and writes nothing for what was replayed", async () => {
    const errors: string[] = [];
    let closed = false;
    const f = front(
      {},
      async (handover) => {
        serveSdkStdio(config, handover, (e) => errors.push(e.message));
        handover.stdin.on("pause", () => {
          closed = true;
        });
      },
      10,
    );
    f.send(initialize("2025-11-25"), initialized, request(2, "tools/list"));
    await expect.poll(() => f.handovers.length).toBe(1);
    f.send(request(3, "tools/call", refusedCall));
    await expect.poll(() => f.answers().length, { timeout: 10_000 }).toBe(3);
    // stdin's end closes the connection once every request read — the replayed ones too — has its answer.
    f.stdin.end();
    await expect.poll(() => closed, { timeout: 10_000 }).toBe(true);
    expect(f.answers().map((m) => ("id" in m ? m.id : undefined))).toEqual([1, 2, 3]);
    expect(JSON.stringify(f.answers()[2])).toContain("user_id must be a full user id");
    expect(errors).toEqual([]);
  });
});

describe("idlink-mcp start-up (the built bin)", () => {
  /** Literals only the lazily loaded code holds: zod, the MCP SDK, openapi-fetch and core's client. */
  const heavy = [
    "$ZodType",
    "StdioServerTransport already started",
    "querySerializer",
    "createManagementClient needs token",
  ];

  test.each<[string, JSONRPCMessage[], JSONRPCMessage]>([
    [
      "2025: initialize and tools/list",
      [initialize("2025-11-25"), initialized, request(2, "tools/list")],
      request(3, "tools/call", { name: "x", arguments: {} }),
    ],
    [
      "2026-07-28: server/discover and tools/list",
      [modern(1, "server/discover", richEnvelope), modern(2, "tools/list", richEnvelope)],
      modern(3, "tools/call", richEnvelope, { name: "x", arguments: {} }),
    ],
  ])(
    "answers %s while zod, the SDK, openapi-fetch and core's client are held, and loads them once quiet",
    async (_, opening, call) => {
      // Every module holding a heavy literal is held until the gate file exists (fixtures/trace-loads.mjs).
      const gate = join(mkdtempSync(join(tmpdir(), "idlink-mcp-gate-")), "open");
      const trace = fileURLToPath(new URL("fixtures/trace-loads.mjs", import.meta.url));
      const child = spawn(process.execPath, ["--import", trace, bin], {
        env: {
          PATH: process.env.PATH ?? "",
          AUTH0_DOMAIN: "http://127.0.0.1:9",
          AUTH0_TOKEN: "unused",
          IDLINK_TRACE_HOLD: JSON.stringify(heavy),
          IDLINK_TRACE_GATE: gate,
        },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
      });
      child.stderr.on("data", (chunk: Buffer) => {
        err += chunk.toString("utf8");
      });
      const answered = (id: number) =>
        out
          .split("\n")
          .filter(Boolean)
          .some((line) => (JSON.parse(line) as { id?: unknown }).id === id);
      const files = (kind: "loaded" | "held") =>
        [...err.matchAll(new RegExp(`^${kind}: (\\S+)$`, "gm"))].map((m) => fileURLToPath(m[1] ?? ""));
      const text = (list: string[]) => list.map((file) => readFileSync(file, "utf8")).join("\n");
      child.stdin.write(opening.map((m) => `${JSON.stringify(m)}\n`).join(""));
      // Answered with every heavy module held: nothing heavy stands before tools/list.
      await expect.poll(() => answered(2), { timeout: 10_000 }).toBe(true);
      expect(files("loaded")[0]).toBe(bin);
      expect(text(files("loaded"))).not.toMatch(new RegExp(heavy.map(escapeRegExp).join("|")));
      // Then, with nothing else coming, the front hands over and the SDK server starts loading (held here).
      await expect.poll(() => files("held").length, { timeout: 10_000 }).toBeGreaterThan(0);
      writeFileSync(gate, "");
      child.stdin.write(`${JSON.stringify(call)}\n`);
      await expect.poll(() => answered(3), { timeout: 10_000 }).toBe(true);
      // The reports of what was loaded come from the hooks thread, late on a loaded machine: wait for them.
      await expect
        .poll(() => heavy.filter((literal) => !text(files("loaded")).includes(literal)), { timeout: 10_000 })
        .toEqual([]);
      child.stdin.end();
      await new Promise((resolve) => child.once("exit", resolve));
    },
  );

  test("a call after a quiet moment finds the Management token fetched: the tenant is asked for it once", async () => {
    const server = spawnServer({
      AUTH0_DOMAIN: emulator().url,
      AUTH0_CLIENT_ID: adminClient.clientId,
      AUTH0_CLIENT_SECRET: adminClient.clientSecret,
    });
    try {
      const answers = () =>
        server
          .stdout()
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { id?: unknown; result?: { isError?: boolean } });
      const tokenRequests = () =>
        emulator()
          .state.requests.filter((r) => r.path === "/oauth/token")
          .map((r) => r.status);
      server.child.stdin.write(
        [initialize("2025-11-25"), initialized, request(2, "tools/list")]
          .map((m) => `${JSON.stringify(m)}\n`)
          .join(""),
      );
      // Asked for while the client's model would think, before any call.
      await expect.poll(tokenRequests, { timeout: 10_000 }).toEqual([200]);
      server.child.stdin.write(
        `${JSON.stringify(request(3, "tools/call", { name: "get_user_identities", arguments: { user_id: alice } }))}\n`,
      );
      await expect.poll(() => answers().find((a) => a.id === 3), { timeout: 10_000 }).toBeDefined();
      expect(answers().map((a) => a.id)).toEqual([1, 2, 3]);
      expect(answers()[2]?.result?.isError).toBeUndefined();
      expect(tokenRequests()).toEqual([200]);
      rememberOutput("front quiet hand-over", server.stdout(), server.stderr());
      expect(server.stderr()).toBe("");
    } finally {
      await server.stop();
    }
  });
});

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
