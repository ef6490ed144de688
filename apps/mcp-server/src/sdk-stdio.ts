import type { DebugSink } from "@idlink/core";
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type McpServerFactory,
  PROTOCOL_VERSION_META_KEY,
  ProtocolErrorCode,
  ReadBuffer,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
  serializeMessage,
  type Transport,
} from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { createFactory } from "./app.ts";
import type { Config } from "./env.ts";
import type { Handover } from "./front.ts";

/**
 * The SDK server over stdio, taking the connection from the front (src/front.ts): loaded on the first message the
 * front does not answer. It reads stdin from there on (the front put back what it had not answered); the request
 * the front set the era with is delivered first, and the SDK's answer to it is not written again. When stdin ends,
 * every request read is answered before the connection closes.
 */
export function serveSdkStdio(
  config: Config,
  handover: Handover,
  onerror: (error: Error) => void,
  onEvent?: DebugSink,
): void {
  serveStdio(refusingModernRequests(createFactory(config, onEvent)), {
    transport: new StdioWire(handover, onerror),
    onerror,
  });
}

/**
 * Newline-delimited JSON-RPC on the streams the front handed over, framed by the SDK's own `ReadBuffer` as its
 * `StdioServerTransport` frames it, with two differences. The front's replayed request comes first, its answer
 * dropped. And stdin's end closes the connection only once every request read has been answered: the SDK's transport
 * closes at once and "requests still in flight when stdin ends are aborted and not answered" (its doc comment,
 * @modelcontextprotocol/server 2.4.0 dist/stdio.mjs), so a client that writes its requests and closes its input (a
 * script, a pipe) got no answer to any the SDK had to load for. The stdio binding asks a server to exit promptly at
 * end of input (modelcontextprotocol/modelcontextprotocol@b0f60ba
 * docs/specification/2026-07-28/basic/transports/stdio.mdx, "Shutdown"): it exits as soon as the last answer is
 * written.
 */
