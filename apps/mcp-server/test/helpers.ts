import { createManagementClient, type FetchLike, type ManagementClient } from "@idlink/core";
import { getManagementToken } from "@idlink/core/node";
import {
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  adminClient as seedAdminClient,
  seedSecrets,
  seedUsers,
} from "@idlink/emulator";
import { recordOutput, recordSecrets, useServer } from "@idlink/test-kit";
import {
  type CallToolResult,
  Client,
  type ElicitRequestFormParams,
  type ElicitResult,
  InMemoryTransport,
} from "@modelcontextprotocol/client";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { afterEach, expect } from "vitest";
import { catalog } from "../src/catalog.ts";
import { type Confirmations, createConfirmations } from "../src/confirmations.ts";
import { createServer, type ServerOptions } from "../src/server.ts";
import { faultsOf, type ListedTool } from "./messages.ts";

export const { alice, aliceGoogle, bob, bobGithub, carol, carolGoogle, frank, frankGithub, dave } = seedUsers;

const seedAdmin = seedAdminClient();
if (!seedAdmin) throw new Error("the emulator's seed has no admin client");
export const adminClient = seedAdmin;

/** Protocol eras the SDK serves: 2025-11-25 (initialize handshake) and 2026-07-28 (per-request envelope). */
export const eras = ["2025-11-25", "2026-07-28"] as const;
export type Era = (typeof eras)[number];

/**
 * Every secret a test put into play (Management tokens, client secrets, ID tokens, IdP tokens from the seed), and
 * every text the server produced (tool results, elicitation messages). After each test, no secret may appear in
 * any output.
 */
export const secrets = new Set<string>([...seedSecrets(), adminClient.clientSecret]);
export const outputs: string[] = [];

/** Adds secrets in play, here and to the cross-suite scan (@idlink/test-kit). */
export function rememberSecret(...values: string[]): void {
  for (const value of values) secrets.add(value);
  recordSecrets(...values);
}

/** Adds what a model or a person would see, here and to the cross-suite scan. */
export function rememberOutput(source: string, ...texts: string[]): void {
  outputs.push(...texts);
  for (const text of texts) recordOutput(`apps/mcp-server:${source}`, text);
}

/** Every tool result a harness saw in the current test, checked after it: each must lead somewhere (messages.ts). */
export const seen: { tool: string; result: CallToolResult }[] = [];

/** The tools as tools/list advertises them (the generated catalog, which test/front.test.ts keeps current). */
export const listedTools = (catalog.toolsList.result as { tools: ListedTool[] }).tools;

/** The faults of every result seen, as `tool: fault` lines (none when every message leads somewhere). */
export function faultsSeen(tools: readonly ListedTool[] = listedTools): string[] {
  return seen.flatMap(({ tool, result }) =>
    faultsOf(textOf(result), { tool, isError: result.isError === true, tools }).map((f) => `${tool}: ${f}`),
  );
}

export function findSecrets(texts: readonly string[], known: Iterable<string> = secrets): string[] {
  const found = new Set<string>();
  for (const secret of known) for (const text of texts) if (text.includes(secret)) found.add(secret);
  return [...found];
}

/** One emulator per test file, reset to its seed before each test; outputs are scanned for secrets after it. */
export function useEmulator(options: EmulatorOptions = {}): () => Emulator {
  const unlimited = { burst: 1_000_000, perSecond: 1_000_000 };
  afterEach(() => {
    expect(findSecrets(outputs)).toEqual([]);
    outputs.length = 0;
  });
  return useServer(
    () => createEmulator({ rateLimit: unlimited, ...options }),
    (emulator) => {
      emulator.state.reset();
      emulator.setFaults({});
      emulator.setRateLimit(unlimited);
    },
  );
}

export type Elicit = (params: ElicitRequestFormParams) => ElicitResult | Promise<ElicitResult>;

