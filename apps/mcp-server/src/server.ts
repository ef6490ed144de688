import type { Issue, ManagementClient } from "@idlink/core";
import { McpServer, requireScopes } from "@modelcontextprotocol/server";
import pkg from "../package.json" with { type: "json" };
import { callerOf, scopeOf } from "./caller.ts";
import { type Confirmations, createConfirmations, forSubject } from "./confirmations.ts";
import type { ToolDeps } from "./deps.ts";
import { listed } from "./listing.ts";
import { guarded, invalidArguments } from "./results.ts";
import { isSelected, type ToolSelection } from "./selection.ts";
import type { ToolDefinition } from "./tool.ts";
import { type ToolName, tools } from "./tools/index.ts";

export interface ServerOptions extends ToolSelection {
  tools?: readonly ToolName[];
}

export interface ServerDeps {
  /** The Management client; prepare preflights its own token. */
  client: ManagementClient;
  /** Give one store to every instance of a process: the HTTP entry builds an instance per request. */
  confirmations?: Confirmations;
  options?: ServerOptions;
}

const instructions =
  "idlink links Auth0 accounts (a secondary login joins a primary user) and unlinks them. " +
  "Link only accounts one person owns: look them up (get_user_identities, find_link_candidates), " +
  "then preview_link or preview_unlink, then link_accounts or unlink_identity, which ask the user to confirm. " +
  "In results, an account is {user_id, email, email_verified, identities} and an identity " +
  "{id: provider|user_id, provider, connection}.";

/**
 * The cache hints of the 2026-07-28 results the SDK builds (modelcontextprotocol/modelcontextprotocol@b0f60ba
 * docs/specification/2026-07-28/server/utilities/caching.mdx). tools/list and server/discover change only with the
 * process's own options (--read-only, --tools), never while it runs, and hold nothing of a user or a tenant: fresh for
 * an hour (server/discover.mdx's example), and `public`, which the caching page names for "lists of tools … when they
 * are identical for all users". The SDK's default is `ttlMs: 0`, `private`: re-fetch every time.
 */
const hour = { ttlMs: 60 * 60 * 1000, cacheScope: "public" } as const;

/** Creates the idlink MCP server with the tools the options select. */
export function createServer({ client, confirmations, options = {} }: ServerDeps): McpServer {
  const server = new McpServer(
    { name: "idlink-mcp", title: "idlink — Auth0 account linking", version: pkg.version },
    {
      capabilities: { tools: {} },
      instructions,
      cacheHints: { "tools/list": hour, "server/discover": hour },
    },
  );
  const deps: ToolDeps = {
    server,
    client,
    confirmations: confirmations ?? createConfirmations(),
    readOnly: options.readOnly === true,
  };
  const strays = watchRawArguments(server);
  const all: readonly ToolDefinition<ToolName>[] = tools;
  for (const tool of all) {
    if (!isSelected(tool.name, tool.annotations.readOnlyHint, options)) continue;
    const declared = new Set(Object.keys(tool.inputSchema.shape));
    const { name, title, description, inputSchema, outputSchema, annotations } = tool;
    server.registerTool(
      name,
      {
        title,
        description,
        inputSchema: listed(inputSchema, "input"),
        outputSchema: listed(outputSchema, "output"),
        annotations,
        // Over OAuth, a call whose token lacks the tool's scope is the SDK's 403 insufficient_scope, before any
        // handler runs (src/caller.ts); without a verified token (stdio, the static bearer) nothing is checked.
        scopeChallenge: requireScopes(scopeOf(tool)),
      },
      (args: unknown, ctx) =>
        guarded(async () => {
          const notDeclared = (key: string): Issue => ({
            path: key,
            message: `not an argument of ${name} — its arguments are: ${[...declared].join(", ")}`,
          });
          const undeclared = strays.take(ctx.mcpReq.id).filter((key) => !declared.has(key));
          if (undeclared.length > 0) return invalidArguments(name, undeclared.map(notDeclared));
          // The SDK leaves the arguments to this parse (src/listing.ts), so that its refusal is worded as ours are.
          const parsed = inputSchema.safeParse(args);
          if (!parsed.success) {
            const issues = parsed.error.issues.flatMap((issue): Issue[] =>
              issue.code === "unrecognized_keys"
                ? issue.keys.map(notDeclared)
                : [{ path: issue.path.map(String).join("."), message: issue.message }],
            );
            return invalidArguments(name, issues);
          }
          // A confirmation is bound to the user who asked for it (src/confirmations.ts, forSubject).
          const caller = { ...deps, confirmations: forSubject(deps.confirmations, callerOf(ctx)) };
          return tool.handler(parsed.data, caller, ctx);
        }),
    );
  }
  return server;
}

/** The tools a set of options registers, in a stable order. */
export function enabledTools(options: ServerOptions = {}): ToolName[] {
  return tools.filter((t) => isSelected(t.name, t.annotations.readOnlyHint, options)).map((t) => t.name);
}

/**
 * The SDK parses a call's arguments into a fresh object, where an own `__proto__` key becomes the object's prototype
 * and vanishes — so no schema can refuse it. The raw request is looked at first, on the one path every transport
 * takes into the protocol (`_onrequest`), and the names of the arguments that the parse would drop are kept for the
 * tool call to refuse like any undeclared argument.
 */
function watchRawArguments(server: McpServer): { take(id: string | number): string[] } {
  const dropped = new Map<string | number, string[]>();
  const protocol: unknown = server.server;
  if (isRecord(protocol) && typeof protocol._onrequest === "function") {
    const inner: (request: unknown, extra: unknown) => unknown = protocol._onrequest.bind(protocol);
    protocol._onrequest = (request: unknown, extra: unknown) => {
      if (isRecord(request) && request.method === "tools/call" && isRecord(request.params)) {
        const args = request.params.arguments;
        const id = request.id;
        if (
          isRecord(args) &&
          Object.hasOwn(args, "__proto__") &&
          (typeof id === "string" || typeof id === "number")
        ) {
          dropped.set(id, ["__proto__"]);
        }
      }
      return inner(request, extra);
    };
  }
  return {
    take(id) {
      const keys = dropped.get(id) ?? [];
      dropped.delete(id);
      return keys;
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
