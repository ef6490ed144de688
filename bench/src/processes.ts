import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const bins = {
  idlink: fileURLToPath(new URL("../../apps/cli/dist/idlink.js", import.meta.url)),
  mcp: fileURLToPath(new URL("../../apps/mcp-server/dist/idlink-mcp.js", import.meta.url)),
  demo: fileURLToPath(new URL("../../apps/web-demo/dist/server/start.js", import.meta.url)),
  demoClient: fileURLToPath(new URL("../../apps/web-demo/dist/client/", import.meta.url)),
};

/** Milliseconds from spawn to exit of `node ...args`; throws on a non-zero exit. */
export function timeExit(args: string[]): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(performance.now() - start)
        : reject(new Error(`node ${args.join(" ")} exited ${code}`)),
    );
  });
}

const mcpMessages = [
  {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
  },
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "2.0", id: 2, method: "tools/list" },
]
  .map((m) => `${JSON.stringify(m)}\n`)
  .join("");

/** Milliseconds from spawning idlink-mcp over stdio to its answer to tools/list (which calls no tenant). */
export async function timeMcpToolsList(): Promise<number> {
  return (await mcpToolsList()).ms;
}

/** What an agent pays for tools/list on every session: its result's JSON characters, and tokens as characters / 4. */
export async function mcpToolsListSize(): Promise<{ characters: number; tokens: number }> {
  const characters = JSON.stringify((await mcpToolsList()).result).length;
  return { characters, tokens: Math.ceil(characters / 4) };
}

function mcpToolsList(): Promise<{ ms: number; result: unknown }> {
  const start = performance.now();
  const child = spawn(process.execPath, [bins.mcp], {
    env: {
      PATH: process.env.PATH ?? "",
      AUTH0_DOMAIN: "http://127.0.0.1:9",
      AUTH0_TOKEN: "unused-by-tools-list",
    },
    stdio: ["pipe", "pipe", "ignore"],
  });
  child.stdin.write(mcpMessages);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      const line = out.split("\n").find((l) => l.includes('"id":2') && l.includes('"tools"'));
      if (line !== undefined) {
        resolve({ ms: performance.now() - start, result: JSON.parse(line).result });
        child.kill();
      }
    });
    child.on("exit", (code) => reject(new Error(`idlink-mcp exited (${code}) before answering tools/list`)));
  });
}