export interface Harness {
  client: Client;
  management: ManagementClient;
  confirmations: Confirmations;
  /** Every elicitation the server sent, in order. */
  elicitations: ElicitRequestFormParams[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  era?: Era;
  /** Declares elicitation and answers with this; without it the client declares no elicitation. */
  elicit?: Elicit;
  options?: ServerOptions;
  /** A fixed Management token instead of the admin client's credentials. */
  token?: string;
  /** Runs before each write reaches the emulator (a test can inject a fault or a race there). */
  beforeWrite?: (request: Request) => void | Promise<void>;
  now?: () => number;
}

/** A real MCP client connected in memory to createServer over the emulator. */
export async function connect(em: Emulator, options: HarnessOptions = {}): Promise<Harness> {
  const fetchImpl: FetchLike = async (request) => {
    if (request.method !== "GET") await options.beforeWrite?.(request);
    return fetch(request);
  };
  const token = options.token;
  const getToken =
    token === undefined
      ? async () => {
          const minted = await getManagementToken({ domain: em.url, ...adminClient });
          rememberSecret(minted);
          return minted;
        }
      : () => token;
  if (token !== undefined) rememberSecret(token);
  const management = createManagementClient({
    domain: em.url,
    getToken,
    fetch: fetchImpl,
    retry: { maxRetries: 0 },
  });
  const confirmations = createConfirmations(options.now ? { now: options.now } : {});
  const factory = () => createServer({ client: management, confirmations, options: options.options });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const era = options.era ?? "2025-11-25";
  let stop: () => Promise<void>;
  if (era === "2025-11-25") {
    const server = factory();
    await server.connect(serverSide);
    stop = () => server.close();
  } else {
    const handle = serveStdio(factory, { transport: serverSide });
    stop = () => handle.close();
  }
  const client = new Client(
    { name: "idlink-test", version: "0.0.0" },
    {
      capabilities: options.elicit ? { elicitation: { form: {} } } : {},
      ...(era === "2026-07-28" ? { versionNegotiation: { mode: { pin: era } } } : {}),
    },
  );
  const elicitations: ElicitRequestFormParams[] = [];
  const elicit = options.elicit;
  if (elicit) {
    client.setRequestHandler("elicitation/create", async (request) => {
      const params = request.params;
      if (params.mode === "url") throw new Error("the server asked for URL elicitation");
      elicitations.push(params);
      rememberOutput("elicitation", params.message);
      return elicit(params);
    });
  }
  await client.connect(clientSide);
  expect(client.getNegotiatedProtocolVersion()).toBe(era);
  return {
    client,
    management,
    confirmations,
    elicitations,
    async call(name, args) {
      const result = await client.callTool({ name, arguments: args });
      rememberOutput(`tools/call ${name}`, JSON.stringify(result));
      seen.push({ tool: name, result });
      return result;
    },
    async close() {
      await client.close();
      await stop();
    },
  };
}

/** The text of a result's first content block. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === "text" ? first.text : "";
}

/** The structured content as a record (tests then assert its fields). */
export function structured(result: CallToolResult): Record<string, unknown> {
  const value = result.structuredContent;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`no structured content: ${textOf(result)}`);
  }
  return value as Record<string, unknown>;
}

export function identityIds(em: Emulator, userId: string): string[] | undefined {
  return em.state.getUser(userId)?.identities.map((i) => `${i.provider}|${i.user_id}`);
}

/**
 * One emulator per file and one connected harness per test, closed after it. After each test, every result the
 * harness saw must lead somewhere: a next step, and no argument a tool does not have (messages.ts).
 */
export function useHarness(emulatorOptions: EmulatorOptions = {}) {
  const emulator = useEmulator(emulatorOptions);
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    const faults = faultsSeen();
    seen.length = 0;
    expect(faults).toEqual([]);
  });
  const open = async (options: HarnessOptions = {}, em: Emulator = emulator()): Promise<Harness> => {
    harness = await connect(em, options);
    return harness;
  };
  return { emulator, open };
}