class StdioWire implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  readonly #buffer = new ReadBuffer();
  readonly #hidden: Set<RequestId>;
  /** Requests read (or replayed) and not answered yet; a `notifications/cancelled` settles one unanswered. */
  readonly #unanswered = new Set<RequestId>();
  /** Requests this server sent the client (a 2025-era elicitation) that it has not answered yet. */
  readonly #asked = new Set<RequestId>();
  #ended = false;
  #closed = false;

  constructor(
    private readonly handover: Handover,
    private readonly report: (error: Error) => void,
  ) {
    this.#hidden = new Set(handover.hidden);
  }

  async start(): Promise<void> {
    // Framed as if read from stdin: the replay also walks the path the client's own messages take (the SDK's
    // JSON-RPC message schema is built and compiled on its first parse), before they come.
    for (const message of this.handover.replay)
      this.#onData(Buffer.from(serializeMessage(message as JSONRPCMessage)));
    const { stdin } = this.handover;
    stdin.on("data", this.#onData);
    stdin.on("error", this.#onError);
    stdin.on("end", this.#onEnd);
    stdin.on("close", this.#onEnd);
    // The front paused stdin when it handed over; this listener reads it now.
    stdin.resume();
    if (stdin.readableEnded || stdin.destroyed) setImmediate(this.#onEnd);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const answered =
      isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message) ? message.id : undefined;
    if (answered !== undefined && this.#hidden.delete(answered)) {
      if ("error" in message) this.report(new Error(`the replayed request failed: ${message.error.message}`));
      this.#settle(answered);
      return;
    }
    if (isJSONRPCRequest(message)) {
      if (this.#ended) {
        // Nobody is left to answer it: fail it at once, so the call waiting on it finishes and is answered.
        queueMicrotask(() => this.#receive(unanswerable(message.id)));
        return;
      }
      this.#asked.add(message.id);
    }
    if (this.#closed) throw new Error("the stdio connection is closed");
    this.handover.stdout.write(serializeMessage(message));
    if (answered !== undefined) this.#settle(answered);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { stdin } = this.handover;
    stdin.off("data", this.#onData);
    stdin.off("error", this.#onError);
    stdin.off("end", this.#onEnd);
    stdin.off("close", this.#onEnd);
    stdin.pause();
    this.onclose?.();
  }

  #receive(message: JSONRPCMessage): void {
    if (isJSONRPCRequest(message)) this.#unanswered.add(message.id);
    else if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      if (message.id !== undefined) this.#asked.delete(message.id);
    }
    this.onmessage?.(message);
    if (isJSONRPCNotification(message) && message.method === "notifications/cancelled") {
      // A cancelled request gets no answer (basic/patterns/cancellation).
      const cancelled = message.params?.requestId;
      if (typeof cancelled === "string" || typeof cancelled === "number") this.#settle(cancelled);
    }
  }

  #settle(id: RequestId): void {
    this.#unanswered.delete(id);
    if (this.#ended && this.#unanswered.size === 0) void this.close();
  }

  readonly #onData = (chunk: Buffer) => {
    try {
      this.#buffer.append(chunk);
    } catch (error) {
      // Past the SDK's line limit: the connection ends, as the SDK's transport ends it.
      this.onerror?.(toError(error));
      void this.close();
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.#buffer.readMessage();
      } catch (error) {
        // A line that is JSON but no JSON-RPC message: reported and skipped, as the SDK's transport does.
        this.onerror?.(toError(error));
        continue;
      }
      if (message === null) return;
      this.#receive(message);
    }
  };

  readonly #onError = (error: Error) => this.onerror?.(error);

  readonly #onEnd = () => {
    if (this.#ended || this.#closed) return;
    this.#ended = true;
    for (const id of [...this.#asked]) this.#receive(unanswerable(id));
    if (this.#unanswered.size === 0) void this.close();
  };
}

/** The answer a request to the client gets once stdin has ended: the client can no longer send one. */
function unanswerable(id: RequestId): JSONRPCMessage {
  return {
    jsonrpc: "2.0",
    id,
    error: {
      code: ProtocolErrorCode.InternalError,
      message: "The client closed its input (stdin) before answering this request",
    },
  };
}

/**
 * On stdio an `initialize` selects the 2025 protocol for the whole process
 * (modelcontextprotocol/modelcontextprotocol@b0f60ba docs/specification/2026-07-28/basic/versioning.mdx: "An
 * initialize request selects legacy semantics, scoped to the stdio process"). `serveStdio` pins such a connection to a 2025-era instance, which would serve a later 2026-07-28
 * request as a 2025 one, its `_meta` ignored and its answer without `resultType`. That request is refused instead with
 * the error the spec has for a version the server does not serve here, UnsupportedProtocolVersionError (-32022, same
 * page, "Protocol Version Negotiation"), naming the version this connection speaks — the mirror of `serveStdio`'s own
 * refusal of an `initialize` on a 2026-07-28 connection. Over HTTP every request is classified on its own, so a 2025
 * instance never sees one.
 */
function refusingModernRequests(factory: McpServerFactory): McpServerFactory {
  return async (context) => {
    const product = await factory(context);
    if (context.era !== "legacy") return product;
    const server = "server" in product ? product.server : product;
    const connect = product.connect.bind(product);
    product.connect = async (transport: Transport) => {
      await connect(transport);
      const deliver = transport.onmessage;
      transport.onmessage = (message, extra) => {
        const requested = isJSONRPCRequest(message) ? claimedVersion(message.params) : undefined;
        if (!isJSONRPCRequest(message) || requested === undefined) return deliver?.(message, extra);
        // Deprecated for per-request use only; on a 2025-era connection it is the version initialize negotiated.
        const spoken = server.getNegotiatedProtocolVersion();
        const supported = spoken ? [spoken] : [...SUPPORTED_PROTOCOL_VERSIONS];
        transport
          .send({
            jsonrpc: "2.0",
            id: message.id,
            error: {
              code: ProtocolErrorCode.UnsupportedProtocolVersion,
              message: `Unsupported protocol version: ${requested} on this connection, which opened as a 2025-era session (${supported.join(", ")}) for as long as the process runs — send requests here without _meta "${PROTOCOL_VERSION_META_KEY}", or start a new server process for ${requested} (and send it no initialize)`,
              data: { supported, requested },
            },
          })
          .catch((error: unknown) => transport.onerror?.(toError(error)));
      };
    };
    return product;
  };
}

/** The version a request's `_meta` claims (the 2026-07-28 envelope), whatever else it holds. */
function claimedVersion(params: unknown): string | undefined {
  const meta = isRecord(params) ? params._meta : undefined;
  if (!isRecord(meta) || !(PROTOCOL_VERSION_META_KEY in meta)) return undefined;
  return String(meta[PROTOCOL_VERSION_META_KEY]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
