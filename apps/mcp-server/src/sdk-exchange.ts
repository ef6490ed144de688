import {
  isJSONRPCRequest,
  type JSONRPCMessage,
  type McpServerFactory,
  serializeMessage,
  type Transport,
} from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";

/**
 * Sends these messages, in order, to a server from this factory exactly as the stdio entry serves it (`serveStdio`,
 * which picks the protocol era), and answers what it writes back, as JSON on the wire, once every request has its
 * answer. The catalog is generated with it, and the tests compare the stdio front's answers with it.
 */
export async function sdkExchange(
  factory: McpServerFactory,
  messages: readonly JSONRPCMessage[],
): Promise<JSONRPCMessage[]> {
  const written: JSONRPCMessage[] = [];
  const pending = new Set(messages.filter(isJSONRPCRequest).map((m) => m.id));
  let settle: () => void = () => {};
  const answered = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const wire: Transport = {
    async start() {},
    async close() {
      wire.onclose?.();
    },
    async send(message) {
      // As the wire carries it: no undefined fields, no symbol-keyed ones (the SDK's cache hint rides one).
      written.push(JSON.parse(serializeMessage(message)) as JSONRPCMessage);
      if ("id" in message && message.id !== undefined && !("method" in message)) pending.delete(message.id);
      if (pending.size === 0) settle();
    },
  };
  const handle = serveStdio(factory, { transport: wire });
  for (const message of messages) wire.onmessage?.(message);
  if (pending.size > 0) await answered;
  await handle.close();
  return written;
}
