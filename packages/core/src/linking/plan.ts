import { decodeUnverified } from "../auth/tokens.ts";
import type { ManagementClient, Metadata, User, UserIdentity, UserIdentitySchema } from "../http/client.ts";
import type { LinkTarget, UnlinkTarget } from "../ids/arguments.ts";
import { fullUserId, mainIdentityIssue } from "../ids/user-id.ts";
import {
  type IdentityOwner,
  type Issue,
  ManagementApiError,
  ownerText,
  ValidationError,
} from "../present/errors.ts";
import { findOwner } from "./owner.ts";

/** An identity as a plan shows it: no tokens, no profile data. */
export interface IdentitySummary {
  id: string;
  provider: string;
  connection: string;
}

export interface AccountSummary {
  user_id: string;
  email: string | undefined;
  email_verified: boolean | undefined;
  identities: IdentitySummary[];
}

/**
 * Whether an unverified email blocks a link (`require`, the default everywhere) or only warns (`warn`). Auth0's
 * guidance: link only accounts whose emails are verified and whose owner has signed in to both, or whoever registered
 * an unverified address could take the other account over (https://auth0.com/docs/manage-users/user-accounts/user-account-linking).
 */
export type EmailVerificationPolicy = "require" | "warn";

export const defaultEmailVerification: EmailVerificationPolicy = "require";

export interface PlanOptions {
  emailVerification?: EmailVerificationPolicy;
  /**
   * Reads the secondary instead of the plan's client: in a user's own flow, a client with the secondary's own token
   * (`read:current_user`), since the primary's token may not read another user.
   */
  secondaryClient?: ManagementClient;
}

/** What linking a secondary into a primary will do, read before anything changes. */
export interface LinkPlan {
  /** The request `executeLink` sends, as `parseLinkArguments` read it. */
  request: LinkTarget;
  primary: AccountSummary;
  secondary: AccountSummary;
  /** The primary's identities after the link: its own, then all of the secondary's. */
  identitiesAfter: IdentitySummary[];
  /** The secondary's metadata, which Auth0 discards when linking (merge it first if it matters). */
  discarded: { user_metadata: Metadata; app_metadata: Metadata };
  /**
   * Where the secondary's view comes from: `user`, read from the tenant; `id-token`, from `link_with`'s claims, when
   * the token may not read it (403) — then what the link discards is unknown, and a warning says so; `none`, no
   * such user (a blocker says so).
   */
  secondarySource: "user" | "id-token" | "none";
  /** When the secondary is no user of its own: the user it is linked into, if a search found one. */
  secondaryLinkedInto?: IdentityOwner;
  /** user_metadata keys of the secondary that `mergeMetadata` would add to the primary. */
  mergeableKeys: string[];
  /** Things a person should know before confirming. */
  warnings: string[];
  /** Reasons the link cannot go ahead. */
  blockers: Issue[];
}

/**
 * Reads both users and describes what linking will do: resulting identities, metadata that will be discarded,
 * unverified or differing emails. For the token variant the secondary comes from `link_with`'s claims when the
 * caller may not read it. Changes nothing.
 */
