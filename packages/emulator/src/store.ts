import type { UserSource } from "./generate.ts";
import { ResourceServers } from "./resource-servers.ts";
import { type Client, type Connection, type Identity, parseSeed, type Seed, type User } from "./seed.ts";
import { type ResolvedTenantSettings, resolveTenantSettings } from "./tenant-settings.ts";

// What Auth0 manages itself on a user: never part of an identity's profileData.
const managedKeys = new Set([
  "user_id",
  "identities",
  "user_metadata",
  "app_metadata",
  "created_at",
  "updated_at",
  "last_login",
  "last_ip",
  "logins_count",
  "blocked",
  "multifactor",
  "last_password_reset",
]);

const gravatar = /^https:\/\/(s|secure)\.gravatar\.com\/avatar\//;

/** Whether a database user's attribute is the default Auth0 derives from the email, not one it was given. */
function derivedFromEmail(user: User, key: string, value: unknown): boolean {
  const email = typeof user.email === "string" ? user.email : undefined;
  if (key === "name") return value === email;
  if (key === "nickname") return email !== undefined && value === email.split("@")[0];
  if (key === "picture") return typeof value === "string" && gravatar.test(value);
  return false;
}

const idpTokenKeys = ["access_token", "access_token_secret", "refresh_token"] as const;

/** What PATCH changes: root attributes (already checked) and metadata. */
export interface UserPatch {
  attributes: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
}

/**
 * A user's attributes as Auth0 keeps them under an identity's `profileData`: every profile attribute the identity
 * provider gave (a social or enterprise identity's raw profile, Auth0.Android's fixtures of linked Twitter and
 * Facebook identities), but for a database user only those it was given — the name, nickname and gravatar picture
 * Auth0 derives from the email are left out (observed: ruby-auth0's and go-auth0's recordings, auth0.net pull
 * request 131).
 */
export function profileOf(user: User): Record<string, unknown> {
  const database = user.identities[0]?.provider === "auth0";
  const profileData: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(user)) {
    if (managedKeys.has(key) || value === undefined) continue;
    if (database && derivedFromEmail(user, key, value)) continue;
    profileData[key] = value;
  }
  return profileData;
}

export const fullId = (identity: Pick<Identity, "provider" | "user_id">): string =>
  `${identity.provider}|${String(identity.user_id)}`;

/**
 * One inspectable tenant: connections, clients and users, with Auth0's link/unlink semantics. Users come from the
 * seed and, optionally, from a generated source; a generated user is copied into the store only when it changes.
 */
export class Store {
  private users = new Map<string, User>();
  /** Generated users that no longer exist (linked into another user). */
  private removed = new Set<string>();
  clients: Client[] = [];
  connections: Connection[] = [];
  /** APIs and users' consents to third-party applications; a reset forgets them with the clients registered since. */
  readonly resourceServers = new ResourceServers();
  /** Tenant settings (Dynamic Client Registration, the resource parameter profile, CIMD); a reset keeps them. */
  settings: ResolvedTenantSettings = resolveTenantSettings();

  constructor(
    seed: Seed,
    private readonly generated?: UserSource,
  ) {
    this.reset(seed);
  }

  reset(seed: Seed): void {
    const parsed = parseSeed(structuredClone(seed));
    this.clients = parsed.clients;
    const known = new Set(parsed.connections.map((c) => c.id));
    this.connections = [
      ...parsed.connections,
      ...(this.generated?.connections ?? []).filter((c) => !known.has(c.id)),
    ];
    this.users = new Map(parsed.users.map((user) => [user.user_id, user]));
    this.removed = new Set();
    this.resourceServers.reset();
  }

  /** The live user (not a copy): stored, or generated and not removed. */
  private find(id: string): User | undefined {
    const stored = this.users.get(id);
    if (stored || !this.generated || this.removed.has(id)) return stored;
    return this.generated.get(id);
  }

  /** The live user, copied into the store first when it is generated, so a change sticks. */
  private mutable(id: string): User | undefined {
    const user = this.find(id);
    if (user && !this.users.has(id)) this.users.set(id, user);
    return user;
  }

  /** Number of users in the tenant. */
  get size(): number {
    let generated = 0;
    if (this.generated) {
      generated = this.generated.size - this.removed.size;
      for (const id of this.users.keys()) if (this.generated.get(id)) generated--;
    }
    return this.users.size + generated;
  }

