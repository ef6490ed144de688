import type { Issue, Parsed } from "./errors.ts";
import { type IdentityLinkRequest, parseLinkRequest, type TokenLinkRequest } from "./rules.ts";
import { fullUserId, parseUserId, type SecondaryId } from "./user-id.ts";

/**
 * A link as every face names it (CLI arguments and flags, MCP tool arguments, the demo's form): the primary's full
 * id, and the secondary as a full id (`secondary`, with an optional `connection_id`), as `provider` + `user_id`, or
 * as an ID token (`link_with`). Values are `unknown`: the parser checks their types too.
 */
export interface LinkArguments {
  primary?: unknown;
  secondary?: unknown;
  provider?: unknown;
  user_id?: unknown;
  connection_id?: unknown;
  link_with?: unknown;
}

/** A link ready to prepare: the primary, the body Auth0 gets, and which variant it is. */
export type LinkTarget = {
  primary: string;
  /** What core changed on the way (a full id given as user_id is sent as its bare part), for the face to show. */
  notes: Issue[];
} & ({ variant: "token"; body: TokenLinkRequest } | { variant: "identity"; body: IdentityLinkRequest });

/** An unlink as every face names it: the primary's full id and the identity, by full id or provider + user_id. */
export interface UnlinkArguments {
  primary?: unknown;
  secondary?: unknown;
  provider?: unknown;
  user_id?: unknown;
  /** Link only: named so that a face passing them gets a clear issue instead of a silent drop. */
  connection_id?: unknown;
  link_with?: unknown;
}

/** An unlink ready to prepare. */
export interface UnlinkTarget {
  primary: string;
  secondary: SecondaryId;
}

const noSecondary = (action: "link" | "unlink"): Issue => ({
  path: "secondary",
  message:
    action === "link"
      ? "no secondary account given — pass its full id (google-oauth2|108…), or provider and user_id, or link_with (its ID token)"
      : "no identity given — pass its full id (google-oauth2|108…), or provider and user_id",
});

/**
 * Parses a link's arguments: the primary checked as strictly as the secondary, the secondary in any accepted form,
 * one variant at a time, not the primary itself. Never throws; every issue names the argument and the fix.
 */
export function parseLinkArguments(args: LinkArguments): Parsed<LinkTarget> {
  const primary = parseUserId(args.primary, "primary");
  const issues: Issue[] = primary.ok ? [] : [...primary.issues];
  const { secondary, primary: _primary, ...fields } = args;
  const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const primaryId = primary.ok ? String(args.primary) : undefined;
  const options = primaryId === undefined ? {} : { primary: primaryId };
  if (secondary === undefined && Object.keys(body).length === 0) {
    issues.push(noSecondary("link"));
  } else if (secondary !== undefined) {
    const clash = ["provider", "user_id", "link_with"].filter((k) => k in body);
    if (clash.length > 0) {
      issues.push({
        path: "secondary",
        message: `give the secondary either as a full id or as ${clash.join("/")}, not both`,
      });
    } else {
      const id = parseUserId(secondary, "secondary");
      if (!id.ok) issues.push(...id.issues);
      else {
        const parsed = parseLinkRequest({ ...id.value, ...body }, options);
        if (!parsed.ok) issues.push(...parsed.issues);
        else if (primaryId !== undefined && issues.length === 0) {
          return { ok: true, value: withPrimary(primaryId, parsed) };
        }
      }
    }
  } else {
    const parsed = parseLinkRequest(body, options);
    if (!parsed.ok) issues.push(...parsed.issues);
    else if (primaryId !== undefined && issues.length === 0) {
      return { ok: true, value: withPrimary(primaryId, parsed) };
    }
  }
  return { ok: false, issues };
}

/**
 * Parses an unlink's arguments: the primary and the identity to remove (full id, or provider + user_id), each
 * checked as strictly as an id is anywhere; not the primary's own main identity. Never throws.
 */
export function parseUnlinkArguments(args: UnlinkArguments): Parsed<UnlinkTarget> {
  const primary = parseUserId(args.primary, "primary");
  const issues: Issue[] = primary.ok ? [] : [...primary.issues];
  for (const key of ["connection_id", "link_with"] as const) {
    if (args[key] !== undefined) {
      issues.push({ path: key, message: `${key} is for linking only — unlink names the identity by its id` });
    }
  }
  const byParts = args.provider !== undefined || args.user_id !== undefined;
  let target: SecondaryId | undefined;
  if (args.secondary !== undefined && byParts) {
    issues.push({
      path: "secondary",
      message: "give the identity either as a full id or as provider and user_id, not both",
    });
  } else if (args.secondary !== undefined) {
    const id = parseUserId(args.secondary, "secondary");
    if (id.ok) target = id.value;
    else issues.push(...id.issues);
  } else if (byParts) {
    // provider + user_id is the full id split on its first |: parse it as one, then name the part at fault.
    const parts = parseParts(args.provider, args.user_id);
    if (parts.ok) target = parts.value;
    else issues.push(...parts.issues);
  } else {
    issues.push(noSecondary("unlink"));
  }
  if (target && primary.ok && fullUserId(target) === args.primary) {
    issues.push({
      path: "secondary",
      message: "that is the primary's main identity, which Auth0 cannot remove — name a linked secondary",
    });
  }
  if (issues.length > 0 || !target || !primary.ok) return { ok: false, issues };
  return { ok: true, value: { primary: String(args.primary), secondary: target } };
}

function parseParts(provider: unknown, userId: unknown): Parsed<SecondaryId> {
  // The link body's rules word provider and user_id issues; a link body is the same pair of fields.
  const parsed = parseLinkRequest({
    ...(provider === undefined ? {} : { provider }),
    ...(userId === undefined ? {} : { user_id: userId }),
  });
  if (!parsed.ok) return parsed;
  if (!("provider" in parsed.body)) return { ok: false, issues: [noSecondary("unlink")] };
  return { ok: true, value: { provider: parsed.body.provider, user_id: String(parsed.body.user_id) } };
}

function withPrimary(
  primary: string,
  parsed:
    | { variant: "token"; body: TokenLinkRequest }
    | { variant: "identity"; body: IdentityLinkRequest; notes?: Issue[] },
): LinkTarget {
  return parsed.variant === "token"
    ? { primary, notes: [], variant: "token", body: parsed.body }
    : { primary, notes: parsed.notes ?? [], variant: "identity", body: parsed.body };
}