export async function planLink(
  client: ManagementClient,
  target: LinkTarget,
  options: PlanOptions = {},
): Promise<LinkPlan> {
  const { primary: primaryId, body } = target;
  const primaryUser = await readAccount(client, primaryId, "primary");
  const secondaryId = "link_with" in body ? subjectOf(body.link_with) : fullUserId(body);
  const blockers: Issue[] = [];
  // A user's own token may not read the secondary (403): the plan then shows it from link_with's claims.
  const read = await readSecondary(options.secondaryClient ?? client, secondaryId).catch((error: unknown) => {
    if (error instanceof ManagementApiError && error.status === 403) return undefined;
    throw error;
  });
  const secondaryUser = typeof read === "object" ? read : undefined;
  const owner = read === "missing" ? await ownerOf(client, secondaryId, primaryUser) : undefined;
  if (owner !== undefined) blockers.push(missingSecondary(secondaryId, primaryId, owner));
  const primary = summarizeAccount(primaryUser, primaryId);
  const secondary = secondaryUser
    ? summarizeAccount(secondaryUser, secondaryId)
    : fromClaims(secondaryId, "link_with" in body ? body.link_with : undefined);
  if (secondaryId === primaryId) {
    blockers.push({
      path: "secondary",
      message: "the secondary is the primary itself — pick the other account to link",
    });
  }
  const warnings: string[] = [];
  const policy = options.emailVerification ?? defaultEmailVerification;
  for (const [role, account] of [
    ["primary", primary],
    ["secondary", secondary],
  ] as const) {
    const why = unverifiedEmail(role, account);
    if (why && policy === "require") blockers.push({ path: role, message: `${why}; verify it first` });
    else if (why) warnings.push(why);
  }
  if (primary.email && secondary.email && primary.email.toLowerCase() !== secondary.email.toLowerCase()) {
    warnings.push(
      `the emails differ (${primary.email} and ${secondary.email}) — make sure one person owns both accounts`,
    );
  }
  if (secondary.identities.length > 1) {
    warnings.push(
      `the secondary has ${secondary.identities.length} identities; all of them move to the primary`,
    );
  }
  const discarded = {
    user_metadata: secondaryUser?.user_metadata ?? {},
    app_metadata: secondaryUser?.app_metadata ?? {},
  };
  if (read === undefined) {
    warnings.push(
      "the secondary could not be read with this token (403), so its metadata, which the link discards, is unknown — read it with the secondary's own token (read:current_user) or a Management token",
    );
  }
  const mergeableKeys = Object.keys(discarded.user_metadata).filter(
    (k) => !Object.hasOwn(primaryUser.user_metadata ?? {}, k),
  );
  if (Object.keys(discarded.user_metadata).length + Object.keys(discarded.app_metadata).length > 0) {
    warnings.push(
      `the secondary's metadata will be discarded (user_metadata: ${keyList(discarded.user_metadata)}; app_metadata: ${keyList(discarded.app_metadata)})`,
    );
  }
  return {
    request: target,
    primary,
    secondary,
    identitiesAfter: [...primary.identities, ...secondary.identities],
    discarded,
    secondarySource: secondaryUser ? "user" : read === "missing" ? "none" : "id-token",
    ...(typeof owner === "object" ? { secondaryLinkedInto: owner } : {}),
    mergeableKeys,
    warnings,
    blockers,
  };
}

/** Whether a link may be sent unattended, and if not why; see `checkLink`. */
export type LinkCheck =
  | { verdict: "link" }
  | { verdict: "already_linked" }
  | { verdict: "blocked"; blockers: Issue[] };

/**
 * The check before a link that no person confirms (bulk): `planLink`'s rules on the secondary, from one read of
 * it, stricter where a plan would only warn. Blocked, and never to be sent: a secondary that is no user of its own
 * (missing, or an identity linked into another user — Auth0 would move that whole user into the primary, community
 * thread 132916), a secondary holding linked identities (all of them would move), an unverified secondary email
 * (under the default policy). The primary is read only when the secondary is no user, to tell a pair already linked
 * (`already_linked`) from the rest. Changes nothing; errors of the reads (403, 5xx…) are thrown.
 */
export async function checkLink(
  client: ManagementClient,
  primaryId: string,
  secondaryId: string,
  options: PlanOptions = {},
): Promise<LinkCheck> {
  if (secondaryId === primaryId) {
    return {
      verdict: "blocked",
      blockers: [
        { path: "secondary", message: "the secondary is the primary itself — pick the other account" },
      ],
    };
  }
  const read = await readSecondary(client, secondaryId);
  if (read === "missing") {
    const primaryUser = await readAccount(client, primaryId, "primary");
    if (holdsLinked(primaryUser, secondaryId)) return { verdict: "already_linked" };
    const owner = await ownerOf(client, secondaryId, primaryUser);
    return { verdict: "blocked", blockers: [missingSecondary(secondaryId, primaryId, owner)] };
  }
  const blockers: Issue[] = [];
  const secondary = summarizeAccount(read, secondaryId);
  const linked = secondary.identities.slice(1).map((i) => i.id);
  if (linked.length > 0) {
    blockers.push({
      path: "secondary",
      message: `${secondaryId} holds linked identities (${linked.join(", ")}); linking it would move them all into ${primaryId} — link it on its own (idlink link) if that is meant`,
    });
  }
  const why = unverifiedEmail("secondary", secondary);
  if (why && (options.emailVerification ?? defaultEmailVerification) === "require") {
    blockers.push({ path: "secondary", message: `${why}; verify it first` });
  }
  return blockers.length > 0 ? { verdict: "blocked", blockers } : { verdict: "link" };
}

