import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const bins = {
  idlink: fileURLToPath(new URL("../../apps/cli/dist/idlink.js", import.meta.url)),
  mcp: fileURLToPath(new URL("../../apps/mcp-server/dist/idlink-mcp.js", import.meta.url)),
  demo: fileURLToPath(new URL("../../apps/web-demo/dist/server/start.js", import.meta.url)),
  demoClient: fileURLToPath(new URL("../../apps/web-demo/dist/client/", import.meta.url)),
  emulator: fileURLToPath(new URL("../../packages/emulator/dist/bin.js", import.meta.url)),
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
 * The 2026-07-28 per-request fields (modelcontextprotocol/modelcontextprotocol@b0f60ba
 * docs/specification/2026-07-28/basic/index.mdx): every request carries them, there is no handshake.
 */
const envelope = {
  _meta: {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": { name: "bench", version: "0" },
  },
};

/** What a 2026-07-28 host sends first: server/discover (id 1), then tools/list (id 2) (server/discover.mdx). */
const discovery = ["server/discover", "tools/list"].map((method, i) => ({
  jsonrpc: "2.0",
  id: i + 1,
  method,
  params: envelope,
}));

export type Era = "2025-11-25" | "2026-07-28";

/** How a host of this era opens: its answer to id 2 is tools/list's. */
const opening = (era: Era) => (era === "2026-07-28" ? discovery : handshake);

/** Milliseconds from spawning idlink-mcp to its answer to a 2026-07-28 server/discover. */
export async function timeMcpDiscover(): Promise<number> {
  const mcp = spawnMcp(noTenant);
  mcp.send(...discovery);
  return (await mcp.answer(1).finally(mcp.stop)).at;
}

/** Milliseconds from spawning idlink-mcp over stdio to its answer to tools/list (which calls no tenant). */
export async function timeMcpToolsList(era: Era = "2025-11-25"): Promise<number> {
  const mcp = spawnMcp(noTenant);
  mcp.send(...opening(era));
  return (await mcp.answer(2).finally(mcp.stop)).at;
}

/** What an agent pays for tools/list on every session: its result's JSON characters, and tokens as characters / 4. */
export async function mcpToolsListSize(): Promise<{ characters: number; tokens: number }> {
  const mcp = spawnMcp(noTenant);
  mcp.send(...handshake);
  const characters = JSON.stringify((await mcp.answer(2).finally(mcp.stop)).result).length;
  return { characters, tokens: Math.ceil(characters / 4) };
}

/**
 * The emulator in a process of its own (its bin, rate limit off), as a tenant is a server of its own: it answers on
 * the other core, and no work of its weighs on this process, which times the others.
 */
export async function startEmulator(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [bins.emulator, "--port", "0", "--rate-limit", "off"], {
    env: minimalEnv,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (listening?.[1]) resolve(listening[1]);
    });
    child.on("exit", (code) => reject(new Error(`the emulator exited (${code}) before listening`)));
  });
  return { url, stop: () => child.kill() };
}

/** A tenant idlink-mcp reads from: the emulator, a machine-to-machine application of it, and a user to read. */
export interface Tenant {
  url: string;
  clientId: string;
  clientSecret: string;
  userId: string;
}

/** A read the tenant answers: get_user_identities on a user that exists, with the app's Management token. */
const read = (era: Era, id: number, tenant: Tenant) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: {
    ...(era === "2026-07-28" ? envelope : {}),
    name: "get_user_identities",
    arguments: { user_id: tenant.userId },
  },
});

/**
 * A script's first call: every message written at once (the opening, then the read); milliseconds from spawn to the
 * read's answer — the token request, the SDK's loading and the read itself on the way.
 */
export async function timeMcpFirstCallAtOnce(era: Era, tenant: Tenant): Promise<number> {
  const mcp = spawnMcp(tenantEnv(tenant));
  mcp.send(...opening(era), read(era, 3, tenant));
  const answer = await mcp.answer(3).finally(mcp.stop);
  return answered(answer).at;
}

/**
 * An agent host's first call: the read sent 1 s after tools/list answered (its model thinks before it calls), then
 * `warm` more reads, one after the other, on the same process: milliseconds from sending each to its answer.
 */
export async function timeMcpFirstCallLater(
  era: Era,
  tenant: Tenant,
  warm = 3,
): Promise<{ first: number; warm: number[] }> {
  const mcp = spawnMcp(tenantEnv(tenant));
  try {
    mcp.send(...opening(era));
    await mcp.answer(2);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const timed = async (id: number) => {
      const sent = performance.now() - mcp.spawnedAt;
      mcp.send(read(era, id, tenant));
      return answered(await mcp.answer(id)).at - sent;
    };
    const first = await timed(3);
    const later: number[] = [];
    for (let i = 0; i < warm; i++) later.push(await timed(4 + i));
    return { first, warm: later };
  } finally {
    mcp.stop();
  }
}

/** The environment of a server that calls no tenant (tools/list, server/discover). */
const noTenant = { AUTH0_DOMAIN: "http://127.0.0.1:9", AUTH0_TOKEN: "unused-no-tenant-is-called" };

const tenantEnv = (tenant: Tenant) => ({
  AUTH0_DOMAIN: tenant.url,
  AUTH0_CLIENT_ID: tenant.clientId,
  AUTH0_CLIENT_SECRET: tenant.clientSecret,
});

interface Answer {
  /** Milliseconds from spawn to the answer. */
  at: number;
  result?: { isError?: boolean; content?: { text?: string }[] };
  error?: unknown;
}

/** The answer, if it is a tool's success: a benchmark of a read that failed would time something else. */
function answered(answer: Answer): Answer {
  if (answer.result === undefined || answer.result.isError) {
    throw new Error(`idlink-mcp's read did not succeed: ${JSON.stringify(answer).slice(0, 300)}`);
  }
  return answer;
}

/** idlink-mcp spawned over stdio with PATH and this environment: send messages, await answers by id. */
function spawnMcp(env: Record<string, string>) {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [bins.mcp], {
    env: { ...minimalEnv, ...env },
    stdio: ["pipe", "pipe", "ignore"],
  });
  const answers = new Map<unknown, Answer>();
  const waiting = new Map<unknown, { resolve: (answer: Answer) => void; reject: (error: Error) => void }>();
  let exit: Error | undefined;
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const at = performance.now() - spawnedAt;
    out += chunk;
    for (let end = out.indexOf("\n"); end !== -1; end = out.indexOf("\n")) {
      const message = JSON.parse(out.slice(0, end)) as Omit<Answer, "at"> & { id?: unknown };
      out = out.slice(end + 1);
      if (message.id === undefined) continue;
      const answer = { ...message, at };
      answers.set(message.id, answer);
      waiting.get(message.id)?.resolve(answer);
    }
  });
  child.on("exit", (code) => {
    exit = new Error(`idlink-mcp exited (${code}) before answering`);
    for (const { reject } of waiting.values()) reject(exit);
  });
  return {
    spawnedAt,
    send(...messages: object[]): void {
      child.stdin.write(messages.map((m) => `${JSON.stringify(m)}\n`).join(""));
    },
    answer(id: number): Promise<Answer> {
      const seen = answers.get(id);
      if (seen) return Promise.resolve(seen);
      if (exit) return Promise.reject(exit);
      return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
    },
    stop(): void {
      child.kill();
    },
  };
}
