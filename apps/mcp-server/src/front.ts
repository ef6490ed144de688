import type { Readable, Writable } from "node:stream";
import type { Catalog, ListedTool, Template } from "./catalog.ts";
import { isSelected, type ToolSelection } from "./selection.ts";

type Id = string | number;

/** A JSON-RPC message as the front reads it: checked field by field before it is answered. */
interface Message {
  jsonrpc: "2.0";
  id?: Id;
  method: string;
  params?: Record<string, unknown>;
}

/** What the SDK server is handed when the front stops answering. */
export interface Handover {
  stdin: Readable;
  stdout: Writable;
  /**
   * To deliver before anything read from stdin: the request that set the era (the handshake, with
   * `notifications/initialized` if it came, or a 2026-07-28 request), so the SDK server serves the same era and knows
   * a 2025 client's capabilities.
   */
  replay: Message[];
  /** Ids of replayed requests, whose answers the client already has: the SDK's are not written again. */
  hidden: ReadonlySet<Id>;
}

export interface FrontOptions {
  catalog: Catalog;
  selection: ToolSelection;
  /**
   * Loads the SDK server and gives it the connection; stdin is paused and holds every unanswered byte (the SDK server
   * answers each request read before stdin ends: src/sdk-stdio.ts).
   */
  load(handover: Handover): Promise<void>;
  onerror(error: Error): void;
  stdin?: Readable;
  stdout?: Writable;
  /**
   * How long the front waits, once it has answered `tools/list`, for another message before it hands over anyway
   * (default 50 ms): a host that asks for the tools asks for a call next, once its model has thought — seconds in
   * which the SDK server loads. Messages a host sends in the same breath (`prompts/list`, `ping`) are still answered
   * here.
   */
  quietMs?: number;
}

/** The id the replayed request carries (initialize, or a 2026-07-28 tools/list); its (sent) answer is dropped. */
export const replayId = "idlink-mcp:replayed";

/** Past this many bytes without a newline, the SDK reads the rest (it enforces its own limit). */
const maxLine = 1024 * 1024;

const clientInfoKeys = new Set(["name", "version", "title", "description", "websiteUrl"]);

/**
 * The per-request fields of a 2026-07-28 request's `_meta` (modelcontextprotocol/modelcontextprotocol@b0f60ba
 * docs/specification/2026-07-28/basic/index.mdx, "Per-request protocol fields"): the version and the client's
 * capabilities are required, its identity optional.
 */
const versionKey = "io.modelcontextprotocol/protocolVersion";
const capabilitiesKey = "io.modelcontextprotocol/clientCapabilities";
const clientInfoKey = "io.modelcontextprotocol/clientInfo";
const envelopeKeys = new Set([versionKey, capabilitiesKey, clientInfoKey]);

/**
 * The stdio front: newline-delimited JSON-RPC (the MCP stdio transport), answering from the generated catalog
 * what needs no tool code, so a host sees the tools before zod, core's client, openapi-fetch or the MCP SDK are
 * evaluated. Either era, as `serveStdio` serves them (modelcontextprotocol/modelcontextprotocol@b0f60ba
 * docs/specification/2026-07-28/basic/versioning.mdx, "Backward Compatibility"): a 2025-era session (`initialize`,
 * versions negotiated as the SDK does, `notifications/initialized`, `ping`, `tools/list` and the lists a tools-only
 * server refuses), and the stateless 2026-07-28 requests `server/discover` and `tools/list`, which carry their
 * version and capabilities in `_meta` (server/discover.mdx). The first message it does not answer exactly as the SDK
 * would (a tool call, a request of the other era, anything unusual) hands the connection to the SDK server, loaded
 * then — and so does a quiet moment after `tools/list` (`quietMs`), so that a call that comes later finds it loaded:
 * the request that set the era is replayed into it with its answer dropped, and every unanswered byte is put back
 * on stdin.
 */