/** The secondary's user, or "missing" on a 404: no user of that id (absent, or an identity linked into a user). */
async function readSecondary(client: ManagementClient, id: string): Promise<User | "missing"> {
  try {
    return await client.getUser(id);
  } catch (error) {
    if (error instanceof ManagementApiError && error.status === 404) return "missing";
    throw error;
  }
}

/**
 * Who holds a secondary that is no user of its own: the primary itself (already linked), another user (a search
 * found it), `none` or `unknown` (see `findOwner`).
 */
async function ownerOf(
  client: ManagementClient,
  secondaryId: string,
  primaryUser: User,
): Promise<IdentityOwner | "none" | "unknown"> {
  if (holdsLinked(primaryUser, secondaryId)) {
    return { user_id: primaryUser.user_id ?? "", email: primaryUser.email };
  }
  return findOwner(client, secondaryId);
}

/**
 * The blocker of a secondary that is no user of its own. Linking an identity that another user holds would move that
 * whole user into the primary (community thread 132916), so the way on is to unlink it there, or link its owner.
 */
function missingSecondary(
  secondaryId: string,
  primaryId: string,
  owner: IdentityOwner | "none" | "unknown",
): Issue {
  const message =
    typeof owner === "object"
      ? owner.user_id === primaryId
        ? `${secondaryId} is already linked to ${primaryId} — nothing to do`
        : `${secondaryId} is not a user of its own: it is linked into ${ownerText(owner)} — unlink it from ${owner.user_id} first (then link it here), or link ${owner.user_id} itself into ${primaryId} (all its identities move)`
      : owner === "none"
        ? `${secondaryId} does not exist and no user holds it as a linked identity — check the id (provider|id); an identity linked seconds ago may not be searchable yet`
        : `${secondaryId} does not exist as a user — check the id (provider|id); if it is an identity linked into another user (a token with read:users can say which), unlink it there first`;
  return { path: "secondary", message };
}

function unverifiedEmail(role: "primary" | "secondary", account: AccountSummary): string | undefined {
  if (account.email === undefined || account.email_verified === true) return undefined;
  return `the ${role}'s email ${account.email} is not verified — Auth0 advises linking only accounts whose emails are verified and whose owners have signed in to both`;
}

/** What unlinking an identity from a primary will do, read before anything changes. */
export interface UnlinkPlan {
  /** The request `executeUnlink` sends, as `parseUnlinkArguments` read it. */
  request: UnlinkTarget;
  primary: AccountSummary;
  /** The identity to unlink, as the primary holds it (or as named, when it is not there). */
  secondary: IdentitySummary;
  identitiesAfter: IdentitySummary[];
  warnings: string[];
  /** The main identity, or an identity the primary does not hold: nothing to send. */
  blockers: Issue[];
}

/** Reads the primary and describes what unlinking `secondary` will do. Changes nothing. */
export async function planUnlink(client: ManagementClient, target: UnlinkTarget): Promise<UnlinkPlan> {
  const { primary: primaryId, secondary } = target;
  const id = fullUserId(secondary);
  const primary = summarizeAccount(await readAccount(client, primaryId, "primary"), primaryId);
  const [main, ...linked] = primary.identities;
  const found = linked.find((i) => i.id === id);
  const blockers: Issue[] = [];
  if (id === primary.user_id || main?.id === id) {
    blockers.push(mainIdentityIssue(id, primaryId));
  } else if (!found) {
    const names = linked.map((i) => i.id);
    const owner = await findOwner(client, id);
    const where =
      typeof owner !== "object"
        ? ""
        : owner.user_id === id
          ? `; ${id} is a user of its own`
          : `; it is linked into ${ownerText(owner)} — unlink it there`;
    blockers.push({
      path: "secondary",
      message: `${id} is not linked to ${primaryId} — its linked identities are: ${names.length > 0 ? names.join(", ") : "none"}${where}`,
    });
  }
  return {
    request: target,
    primary,
    secondary: found ?? { id, provider: secondary.provider, connection: "" },
    identitiesAfter: primary.identities.filter((i) => i.id !== id),
    warnings: found
      ? [
          `${id} becomes a separate user again, with no user_metadata or app_metadata; ${primaryId} keeps its own`,
        ]
      : [],
    blockers,
  };
}

