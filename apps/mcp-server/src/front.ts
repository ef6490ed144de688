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
  /** To deliver before anything read from stdin: the handshake the front answered, so the SDK server knows it. */
  replay: Message[];
  /** Ids of replayed requests, whose answers the client already has: the SDK's are not written again. */
  hidden: ReadonlySet<Id>;
}

export interface FrontOptions {
  catalog: Catalog;
  selection: ToolSelection;
  /** Loads the SDK server and gives it the connection; stdin is paused and holds every unanswered byte. */
  load(handover: Handover): Promise<void>;
  onerror(error: Error): void;
  stdin?: Readable;
  stdout?: Writable;
}

/** The id the replayed initialize carries; its answer (already sent by the front) is dropped. */
export const replayId = "idlink-mcp:replayed-initialize";

/** Past this many bytes without a newline, the SDK reads the rest (it enforces its own limit). */
const maxLine = 1024 * 1024;

const clientInfoKeys = new Set(["name", "version", "title", "description", "websiteUrl"]);

/**
 * The stdio front: newline-delimited JSON-RPC (the MCP stdio transport), answering from the generated catalog
 * what needs no tool code — the 2025-era `initialize` (versions negotiated as the SDK does), `notifications/initialized`,
 * `ping`, `tools/list` and the lists a tools-only server refuses — so a host sees the tools before zod, core's
 * client, openapi-fetch or the MCP SDK are evaluated. The first message it does not answer exactly as the SDK would
 * (a tool call, a 2026-07-28 request, anything unusual) hands the connection to the SDK server, loaded then:
 * the handshake is replayed into it with its answer dropped, and every unanswered byte is put back on stdin.
 */
export function serveFront(options: FrontOptions): void {
  const { catalog, selection, load, onerror } = options;
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const tools = (catalog.toolsList.result as { tools: ListedTool[] }).tools.filter((t) =>
    isSelected(t.name, t.annotations.readOnlyHint === true, selection),
  );
  let initialize: Message | undefined;
  let initialized = false;
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
    if (method === "initialize" && id !== undefined && initialize === undefined) {
      if (!isHandshake(params)) return false;
      const requested = params.protocolVersion as string;
      const { echoed, fallback } = catalog.protocolVersions;
      initialize = message;
      write(catalog.initialize, id, { protocolVersion: echoed.includes(requested) ? requested : fallback });
      return true;
    }
    // Everything else only within a session the front opened, and only without parameters.
    if (initialize === undefined || (params !== undefined && Object.keys(params).length > 0)) return false;
    if (method === "notifications/initialized" && id === undefined && !initialized) {
      initialized = true;
      return true;
    }
    if (id === undefined) return false;
    if (method === "tools/list") {
      write(catalog.toolsList, id, { tools });
      return true;
    }
    const template = catalog.answers[method];
    if (template === undefined) return false;
    write(template, id);
    return true;
  };

  const handOver = () => {
    stdin.off("data", onData);
    stdin.pause();
    if (buffer.length > 0) stdin.unshift(buffer);
    buffer = Buffer.alloc(0);
    const replay: Message[] = [];
    if (initialize) {
      replay.push({ ...initialize, id: replayId });
      if (initialized) replay.push({ jsonrpc: "2.0", method: "notifications/initialized" });
    }
    load({ stdin, stdout, replay, hidden: new Set(initialize ? [replayId] : []) }).catch((error: unknown) => {
      onerror(error instanceof Error ? error : new Error(String(error)));
      stdin.destroy();
    });
  };

  const onData = (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf("\n");
      if (end === -1) {
        if (buffer.length > maxLine) handOver();
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
  const { capabilities, clientInfo } = params;
  return (
    Object.keys(params).every((key) => ["protocolVersion", "capabilities", "clientInfo"].includes(key)) &&
    isRecord(capabilities) &&
    Object.values(capabilities).every(isRecord) &&
    isRecord(clientInfo) &&
    typeof clientInfo.name === "string" &&
    typeof clientInfo.version === "string" &&
    Object.entries(clientInfo).every(([key, value]) => clientInfoKeys.has(key) && typeof value === "string")
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