  /** Every user, live objects (callers must not change them): stored ones first, then generated ones. */
  *iterate(): Generator<User> {
    yield* this.users.values();
    const source = this.generated;
    if (!source) return;
    for (let i = 0; i < source.size; i++) {
      const user = source.at(i);
      if (!this.users.has(user.user_id) && !this.removed.has(user.user_id)) yield user;
    }
  }

  getUser(id: string): User | undefined {
    const user = this.find(id);
    return user && structuredClone(user);
  }

  listUsers(): User[] {
    return [...this.iterate()].map((user) => structuredClone(user));
  }

  usersByEmail(email: string): User[] {
    const found: User[] = [];
    for (const user of this.iterate()) if (user.email === email) found.push(structuredClone(user));
    return found;
  }

  /** The primary holding `id` as a linked (non-main) identity. */
  linkedOwner(id: string): User | undefined {
    for (const user of this.iterate()) {
      if (user.identities.slice(1).some((identity) => fullId(identity) === id)) return structuredClone(user);
    }
    return undefined;
  }

  /** Moves the secondary and every identity it holds into the primary; the secondary's metadata is discarded. */
  link(primaryId: string, secondaryId: string): Identity[] {
    const primary = this.mutable(primaryId);
    const secondary = this.find(secondaryId);
    if (!primary || !secondary) throw new Error(`link: unknown user ${primary ? secondaryId : primaryId}`);
    const [main, ...others] = secondary.identities;
    if (!main) throw new Error(`link: ${secondaryId} has no identity`);
    primary.identities.push({ ...main, profileData: profileOf(secondary) }, ...others);
    primary.updated_at = new Date().toISOString();
    this.users.delete(secondaryId);
    if (this.generated?.get(secondaryId)) this.removed.add(secondaryId);
    return structuredClone(primary.identities);
  }

  /** Removes a linked identity and recreates it as a standalone user with no metadata. */
  unlink(primaryId: string, provider: string, userId: string): Identity[] {
    const primary = this.mutable(primaryId);
    if (!primary) return [];
    const index = primary.identities.findIndex(
      (identity, i) => i > 0 && identity.provider === provider && String(identity.user_id) === userId,
    );
    const removed = primary.identities[index];
    if (index < 1 || !removed) return structuredClone(primary.identities);
    primary.identities.splice(index, 1);
    const now = new Date().toISOString();
    primary.updated_at = now;
    const { profileData, ...identity } = removed;
    // A database user gets its derived name and nickname back (modelled: no recording reads one after unlink).
    const email = typeof profileData?.email === "string" ? profileData.email : undefined;
    const derived =
      identity.provider === "auth0" && email !== undefined
        ? { name: email, nickname: email.split("@")[0] }
        : {};
    const standalone: User = {
      ...derived,
      ...profileData,
      user_id: fullId(identity),
      identities: [identity],
      created_at: now,
      updated_at: now,
    };
    this.users.set(standalone.user_id, standalone);
    this.removed.delete(standalone.user_id);
    return structuredClone(primary.identities);
  }

  /**
   * Applies a PATCH as Auth0 does (observed): root attributes replace theirs; metadata keys merge, a key set to
   * null is removed, and an empty object clears the metadata (an empty app_metadata disappears from the user).
   */
  patchUser(id: string, patch: UserPatch): User {
    const user = this.mutable(id);
    if (!user) throw new Error(`patch: unknown user ${id}`);
    Object.assign(user, patch.attributes);
    for (const field of ["user_metadata", "app_metadata"] as const) {
      const changes = patch[field];
      if (!changes) continue;
      const merged: Record<string, unknown> = Object.keys(changes).length === 0 ? {} : { ...user[field] };
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      if (field === "app_metadata" && Object.keys(merged).length === 0) delete user.app_metadata;
      else user[field] = merged;
    }
    user.updated_at = new Date().toISOString();
    return structuredClone(user);
  }
}

/** A user as the Management API shows it: IdP tokens only for callers holding `read:user_idp_tokens`. */
export function presentUser(user: User, withIdpTokens: boolean): User {
  return { ...user, identities: presentIdentities(user.identities, withIdpTokens) };
}

export function presentIdentities(identities: Identity[], withIdpTokens: boolean): Identity[] {
  if (withIdpTokens) return identities;
  return identities.map((identity) => {
    const copy: Identity = { ...identity };
    for (const key of idpTokenKeys) delete copy[key];
    return copy;
  });
}
