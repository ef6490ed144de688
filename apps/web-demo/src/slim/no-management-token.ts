// Stands in for core's management-token.ts in the page's build (see vite.config.ts): a machine-to-machine
// application's Management token (client secret or Private Key JWT, signed with jose) is fetched on a server only
// (the CLI, the MCP server, the demo server). The page's tokens come from Auth0's SPA SDK, so none of that code, and
// no secret or private key, belongs in its JavaScript.
import type { ManagementTokenOptions } from "../../../../packages/core/src/management-token.ts";

export type {
  ClientAuthentication,
  ManagementTokenOptions,
} from "../../../../packages/core/src/management-token.ts";

export function getManagementToken(_options: ManagementTokenOptions): Promise<string> {
  throw new Error(
    "Management tokens are fetched by a server (CLI, MCP server, demo server), never by the page.",
  );
}
