import type { ManagementClient } from "@idlink/core";
import { McpServer } from "@modelcontextprotocol/server";
import pkg from "../package.json" with { type: "json" };
import { type Confirmations, createConfirmations } from "./confirmations.ts";
import { registerFindDuplicateAccounts } from "./tools/find-duplicate-accounts.ts";
import { registerFindLinkCandidates } from "./tools/find-link-candidates.ts";
import { registerGetUserIdentities } from "./tools/get-user-identities.ts";
import { registerLinkAccounts } from "./tools/link-accounts.ts";
import { registerPreviewLink } from "./tools/preview-link.ts";
import { registerUnlinkIdentity } from "./tools/unlink-identity.ts";

export const toolNames = [
  "get_user_identities",
  "find_link_candidates",
  "find_duplicate_accounts",
  "preview_link",
  "link_accounts",
  "unlink_identity",
] as const;
export type ToolName = (typeof toolNames)[number];
export const readOnlyToolNames: readonly ToolName[] = [
  "get_user_identities",
  "find_link_candidates",
  "find_duplicate_accounts",
  "preview_link",
];

export interface ServerOptions {
  /** Register only the tools that change nothing (and let preview_link issue no confirmation tokens). */
  readOnly?: boolean;
  /** Register only these tools (intersected with the read-only set in read-only mode). */
  tools?: readonly ToolName[];
}

export interface ServerDeps {
  client: ManagementClient;
  /** The Management token the client sends, for preflight checks (missing scopes, link_with's audience). */
  getToken?: () => string | Promise<string>;
  /** Give one store to every instance of a process: the HTTP entry builds an instance per request. */
  confirmations?: Confirmations;
  options?: ServerOptions;
}

/** What every tool registration receives. */
export interface ToolDeps {
  server: McpServer;
  client: ManagementClient;
  getToken: (() => string | Promise<string>) | undefined;
  confirmations: Confirmations;
  readOnly: boolean;
}

const registrations: Record<ToolName, (deps: ToolDeps) => void> = {
  get_user_identities: registerGetUserIdentities,
  find_link_candidates: registerFindLinkCandidates,
  find_duplicate_accounts: registerFindDuplicateAccounts,
  preview_link: registerPreviewLink,
  link_accounts: registerLinkAccounts,
  unlink_identity: registerUnlinkIdentity,
};

const instructions =
  "idlink links Auth0 accounts (a secondary login joins a primary user) and unlinks them. " +
  "Link only accounts one person owns: look them up (get_user_identities, find_link_candidates), " +
  "then preview_link, then link_accounts or unlink_identity, which ask the user to confirm.";

/** Creates the idlink MCP server with the tools the options select. */
export function createServer({ client, getToken, confirmations, options = {} }: ServerDeps): McpServer {
  const server = new McpServer(
    { name: "idlink-mcp", title: "idlink — Auth0 account linking", version: pkg.version },
    { capabilities: { tools: {} }, instructions },
  );
  const deps: ToolDeps = {
    server,
    client,
    getToken,
    confirmations: confirmations ?? createConfirmations(),
    readOnly: options.readOnly === true,
  };
  for (const name of enabledTools(options)) registrations[name](deps);
  return server;
}

/** The tools a set of options registers, in a stable order. */
export function enabledTools(options: ServerOptions = {}): ToolName[] {
  return toolNames.filter(
    (name) =>
      (options.tools === undefined || options.tools.includes(name)) &&
      (options.readOnly !== true || readOnlyToolNames.includes(name)),
  );
}