export function serveFront(options: FrontOptions): void {
  const { catalog, selection, load, onerror, quietMs = 50 } = options;
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const selected = (template: Template) =>
    (template.result as { tools: ListedTool[] }).tools.filter((t) =>
      isSelected(t.name, t.annotations.readOnlyHint === true, selection),
    );
  const tools = selected(catalog.toolsList);
  const modernTools = selected(catalog.modern.toolsList);
  /** The connection's era, set by how the client opens, as serveStdio sets it: a 2025 session, or 2026-07-28. */
  let era: "opening" | "legacy" | "modern" = "opening";
  /** The request that set the era (initialize, or a 2026-07-28 tools/list): replayed into the SDK server. */
  let pin: Message | undefined;
  let initialized = false;
  /** Whether tools/list has been answered (either era): the client has what it shows its model. */
  let listed = false;
  let quiet: ReturnType<typeof setTimeout> | undefined;
  let buffer: Buffer = Buffer.alloc(0);

  const write = (template: Template, id: Id, result?: Record<string, unknown>) => {
    const answer: Template = {};
    for (const [key, value] of Object.entries(template)) {
      answer[key] =
        key === "id" ? id : key === "result" && result ? { ...(value as object), ...result } : value;
    }
    stdout.write(`${JSON.stringify(answer)}\n`);
  };

  /** Answers the message if the front can answer it exactly; false hands it over. */
  const answer = (message: Message): boolean => {
    const { id, method, params } = message;
    if (isEnvelope(params, catalog.modern.versions)) {
      // A 2026-07-28 request is stateless; within a 2025 session it is the SDK server's to refuse.
      if (id === undefined || era === "legacy") return false;
      if (method === "server/discover") {
        // A probe: it sets no era (a client may still fall back to initialize).
        write(catalog.modern.discover, id);
        return true;
      }
      if (method !== "tools/list") return false;
      write(catalog.modern.toolsList, id, { tools: modernTools });
      listed = true;
      era = "modern";
      pin ??= message;
      return true;
    }
    if (method === "initialize" && id !== undefined && era === "opening") {
      if (!isHandshake(params)) return false;
      const requested = params.protocolVersion as string;
      const { echoed, fallback } = catalog.protocolVersions;
      era = "legacy";
      pin = message;
      write(catalog.initialize, id, { protocolVersion: echoed.includes(requested) ? requested : fallback });
      return true;
    }
    // Everything else only within a 2025 session the front opened, and only without parameters.
    if (era !== "legacy" || (params !== undefined && Object.keys(params).length > 0)) return false;
    if (method === "notifications/initialized" && id === undefined && !initialized) {
      initialized = true;
      return true;
    }
    if (id === undefined) return false;
    if (method === "tools/list") {
      write(catalog.toolsList, id, { tools });
      listed = true;
      return true;
    }
    const template = catalog.answers[method];
    if (template === undefined) return false;
    write(template, id);
    return true;
  };

  const handOver = (quietly = false) => {
    clearTimeout(quiet);
    stdin.off("data", onData);
    stdin.pause();
    if (buffer.length > 0) stdin.unshift(buffer);
    buffer = Buffer.alloc(0);
    const replay: Message[] = [];
    if (pin) {
      replay.push({ ...pin, id: replayId });
      if (initialized) replay.push({ jsonrpc: "2.0", method: "notifications/initialized" });
      if (quietly) replay.push(...warmUp(pin, era === "modern" ? modernTools : tools));
    }
    const hidden = new Set(replay.flatMap((m) => (m.id === undefined ? [] : [m.id])));
    load({ stdin, stdout, replay, hidden }).catch((error: unknown) => {
      onerror(error instanceof Error ? error : new Error(String(error)));
      stdin.destroy();
    });
  };

  /**
   * Once tools/list is answered and nothing else has come for `quietMs`, the SDK server takes over: it loads, and
   * serves the replayed request, while the client's model thinks, so its first call finds it ready. Not once stdin
   * has ended: every request read is answered already, and the process is about to exit.
   */
  const whenQuiet = () => {
    clearTimeout(quiet);
    if (!listed || buffer.length > 0) return;
    quiet = setTimeout(() => {
      if (!stdin.readableEnded) handOver(true);
    }, quietMs);
    // It never keeps the process alive by itself: an open stdin does.
    quiet.unref();
  };

  const onData = (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf("\n");
      if (end === -1) {
        if (buffer.length > maxLine) handOver();
        else whenQuiet();
        return;
      }
      const line = buffer.toString("utf8", 0, end).replace(/\r$/, "");
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        // The SDK skips a line that is not JSON, too.
        buffer = buffer.subarray(end + 1);
        continue;
      }
      const message = asMessage(parsed);
      if (message === undefined || !answer(message)) {
        handOver();
        return;
      }
      buffer = buffer.subarray(end + 1);
    }
  };

  stdin.on("data", onData);
}

