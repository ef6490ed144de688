import type { LinkRequest } from "../ids/rules.ts";
import type { Issue } from "../present/errors.ts";

/** What the caller's token is, decoded (not verified). */
export interface CallerToken {
  kind: "management" | "current-user";
  scopes: string[];
  sub: string | undefined;
  azp: string | undefined;
  iss: string | undefined;
  expiresAt: Date | undefined;
}

export interface PreflightResult {
  issues: Issue[];
  caller: CallerToken | undefined;
}

/**
 * Decodes (without verifying) the caller's token and, for the token variant, `link_with`, and reports what Auth0
 * would refuse: a missing scope, a current-user token acting on another user, an expired token, a `link_with`
 * that is not RS256 or lacks sub/aud, a different issuer, an aud that is not the caller's azp. Sends nothing.
 */
export function preflightLink(input: {
  token: string;
  primary: string;
  body: LinkRequest;
  now?: Date;
}): PreflightResult {
  const opened = openPreflight(input.token, input.now);
  if (!opened.caller) return { issues: opened.issues, caller: undefined };
  const { caller, issues, now } = opened;
  const isManagement = caller.kind === "management";
  if ("link_with" in input.body) {
    if (!isManagement) issues.push(...userTokenIssues(caller, input.primary, "link into"));
    issues.push(...checkLinkWith(input.body.link_with, caller, now));
  } else if (!isManagement) {
    issues.push({
      path: "token",
      message: caller.scopes.includes("update:current_user_identities")
        ? "provider/user_id needs a Management token with update:users — a user's token (update:current_user_identities) may only send link_with"
        : "the access token lacks update:users — request a Management API token with update:users",
    });
  }
  return { issues, caller };
}

/**
 * Decodes (without verifying) the caller's token and reports what Auth0 would refuse on unlink: an expired token,
 * no update:users, or a user's own token (update:current_user_identities) acting on another user. Sends nothing.
 */
export function preflightUnlink(input: { token: string; primary: string; now?: Date }): PreflightResult {
  const opened = openPreflight(input.token, input.now);
  if (!opened.caller) return { issues: opened.issues, caller: undefined };
  const { caller, issues } = opened;
  if (caller.kind !== "management") issues.push(...userTokenIssues(caller, input.primary, "unlink from"));
  return { issues, caller };
}

/** The caller's token decoded, with what Auth0 refuses whatever the operation: not a JWT, or expired. */
function openPreflight(
  token: string,
  at: Date | undefined,
): { caller: CallerToken | undefined; issues: Issue[]; now: number } {
  const now = (at ?? new Date()).getTime() / 1000;
  const claims = decodeUnverified(token)?.claims;
  if (!claims) {
    const message =
      "the access token is not a JWT — use a Management API token or the primary user's access token";
    return { caller: undefined, issues: [{ path: "token", message }], now };
  }
  const caller = callerOf(claims);
  const issues: Issue[] = [];
  if (claims.exp !== undefined && claims.exp <= now) {
    issues.push({
      path: "token",
      message: `the access token expired at ${caller.expiresAt?.toISOString()} — get a new one`,
    });
  }
  return { caller, issues, now };
}

/** A user's own token (not a Management token): it needs update:current_user_identities and acts on itself only. */
function userTokenIssues(caller: CallerToken, primary: string, action: "link into" | "unlink from"): Issue[] {
  if (!caller.scopes.includes("update:current_user_identities")) {
    return [
      {
        path: "token",
        message:
          "the access token lacks update:users or update:current_user_identities — request one of these scopes",
      },
    ];
  }
  if (caller.sub !== primary) {
    return [
      {
        path: "token",
        message: `the token belongs to ${caller.sub ?? "no user"}, not the primary ${primary} — a user's token can only ${action} its own account`,
      },
    ];
  }
  return [];
}

/** The claims preflight and plans read, typed as Auth0 issues them; a claim of another type reads as absent. */
export interface TokenClaims {
  sub?: string | undefined;
  iss?: string | undefined;
  aud?: string | string[] | undefined;
  azp?: string | undefined;
  exp?: number | undefined;
  scope?: string | undefined;
  email?: string | undefined;
  email_verified?: boolean | undefined;
}

/**
 * A JWT's header `alg` and `kid` and its claims, decoded without verifying anything — for checks before sending and for plans,
 * never to trust a token. Undefined when the value is not three base64url parts whose first two are JSON objects.
 * (Hand-written rather than jose's decoders, which cost the page about 1 KiB gzip for the same reading.)
 */
export function decodeUnverified(
  token: string,
): { alg: string | undefined; kid: string | undefined; claims: TokenClaims } | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const header = jsonPart(parts[0] ?? "");
  const payload = jsonPart(parts[1] ?? "");
  if (!header || !payload) return undefined;
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const aud = payload.aud;
  return {
    alg: text(header.alg),
    kid: text(header.kid),
    claims: {
      sub: text(payload.sub),
      iss: text(payload.iss),
      aud:
        typeof aud === "string" || (Array.isArray(aud) && aud.every((a) => typeof a === "string"))
          ? aud
          : undefined,
      azp: text(payload.azp),
      exp: typeof payload.exp === "number" ? payload.exp : undefined,
      scope: text(payload.scope),
      email: text(payload.email),
      email_verified: typeof payload.email_verified === "boolean" ? payload.email_verified : undefined,
    },
  };
}

/** The bytes a base64url text (a JWT's part) stands for; undefined when it is not base64url. */
export function base64urlBytes(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  try {
    const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

function jsonPart(part: string): Record<string, unknown> | undefined {
  const bytes = part === "" ? undefined : base64urlBytes(part);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function callerOf(claims: TokenClaims): CallerToken {
  const scopes = claims.scope?.split(" ").filter(Boolean) ?? [];
  return {
    kind: scopes.includes("update:users") ? "management" : "current-user",
    scopes,
    sub: claims.sub,
    azp: claims.azp,
    iss: claims.iss,
    expiresAt: claims.exp === undefined ? undefined : new Date(claims.exp * 1000),
  };
}

function checkLinkWith(linkWith: string, caller: CallerToken, now: number): Issue[] {
  const decoded = decodeUnverified(linkWith);
  if (!decoded)
    return [{ path: "link_with", message: "link_with is not a JWT — pass the secondary account's ID token" }];
  const { alg, claims } = decoded;
  const issues: Issue[] = [];
  if (alg !== "RS256") {
    issues.push({
      path: "link_with",
      message: `link_with must be signed with RS256, not ${alg ?? "nothing"} — use the ID token Auth0 issued`,
    });
  }
  if (!claims.sub)
    issues.push({ path: "link_with", message: "link_with has no sub claim — use the secondary's ID token" });
  if (claims.aud === undefined) {
    issues.push({ path: "link_with", message: "link_with has no aud claim — use the secondary's ID token" });
  } else if (caller.azp !== undefined && ![claims.aud].flat().includes(caller.azp)) {
    issues.push({
      path: "link_with",
      message: `link_with's aud must be the calling token's azp (${caller.azp}) — sign the secondary in through the same application`,
    });
  }
  if (caller.iss !== undefined && claims.iss !== caller.iss) {
    issues.push({
      path: "link_with",
      message:
        "link_with comes from another tenant (its iss differs from the caller token's) — sign in on the same tenant",
    });
  }
  if (claims.exp !== undefined && claims.exp <= now) {
    issues.push({
      path: "link_with",
      message: "link_with has expired — sign the secondary account in again",
    });
  }
  return issues;
}
