import { decodeUnverified } from "../auth/tokens.ts";
import type { Issue } from "../present/errors.ts";

/** What a run of `idlink action …` will do: read only (`status`, a dry run), or change the tenant. */
export type ActionCommand = "status" | "deploy" | "rollback" | "remove";

/** One need of a command: any of `scopes` will do, and `why` says what it is for. */
interface ScopeNeed {
  scopes: readonly string[];
  why: string;
}

// The scopes of Auth0's definition of each operation (openapi/reference): read:actions to list and read Actions,
// versions, triggers and bindings; create:actions to create an Action and to deploy it; update:actions to update a
// draft and the bindings; delete:actions to delete. Auth0's scope list also has read:triggers and update:triggers,
// which the bindings take too (modelled): a token with either passes, one with neither is told both.
const read: ScopeNeed = { scopes: ["read:actions"], why: "to find the Action and read its versions" };
const readBindings: ScopeNeed = {
  scopes: ["read:actions", "read:triggers"],
  why: "to read the post-login bindings",
};
const needs: Record<ActionCommand, readonly ScopeNeed[]> = {
  status: [read, readBindings],
  deploy: [
    read,
    readBindings,
    { scopes: ["create:actions"], why: "to create the Action and deploy its versions" },
    { scopes: ["update:actions"], why: "to update the Action's code and secrets" },
    { scopes: ["update:actions", "update:triggers"], why: "to bind it to post-login" },
  ],
  rollback: [
    read,
    { scopes: ["update:actions"], why: "to put the earlier code back in the draft" },
    { scopes: ["create:actions"], why: "to deploy it" },
  ],
  remove: [
    read,
    readBindings,
    { scopes: ["update:actions", "update:triggers"], why: "to unbind it from post-login" },
    { scopes: ["delete:actions"], why: "to delete it" },
  ],
};

/** The scopes a command needs, for documentation and messages: each entry lists the scopes any of which will do. */
export function actionScopes(command: ActionCommand): string[][] {
  return needs[command].map((need) => [...need.scopes]);
}

/**
 * Decodes (does not verify) the Management token and names every scope the command needs that it lacks, and an
 * expired or opaque token — before anything is sent. A dry run of deploy, rollback or remove needs only `status`'s.
 */
export function preflightActions(input: { token: string; command: ActionCommand; now?: Date }): Issue[] {
  const claims = decodeUnverified(input.token)?.claims;
  if (!claims) {
    return [
      {
        path: "token",
        message:
          "the access token is not a JWT — use a Management API token (a machine-to-machine application's, or the dashboard's API Explorer token)",
      },
    ];
  }
  const issues: Issue[] = [];
  const now = (input.now ?? new Date()).getTime() / 1000;
  if (claims.exp !== undefined && claims.exp <= now) {
    issues.push({
      path: "token",
      message: `the access token expired at ${new Date(claims.exp * 1000).toISOString()} — get a new one`,
    });
  }
  const held = new Set(claims.scope?.split(" ").filter(Boolean) ?? []);
  const missing = new Map<string, string[]>();
  for (const need of needs[input.command]) {
    if (need.scopes.some((scope) => held.has(scope))) continue;
    // A need that one scope already named would meet is told under that scope (update:actions binds too).
    const key = need.scopes.find((scope) => missing.has(scope)) ?? need.scopes.join(" or ");
    missing.set(key, [...(missing.get(key) ?? []), need.why]);
  }
  for (const [scopes, whys] of missing) {
    issues.push({
      path: "token",
      message: `the token lacks ${scopes}, needed ${whys.join(" and ")} — grant it to the application (Auth0 dashboard: APIs → Auth0 Management API → Machine to Machine Applications), then get a new token`,
    });
  }
  return issues;
}