/** The argument every warm-up call carries: no tool declares it, so each refuses the call before doing anything. */
export const warmUpArgument = "idlink-mcp:warm-up";

/**
 * The calls replayed after a quiet hand-over: one per listed tool, in the era of the request that set it (a
 * 2026-07-28 call carries that request's `_meta`), each refused for its undeclared argument (input schemas are
 * strict: src/tools/) before it reads, sends or asks anything. A call walks the SDK's and the server's first-call
 * paths (the SDK's request schemas, the tool's input parse, its output schema in JSON Schema, the refusal's words)
 * while the client's model thinks, so the client's first call costs about what a later one does.
 */
function warmUp(pin: Message, tools: readonly ListedTool[]): Message[] {
  // A 2026-07-28 request's only parameter is its `_meta` envelope; initialize's are the handshake's own.
  const envelope = pin.method === "initialize" ? {} : pin.params;
  return tools.map((tool) => ({
    jsonrpc: "2.0",
    id: `${warmUpArgument}:${tool.name}`,
    method: "tools/call",
    params: { ...envelope, name: tool.name, arguments: { [warmUpArgument]: true } },
  }));
}

/** A request or notification with exactly the JSON-RPC fields; anything else is the SDK's to judge. */
function asMessage(value: unknown): Message | undefined {
  if (!isRecord(value) || value.jsonrpc !== "2.0" || typeof value.method !== "string") return undefined;
  if (Object.keys(value).some((key) => !["jsonrpc", "id", "method", "params"].includes(key)))
    return undefined;
  const { id, params } = value;
  if (id !== undefined && typeof id !== "string" && !Number.isSafeInteger(id)) return undefined;
  if (params !== undefined && !isRecord(params)) return undefined;
  return value as unknown as Message;
}

/** initialize's parameters in the plain 2025 shape (no `_meta`, so no 2026-07-28 envelope). */
function isHandshake(params: Record<string, unknown> | undefined): params is Record<string, unknown> {
  if (params === undefined || typeof params.protocolVersion !== "string") return false;
  return (
    Object.keys(params).every((key) => ["protocolVersion", "capabilities", "clientInfo"].includes(key)) &&
    isCapabilities(params.capabilities) &&
    isClientInfo(params.clientInfo)
  );
}

/**
 * A 2026-07-28 request's parameters as the front answers them: only `_meta`, holding a version `server/discover`
 * lists, the client's capabilities and, optionally, its identity, in the plain shapes the handshake takes.
 */
function isEnvelope(params: Record<string, unknown> | undefined, versions: readonly string[]): boolean {
  if (params === undefined || Object.keys(params).some((key) => key !== "_meta")) return false;
  const meta = params._meta;
  if (!isRecord(meta) || Object.keys(meta).some((key) => !envelopeKeys.has(key))) return false;
  const version = meta[versionKey];
  return (
    typeof version === "string" &&
    versions.includes(version) &&
    isCapabilities(meta[capabilitiesKey]) &&
    (meta[clientInfoKey] === undefined || isClientInfo(meta[clientInfoKey]))
  );
}

function isCapabilities(value: unknown): boolean {
  return isRecord(value) && Object.values(value).every(isRecord);
}

function isClientInfo(value: unknown): boolean {
  return (
    isRecord(value) &&
    typeof value.name === "string" &&
    typeof value.version === "string" &&
    Object.entries(value).every(([key, field]) => clientInfoKeys.has(key) && typeof field === "string")
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
