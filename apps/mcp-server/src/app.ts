import { createManagementClient, type DebugSink } from "@idlink/core";
import { tokenOptions } from "@idlink/core/node";
import type { McpServerFactory } from "@modelcontextprotocol/server";
import pkg from "../package.json" with { type: "json" };
import { createConfirmations } from "./confirmations.ts";
import type { Config } from "./env.ts";
import { createServer } from "./server.ts";

/**
 * Wires a configuration into a server factory: one Management client and one confirmation store per process.
 * `onEvent` receives the client's debug trail (main.ts sends it to stderr when IDLINK_DEBUG is on).
 */
export function createFactory(config: Config, onEvent?: DebugSink): McpServerFactory {
  const { credentials, domain } = config;
  const client = createManagementClient({
    domain,
    ...tokenOptions(credentials),
    userAgent: `idlink-mcp/${pkg.version}`,
    ...(onEvent ? { onEvent } : {}),
  });
  const confirmations = createConfirmations();
  const options = { readOnly: config.readOnly, ...(config.tools ? { tools: config.tools } : {}) };
  return () => createServer({ client, confirmations, options });
}
