import { type Issue, ValidationError } from "./errors.ts";
import { userIdentityProviderEnumValues } from "./generated/management-api.ts";

/** An identity provider Auth0 knows, from the OpenAPI fragment's enum. */
export type Provider = (typeof userIdentityProviderEnumValues)[number];

/** The providers Auth0 knows, generated from the fragment: regenerating the spec updates this list. */
export const providers: readonly Provider[] = userIdentityProviderEnumValues;

const providerSet: ReadonlySet<string> = new Set(providers);

export function isProvider(value: unknown): value is Provider {
  return typeof value === "string" && providerSet.has(value);
}

const percentEncoded = /%[0-9A-Fa-f]{2}/;
const controlChars = /\p{Cc}/u;

/** Checks a user id as it will be put in a URL path; returns the issues (empty when valid). */
export function checkUserId(id: unknown, field = "primary"): Issue[] {
  if (typeof id !== "string")
    return [{ path: field, message: `${field} must be a user id string like auth0|64f1…` }];
  if (id.length === 0)
    return [{ path: field, message: `${field} must not be empty — pass a user id like auth0|64f1…` }];
  if (id.trim() !== id) {
    return [{ path: field, message: `${field} has spaces at its start or end — pass the user id exactly` }];
  }
  if (id === "." || id === "..") {
    return [{ path: field, message: `${field} cannot be "${id}" — pass a user id like auth0|64f1…` }];
  }
  if (percentEncoded.test(id)) {
    return [
      {
        path: field,
        message: `${field} looks percent-encoded (${truncate(id)}) — pass the raw id (auth0|…, not auth0%7C…); idlink encodes it once`,
      },
    ];
  }
  if (controlChars.test(id))
    return [{ path: field, message: `${field} contains control characters — remove them` }];
  return [];
}

/** A secondary account named by its full id, split on the first `|`. */
export interface SecondaryId {
  provider: Provider;
  user_id: string;
}

/**
 * Splits a full user id (`google-oauth2|108…`, `samlp|my-conn|abc`) on its first `|` into `provider` and `user_id`.
 * Throws a ValidationError naming the field when the id is not of that shape or the provider is unknown.
 */
export function parseUserId(fullId: string, field = "secondary"): SecondaryId {
  const issues = checkUserId(fullId, field);
  if (issues.length > 0) throw new ValidationError(issues, field);
  const bar = fullId.indexOf("|");
  if (bar <= 0 || bar === fullId.length - 1) {
    throw new ValidationError(
      [{ path: field, message: `${field} must be a full user id, provider|id (e.g. google-oauth2|1080…)` }],
      field,
    );
  }
  const provider = fullId.slice(0, bar);
  if (!isProvider(provider)) {
    throw new ValidationError(
      [
        {
          path: field,
          message: `${field} starts with "${truncate(provider)}", which is not an Auth0 identity provider (e.g. auth0, google-oauth2, github, samlp)`,
        },
      ],
      field,
    );
  }
  return { provider, user_id: fullId.slice(bar + 1) };
}

/** The full id of an identity: `provider|user_id`. */
export function fullUserId(identity: { provider: string; user_id: string | number }): string {
  return `${identity.provider}|${identity.user_id}`;
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

export function truncate(value: string, max = 40): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
