import { userIdentityProviderEnumValues } from "../generated/management-api.ts";
import { type Issue, type Parsed, ValidationError } from "../present/errors.ts";
import { echo, isQuoted } from "../present/text.ts";

/** An identity provider Auth0 knows, from the OpenAPI fragment's enum. */
export type Provider = (typeof userIdentityProviderEnumValues)[number];

/** The providers Auth0 knows, generated from the fragment: regenerating the spec updates this list. */
export const providers: readonly Provider[] = userIdentityProviderEnumValues;

const providerSet: ReadonlySet<string> = new Set(providers);

export function isProvider(value: unknown): value is Provider {
  return typeof value === "string" && providerSet.has(value);
}

/**
 * What to say of a provider Auth0 does not know: the ones it may mean (`Auth0` → auth0, `google` → google-oauth2 or
 * google-apps, each followed by `rest`), else examples.
 */
export function unknownProviderHint(typed: string, rest = ""): string {
  const lower = typed.toLowerCase();
  const fits = isProvider(lower) ? [lower] : providers.filter((p) => p.startsWith(`${lower}-`)).reverse();
  return fits.length > 0
    ? `did you mean ${fits.map((p) => echo(p + rest)).join(" or ")}?`
    : "e.g. auth0, google-oauth2, github, samlp";
}

/**
 * The longest id idlink sends. Auth0's ids are far shorter (`auth0|` + 24 hex, `google-oauth2|` + 21 digits,
 * enterprise ids of a connection name and an email); anything longer is a paste gone wrong, refused before sending.
 */
export const maxIdLength = 512;

const percentEncoded = /%[0-9A-Fa-f]{2}/;
const controlChars = /\p{Cc}/u;

/**
 * Checks an id as it will travel (a path segment or a body field): a non-empty string, exact (no padding), not
 * `.`/`..`, not percent-encoded, no control characters, at most `maxIdLength` characters. Returns the issues.
 */
export function checkIdText(id: unknown, field: string): Issue[] {
  const issue = (message: string): Issue[] => [{ path: field, message }];
  if (typeof id !== "string") return issue(`${field} must be a user id string like auth0|64f1…`);
  if (id.length === 0) return issue(`${field} must not be empty — pass a user id like auth0|64f1…`);
  if (id.length > maxIdLength) {
    return issue(`${field} is ${id.length} characters long (${echo(id)}) — an id has at most ${maxIdLength}`);
  }
  if (id.trim() !== id) return issue(`${field} has spaces at its start or end — pass the user id exactly`);
  if (id === "." || id === "..") return issue(`${field} cannot be "${id}" — pass a user id like auth0|64f1…`);
  if (percentEncoded.test(id)) {
    return issue(
      `${field} looks percent-encoded (${echo(id)}) — pass the raw id (auth0|…, not auth0%7C…); idlink encodes it once`,
    );
  }
  if (controlChars.test(id)) return issue(`${field} contains control characters — remove them`);
  return [];
}

/** A full user id split on its first `|`: `samlp|my-conn|abc` → `samlp` and `my-conn|abc`. */
export interface SecondaryId {
  provider: Provider;
  user_id: string;
}

/**
 * Parses a full user id (`google-oauth2|108…`, `samlp|my-conn|abc`): checked as it will travel, then split on its
 * first `|` into a known provider and a non-empty rest. Every account idlink takes — primary, secondary, a user to
 * read — goes through this one rule. Never throws.
 */
export function parseUserId(fullId: unknown, field = "secondary"): Parsed<SecondaryId> {
  const issues = checkIdText(fullId, field);
  if (issues.length > 0 || typeof fullId !== "string") return { ok: false, issues };
  // As people paste them: quotes a shell kept (cmd.exe keeps single ones), an email instead of the id.
  if (isQuoted(fullId)) {
    return fail(field, `${field} is wrapped in quotes — pass the id without them`);
  }
  const bar = fullId.indexOf("|");
  if (bar < 0 && fullId.includes("@")) {
    return fail(field, `${field} is an email address — pass the user's id, provider|id (find it by email)`);
  }
  if (bar <= 0 || bar === fullId.length - 1) {
    return fail(
      field,
      `${field} must be a full user id, provider|id (e.g. auth0|64f1… or google-oauth2|1080…)`,
    );
  }
  const provider = fullId.slice(0, bar);
  if (!isProvider(provider)) {
    return fail(
      field,
      `${field} starts with "${echo(provider)}", which is not an Auth0 identity provider — ${unknownProviderHint(provider, fullId.slice(bar))}`,
    );
  }
  return { ok: true, value: { provider, user_id: fullId.slice(bar + 1) } };
}

/** The issues of a full user id (see `parseUserId`); empty when valid. */
export function checkUserId(id: unknown, field = "primary"): Issue[] {
  const parsed = parseUserId(id, field);
  return parsed.ok ? [] : parsed.issues;
}

/** `parseUserId` for callers that throw: a ValidationError naming the field. */
export function requireUserId(id: unknown, field: string): SecondaryId {
  const parsed = parseUserId(id, field);
  if (!parsed.ok) throw new ValidationError(parsed.issues, field);
  return parsed.value;
}

/** The full id of an identity: `provider|user_id`. */
export function fullUserId(identity: { provider: string; user_id: string | number }): string {
  return `${identity.provider}|${identity.user_id}`;
}

/**
 * Rejects unlinking a user's main identity — the id the user is known by, which Auth0 answers 400 "Main identity
 * cannot be removed." for. The one wording of that rule, for the arguments, the client and the plan.
 */
export function checkNotMainIdentity(
  primary: string,
  identity: { provider: string; user_id: string | number },
): Issue[] {
  const id = fullUserId(identity);
  return id === primary ? [mainIdentityIssue(id, primary)] : [];
}

/** The issue of naming `id`, the main identity of `primary`, as the identity to unlink. */
export function mainIdentityIssue(id: string, primary: string): Issue {
  return {
    path: "secondary",
    message: `${id} is the main identity of ${primary} — Auth0 cannot remove it; name a linked secondary`,
  };
}

/** Rejects linking an account into itself. */
export function checkNotSelfLink(
  primary: string,
  secondary: { provider: string; user_id: string | number },
): Issue[] {
  return primary === fullUserId(secondary)
    ? [{ path: "secondary", message: "the secondary is the primary itself — pick the other account to link" }]
    : [];
}

function fail(path: string, message: string): Parsed<never> {
  return { ok: false, issues: [{ path, message }] };
}
