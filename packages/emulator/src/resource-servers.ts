import { z } from "zod";

const scopeValue = z
  .string()
  .regex(/^[\x21-\x7e]+$/, "must be one word of printable ASCII (e.g. read:identities)");

/**
 * An API (Auth0's resource server), in the fields of Auth0's `POST /api/v2/resource-servers` that the emulator
 * models, plus two emulator shorthands for what Auth0 keeps elsewhere: `third_party_scopes` (a client grant
 * `{default_for: "third_party_clients", subject_type: "user", audience: identifier, scope}`, the default permissions
 * of third-party applications) and `user_permissions` (`POST /api/v2/users/{id}/permissions` on this API).
 */
export const ResourceServerSchema = z.object({
  identifier: z.string(),
  name: z.string().min(1).optional(),
  scopes: z.array(z.object({ value: scopeValue, description: z.string().optional() })).default([]),
  /** RBAC: a user's token carries only the requested scopes the user holds as permissions. */
  enforce_policies: z.boolean().default(false),
  /** `access_token_authz` adds the user's permissions on this API as a `permissions` claim. */
  token_dialect: z.enum(["access_token", "access_token_authz"]).default("access_token"),
  /** Seconds; Auth0's default "Token Expiration" of an API is 86400. */
  token_lifetime: z.number().int().positive().default(86_400),
  /** Refresh tokens (`offline_access`) only for APIs that allow them, as Auth0's "Allow Offline Access". */
  allow_offline_access: z.boolean().default(false),
  third_party_scopes: z.array(z.string()).optional(),
  /** User id → permission names on this API. */
  user_permissions: z.record(z.string(), z.array(z.string())).default({}),
});

export type ResourceServerInput = z.input<typeof ResourceServerSchema>;
export type ResourceServer = z.output<typeof ResourceServerSchema>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; issues: string[] };

/** Whether `value` can be RFC 8707's `resource`: an absolute URI without a fragment. */
function absoluteUri(value: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(value) || value.includes("#") || /\s/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates an API to add to the tenant: each issue names the field and what to give instead. `context` says what
 * the identifier may not be and which users exist.
 */
export function parseResourceServer(
  value: unknown,
  context: {
    managementAudience: string;
    taken: (identifier: string) => boolean;
    userExists: (id: string) => boolean;
  },
): ParseResult<ResourceServer> {
  const result = ResourceServerSchema.safeParse(value);
  if (!result.success) {
    return {
      ok: false,
      issues: result.error.issues.map((issue) => `${issue.path.join(".") || "(the API)"}: ${issue.message}`),
    };
  }
  const api = result.data;
  const issues: string[] = [];
  if (!absoluteUri(api.identifier)) {
    issues.push(
      `identifier "${api.identifier}": not an absolute URI without a fragment — give the MCP server's URL (e.g. http://127.0.0.1:3000/mcp), which MCP clients send as RFC 8707's resource`,
    );
  } else if (api.identifier === context.managementAudience) {
    issues.push(`identifier "${api.identifier}": is the Management API's — give your own API's URL`);
  } else if (context.taken(api.identifier)) {
    issues.push(`identifier "${api.identifier}": an API with this identifier exists already — give another`);
  }
  const defined = new Set(api.scopes.map((scope) => scope.value));
  const undefinedScopes = (field: string, scopes: string[]) => {
    const unknown = scopes.filter((scope) => !defined.has(scope));
    if (unknown.length > 0) {
      issues.push(
        `${field}: ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not among the API's scopes — add ${unknown.length === 1 ? "it" : "them"} to scopes`,
      );
    }
  };
  undefinedScopes("third_party_scopes", api.third_party_scopes ?? []);
  for (const [userId, permissions] of Object.entries(api.user_permissions)) {
    if (!context.userExists(userId)) {
      issues.push(`user_permissions.${userId}: no user has this id — give a user of the tenant`);
    }
    undefinedScopes(`user_permissions.${userId}`, permissions);
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: api };
}

/** The APIs of the tenant and the consents users gave third-party applications for them (Auth0's user grants). */
export class ResourceServers {
  private servers = new Map<string, ResourceServer>();
  private consents = new Map<string, Set<string>>();

  reset(): void {
    this.servers.clear();
    this.consents.clear();
  }

  add(api: ResourceServer): void {
    this.servers.set(api.identifier, api);
  }

  get(identifier: string | undefined): ResourceServer | undefined {
    return identifier === undefined ? undefined : this.servers.get(identifier);
  }

  /** Whether the user has consented to all of `scopes` for this client and API. */
  consented(userId: string, clientId: string, audience: string, scopes: readonly string[]): boolean {
    const given = this.consents.get(consentKey(userId, clientId, audience));
    return given !== undefined && scopes.every((scope) => given.has(scope));
  }

  /** Records consent; a later consent adds to the earlier one, as a user grant's scopes grow. */
  recordConsent(userId: string, clientId: string, audience: string, scopes: readonly string[]): void {
    const key = consentKey(userId, clientId, audience);
    this.consents.set(key, new Set([...(this.consents.get(key) ?? []), ...scopes]));
  }
}

const consentKey = (userId: string, clientId: string, audience: string) =>
  JSON.stringify([userId, clientId, audience]);

/**
 * An API's scopes a sign-in may get: those a third-party client is granted by default (Auth0: "Third-party
 * applications always require a client grant", security-controls.mdx), and with RBAC only those the user holds
 * ("the `scope` claim ... includes an intersection of the requested permissions and the permissions assigned to the
 * user", enable-role-based-access-control-for-apis.mdx). `offline_access` when the API allows it.
 */
export function apiScopes(api: ResourceServer, options: { thirdParty: boolean; userId: string }): string[] {
  let scopes = api.scopes.map((scope) => scope.value);
  if (options.thirdParty) scopes = scopes.filter((scope) => api.third_party_scopes?.includes(scope));
  if (api.enforce_policies) {
    const held = api.user_permissions[options.userId] ?? [];
    scopes = scopes.filter((scope) => held.includes(scope));
  }
  return api.allow_offline_access ? [...scopes, "offline_access"] : scopes;
}
