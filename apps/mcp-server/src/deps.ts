import type { ManagementClient } from "@idlink/core";
import type { McpServer } from "@modelcontextprotocol/server";
import type { Confirmations } from "./confirmations.ts";

/** What every tool's handler receives besides its arguments. */
export interface ToolDeps {
  server: McpServer;
  /** The Management client; its own token is what prepare preflights. */
  client: ManagementClient;
  confirmations: Confirmations;
  readOnly: boolean;
}
