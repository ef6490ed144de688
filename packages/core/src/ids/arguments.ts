import type { Issue, Parsed } from "../present/errors.ts";
import { remember } from "./parsed.ts";
import { type LinkBody, parseLinkRequest } from "./rules.ts";
import { checkIdText, checkNotMainIdentity, checkUserId, parseUserId, type SecondaryId } from "./user-id.ts";

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

/**
 * A link as the parsers read it: the primary, the body Auth0 gets and its variant. The client sends a target made
 * by `parseLinkArguments` as it is, without checking it again.
 */
export type LinkTarget = { primary: string } & LinkBody;

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

/** An unlink as `parseUnlinkArguments` read it; the client sends it as it is. */
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
          return withPrimary(primaryId, parsed);
        }
      }
    }
  } else {
    const parsed = parseLinkRequest(body, options);
    if (!parsed.ok) issues.push(...parsed.issues);
    else if (primaryId !== undefined && issues.length === 0) {
      return withPrimary(primaryId, parsed);
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
  if (target && primary.ok) issues.push(...checkNotMainIdentity(String(args.primary), target));
  if (issues.length > 0 || !target || !primary.ok) return { ok: false, issues };
  return { ok: true, value: remember({ primary: String(args.primary), secondary: target }) };
}

function parseParts(provider: unknown, userId: unknown): Parsed<SecondaryId> {
  // The link body's rules word provider and user_id issues; a link body is the same pair of fields.
  const parsed = parseLinkRequest({
    ...(provider === undefined ? {} : { provider }),
    ...(userId === undefined ? {} : { user_id: userId }),
  });
  if (!parsed.ok) return parsed;
  const { body } = parsed.value;
  if (!("provider" in body)) return { ok: false, issues: [noSecondary("unlink")] };
  // Unlink's user_id travels in the path, where a link body's would not: checked as an id is there.
  const issues = checkIdText(String(body.user_id), "user_id");
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, value: { provider: body.provider, user_id: String(body.user_id) } };
}

function withPrimary(primary: string, parsed: Parsed<LinkBody>): Parsed<LinkTarget> {
  return parsed.ok ? { ok: true, value: remember({ primary, ...parsed.value }) } : parsed;
}

/**
 * A link as the client is called with it, `client.link(primary, body)`: the primary checked like any id, the body
 * by `parseLinkRequest` (which names an unknown field instead of reading it as an argument). Never throws.
 */
export function parseLinkCall(primary: unknown, body: unknown): Parsed<LinkTarget> {
  const issues = checkUserId(primary, "primary");
  const parsed = parseLinkRequest(body, typeof primary === "string" ? { primary } : {});
  if (!parsed.ok) issues.push(...parsed.issues);
  return issues.length > 0 || !parsed.ok ? { ok: false, issues } : withPrimary(String(primary), parsed);
}
