import type { ServerContext } from "@modelcontextprotocol/server";

/**
 * The OAuth scopes of idlink-mcp over HTTP, as the tenant's API for this server defines them (the emulator's
 * `idlinkMcpApi`, `packages/emulator/src/seed.ts`): `read:identities` for every read-only tool, `link:identities` for
 * the two writes. Named `action:resource`, so Auth0's consent prompt groups them ("Identities: read and link").
 */
export const scopes = { read: "read:identities", link: "link:identities" } as const;

export type Scope = (typeof scopes)[keyof typeof scopes];

/** The scope a tool needs, from the tool's own `readOnlyHint` (no second list of tool names). */
export function scopeOf(tool: { annotations: { readOnlyHint: boolean } }): Scope {
  return tool.annotations.readOnlyHint ? scopes.read : scopes.link;
}

/**
 * Who is calling: the `sub` of the caller's verified access token (src/http-auth.ts puts it in `authInfo.extra`),
 * or undefined on stdio and with the static bearer, where the process's owner is the only caller.
 */
export function callerOf(ctx: Pick<ServerContext, "http">): string | undefined {
  const sub = ctx.http?.authInfo?.extra?.sub;
  return typeof sub === "string" ? sub : undefined;
}
