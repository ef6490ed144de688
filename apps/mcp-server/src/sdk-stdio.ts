import type { DebugSink } from "@idlink/core";
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/server";
import { StdioServerTransport, serveStdio } from "@modelcontextprotocol/server/stdio";
import { createFactory } from "./app.ts";
import type { Config } from "./env.ts";
import type { Handover } from "./front.ts";

/**
 * The SDK server over stdio, taking the connection from the front (src/front.ts): loaded on the first message the
 * front does not answer. The SDK reads stdin from there on (the front put back what it had not answered); the
 * handshake the front answered is delivered first, and the SDK's answer to it is not written again.
 */
export function serveSdkStdio(
  config: Config,
  handover: Handover,
  onerror: (error: Error) => void,
  onEvent?: DebugSink,
): void {
  const wire = new StdioServerTransport(handover.stdin, handover.stdout);
  serveStdio(createFactory(config, onEvent), { transport: new Replaying(wire, handover, onerror), onerror });
}

/** The SDK's stdio transport, with the front's handshake delivered before stdin and its answer dropped. */
class Replaying implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  readonly #hidden: Set<string | number>;

  constructor(
    private readonly wire: StdioServerTransport,
    private readonly handover: Handover,
    private readonly report: (error: Error) => void,
  ) {
    this.#hidden = new Set(handover.hidden);
  }

  async start(): Promise<void> {
    this.wire.onmessage = (message: JSONRPCMessage) => this.onmessage?.(message);
    this.wire.onerror = (error) => this.onerror?.(error);
    this.wire.onclose = () => this.onclose?.();
    for (const message of this.handover.replay) this.onmessage?.(message as JSONRPCMessage);
    await this.wire.start();
    // The front paused stdin when it handed over; the SDK's listener is attached now.
    this.handover.stdin.resume();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (
      !("method" in message) &&
      "id" in message &&
      message.id !== undefined &&
      this.#hidden.delete(message.id)
    ) {
      if ("error" in message)
        this.report(new Error(`the replayed handshake failed: ${message.error.message}`));
      return;
    }
    return this.wire.send(message);
  }

  close(): Promise<void> {
    return this.wire.close();
  }
}