/**
 * Copies the secondary's user_metadata keys that the primary lacks onto the primary (the primary wins), since
 * Auth0 discards the secondary's metadata on link. Returns the keys added; sends nothing when there are none.
 */
export async function mergeMetadata(
  client: ManagementClient,
  primaryId: string,
  secondaryId: string,
): Promise<string[]> {
  const [primary, secondary] = await Promise.all([client.getUser(primaryId), client.getUser(secondaryId)]);
  const mine = primary.user_metadata ?? {};
  const additions = Object.fromEntries(
    Object.entries(secondary.user_metadata ?? {}).filter(([k]) => !Object.hasOwn(mine, k)),
  );
  const keys = Object.keys(additions);
  if (keys.length > 0) await client.updateMetadata(primaryId, { user_metadata: additions });
  return keys;
}

/** Whether `secondaryId` is among the identities linked into `user` (not its main identity). */
export function holdsLinked(user: User, secondaryId: string): boolean {
  return (user.identities ?? []).slice(1).some((i) => summarizeIdentity(i).id === secondaryId);
}

/** A user as plans and candidate lists show it: id, email state and identities, no tokens. */
export function summarizeAccount(user: User, fallbackId = ""): AccountSummary {
  return {
    user_id: user.user_id ?? fallbackId,
    email: user.email,
    email_verified: user.email_verified,
    identities: (user.identities ?? []).map(summarizeIdentity),
  };
}

/** An identity without its tokens or profile data. */
export function summarizeIdentity(identity: UserIdentity | UserIdentitySchema): IdentitySummary {
  const provider = identity.provider ?? "";
  return {
    id: fullUserId({ provider, user_id: identity.user_id ?? "" }),
    provider,
    connection: identity.connection ?? "",
  };
}

/**
 * Reads a user, so that a 404 names the account's role and id, and where it lives when it is an identity linked
 * into another user (one search, by a client that has `searchUsers` and may search).
 */
export async function readAccount(
  client: Pick<ManagementClient, "getUser"> & Partial<Pick<ManagementClient, "searchUsers">>,
  id: string,
  role: "primary" | "secondary" | "user",
): Promise<User> {
  try {
    return await client.getUser(id);
  } catch (error) {
    if (!(error instanceof ManagementApiError && error.status === 404)) throw error;
    const { searchUsers } = client;
    const owner = searchUsers ? await findOwner({ searchUsers }, id) : "unknown";
    throw error.about({ role, id, ...(typeof owner === "object" ? { linkedInto: owner } : {}) });
  }
}

function fromClaims(id: string, idToken: string | undefined): AccountSummary {
  const claims = (idToken ? decodeUnverified(idToken)?.claims : undefined) ?? {};
  const bar = id.indexOf("|");
  return {
    user_id: id,
    email: claims.email,
    email_verified: claims.email_verified,
    identities: [{ id, provider: id.slice(0, bar), connection: "" }],
  };
}

function subjectOf(idToken: string): string {
  const sub = decodeUnverified(idToken)?.claims.sub;
  if (sub) return sub;
  throw new ValidationError(
    [
      {
        path: "link_with",
        message: "link_with is not an ID token with a sub claim — pass the secondary's ID token",
      },
    ],
    "link request",
  );
}

function keyList(m: Metadata): string {
  const keys = Object.keys(m);
  return keys.length === 0 ? "none" : keys.join(", ");
}
