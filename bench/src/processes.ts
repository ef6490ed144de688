import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const bins = {
  idlink: fileURLToPath(new URL("../../apps/cli/dist/idlink.js", import.meta.url)),
  mcp: fileURLToPath(new URL("../../apps/mcp-server/dist/idlink-mcp.js", import.meta.url)),
  demo: fileURLToPath(new URL("../../apps/web-demo/dist/server/start.js", import.meta.url)),
  demoClient: fileURLToPath(new URL("../../apps/web-demo/dist/client/", import.meta.url)),
};

/**
 * The environment every timed process gets: PATH only. The machine's own (NODE_EXTRA_CA_CERTS, say, which loads a CA
 * bundle at every Node start) would weigh on both sides of a ratio differently.
 */
const minimalEnv = { PATH: process.env.PATH ?? "" };

/** Milliseconds from spawn to exit of `node ...args`; throws on a non-zero exit. */
export function timeExit(args: string[]): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: "ignore", env: minimalEnv });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(performance.now() - start)
        : reject(new Error(`node ${args.join(" ")} exited ${code}`)),
    );
  });
}

/** What a host sends first: the 2025 handshake, then tools/list (id 2). */
const handshake = [
  {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
  },
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "2.0", id: 2, method: "tools/list" },
];

/**
 * What a 2026-07-28 host sends first (no handshake: the protocol is stateless): server/discover (id 1), then
 * tools/list (id 2), each with the per-request `_meta` (modelcontextprotocol/modelcontextprotocol@b0f60ba
 * docs/specification/2026-07-28/server/discover.mdx).
 */
const discovery = ["server/discover", "tools/list"].map((method, i) => ({
  jsonrpc: "2.0",
  id: i + 1,
  method,
  params: {
    _meta: {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
      "io.modelcontextprotocol/clientInfo": { name: "bench", version: "0" },
    },
  },
}));

/** Milliseconds from spawning idlink-mcp to its answer to a 2026-07-28 server/discover. */
export async function timeMcpDiscover(): Promise<number> {
  return (await mcpExchange(discovery, 1)).ms;
}

/** Milliseconds from spawning idlink-mcp to its answer to a 2026-07-28 tools/list sent after server/discover. */
export async function timeMcpToolsList2026(): Promise<number> {
  return (await mcpExchange(discovery, 2)).ms;
}

/**
 * A first tool call (id 3) that needs the whole server — the SDK, zod, core — but no tenant: core refuses the user
 * id before anything is sent.
 */
const firstCall = {
  jsonrpc: "2.0",
  id: 3,
  method: "tools/call",
  params: { name: "get_user_identities", arguments: { user_id: "not-a-user-id" } },
};

/** Milliseconds from spawning idlink-mcp over stdio to its answer to tools/list (which calls no tenant). */
export async function timeMcpToolsList(): Promise<number> {
  return (await mcpExchange(handshake, 2)).ms;
}

/** Milliseconds from spawning idlink-mcp to its answer to the first tools/call, sent right after the handshake. */
export async function timeMcpFirstCall(): Promise<number> {
  return (await mcpExchange([...handshake, firstCall], 3)).ms;
}

/** What an agent pays for tools/list on every session: its result's JSON characters, and tokens as characters / 4. */
export async function mcpToolsListSize(): Promise<{ characters: number; tokens: number }> {
  const characters = JSON.stringify((await mcpExchange(handshake, 2)).result).length;
  return { characters, tokens: Math.ceil(characters / 4) };
}

/** Spawns idlink-mcp, writes the messages, and times the answer with this id. */
function mcpExchange(messages: object[], id: number): Promise<{ ms: number; result: unknown }> {
  const start = performance.now();
  const child = spawn(process.execPath, [bins.mcp], {
    env: { ...minimalEnv, AUTH0_DOMAIN: "http://127.0.0.1:9", AUTH0_TOKEN: "unused-no-tenant-is-called" },
    stdio: ["pipe", "pipe", "ignore"],
  });
  child.stdin.write(messages.map((m) => `${JSON.stringify(m)}\n`).join(""));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      const lines = out.split("\n").filter((l) => l.endsWith("}"));
      const answer = lines
        .map((l) => JSON.parse(l) as { id?: number; result?: unknown })
        .find((m) => m.id === id);
      if (answer?.result !== undefined) {
        resolve({ ms: performance.now() - start, result: answer.result });
        child.kill();
      }
    });
    child.on("exit", (code) => reject(new Error(`idlink-mcp exited (${code}) before answering ${id}`)));
  });
}
