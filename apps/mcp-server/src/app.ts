import { createManagementClient } from "@idlink/core";
import type { McpServerFactory } from "@modelcontextprotocol/server";
import pkg from "../package.json" with { type: "json" };
import { createConfirmations } from "./confirmations.ts";
import type { Config } from "./env.ts";
import { createServer } from "./server.ts";

/** Wires a configuration into a server factory: one Management client and one confirmation store per process. */
export function createFactory(config: Config): McpServerFactory {
  const { credentials, domain } = config;
  const client = createManagementClient({
    domain,
    ...("token" in credentials
      ? { token: credentials.token }
      : { clientCredentials: credentials.clientCredentials }),
    userAgent: `idlink-mcp/${pkg.version}`,
  });
  const confirmations = createConfirmations();
  const options = { readOnly: config.readOnly, ...(config.tools ? { tools: config.tools } : {}) };
  return () => createServer({ client, confirmations, options });
}
