import { decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import {
  clientAssertionType,
  importSigningKey,
  type SigningAlg,
  type SigningKey,
  signClientAssertion,
} from "./client-assertion.ts";
import { type DebugSink, observeFetch } from "./debug.ts";
import { managementAudience, tenantOrigin } from "./domain.ts";
import { type Issue, ManagementApiError } from "./errors.ts";
import type { components } from "./generated/authentication-api.ts";
import { redactText } from "./redact.ts";
import type { LinkRequest } from "./rules.ts";
import type { FetchLike } from "./transport.ts";

type TokenResponse = components["schemas"]["TokenResponse"];

/**
 * How a machine-to-machine application proves itself on `/oauth/token`: its client secret, or (Private Key JWT, what
 * Auth0 recommends) an assertion signed with its private key — the option names are those of Auth0's Node SDK.
 */
export type ClientAuthentication = {
  clientId: string;
  /** The Management API audience; defaults to `https://{domain}/api/v2/`. Set it when `domain` is a custom domain. */
  audience?: string | undefined;
} & (
  | { clientSecret: string }
  | {
      /** PKCS#8 PEM private key whose public key is registered on the application in Auth0. */
      clientAssertionSigningKey: string;
      /** Defaults to RS256. */
      clientAssertionSigningAlg?: SigningAlg | undefined;
      /** Where the key came from (`AUTH0_CLIENT_SIGNING_KEY_PATH (./key.pem)`), for messages. */
      signingKeySource?: string | undefined;
    }
);

export type ManagementTokenOptions = ClientAuthentication & {
  domain: string;
  fetch?: FetchLike;
  /** Sees the token request's method, path, status and timing: never its body or the answer's token. */
  onEvent?: DebugSink;
};

interface CachedToken {
  token: Promise<string>;
  expiresAt: number;
}

const cache = new Map<string, CachedToken>();

/**
 * Gets a Management API token with the client-credentials grant, cached (per domain, client and audience) until a
 * minute before it expires; concurrent callers share one request. Throws ManagementApiError on a refused grant.
 */
export function getManagementToken(options: ManagementTokenOptions): Promise<string> {
  const origin = tenantOrigin(options.domain);
  const audience = options.audience ?? managementAudience(origin);
  const proof =
    "clientSecret" in options
      ? options.clientSecret
      : [options.clientAssertionSigningKey, options.clientAssertionSigningAlg];
  const key = JSON.stringify([origin, options.clientId, audience, proof]);
  const hit = cache.get(key);
  if (hit && hit.expiresAt > Date.now()) return hit.token;
  const entry: CachedToken = { token: Promise.resolve(""), expiresAt: Number.POSITIVE_INFINITY };
  entry.token = requestToken(origin, audience, options).then(
    (response) => {
      const lifetimeMs = response.expires_in * 1000;
      entry.expiresAt = Date.now() + lifetimeMs - Math.min(60_000, lifetimeMs / 10);
      return response.access_token;
    },
    (error: unknown) => {
      cache.delete(key);
      throw error;
    },
  );
  cache.set(key, entry);
  return entry.token;
}

async function requestToken(
  origin: string,
  audience: string,
  options: ManagementTokenOptions,
): Promise<TokenResponse> {
  const fetchImpl = observeFetch(
    options.fetch ?? ((request: Request) => fetch(request)),
    options.onEvent,
    "Get Management token",
  );
  const path = "/oauth/token";
  const proof =
    "clientSecret" in options
      ? { client_secret: options.clientSecret }
      : {
          client_assertion: await signClientAssertion({
            clientId: options.clientId,
            origin,
            signingKey: await signingKeyOf(options),
          }),
          client_assertion_type: clientAssertionType,
        };
  const response = await fetchImpl(
    new Request(`${origin}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "client_credentials",
        client_id: options.clientId,
        ...proof,
        audience,
      }),
    }),
  );
  const body: unknown = await response.json().catch(() => undefined);
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  if (!response.ok || typeof fields.access_token !== "string" || typeof fields.expires_in !== "number") {
    const str = (v: unknown) => (typeof v === "string" ? redactText(v) : undefined);
    throw new ManagementApiError({
      operation: "Get Management token",
      method: "POST",
      path,
      status: response.status,
      error: str(fields.error) ?? "invalid_response",
      message:
        str(fields.error_description) ??
        (response.ok ? "the token response has no access_token" : `client ${options.clientId} was refused`),
    });
  }
  return fields as unknown as TokenResponse;
}

const importedKeys = new Map<string, Promise<SigningKey>>();

/** The imported key (once per PEM and algorithm): a bad key fails here, before anything is sent. */
function signingKeyOf(options: Extract<ClientAuthentication, { clientAssertionSigningKey: string }>) {
  const alg = options.clientAssertionSigningAlg ?? "RS256";
  const id = JSON.stringify([options.clientAssertionSigningKey, alg]);
  let imported = importedKeys.get(id);
  if (!imported) {
    const source = options.signingKeySource ?? "the client assertion signing key";
    imported = importSigningKey(options.clientAssertionSigningKey, alg, source);
    imported.catch(() => importedKeys.delete(id));
    importedKeys.set(id, imported);
  }
  return imported;
}

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
  const now = (input.now ?? new Date()).getTime() / 1000;
  const issues: Issue[] = [];
  const claims = decode(input.token);
  if (!claims) {
    return {
      issues: [
        {
          path: "token",
          message:
            "the access token is not a JWT — use a Management API token or the primary user's access token",
        },
      ],
      caller: undefined,
    };
  }
  const caller = callerOf(claims);
  const { scopes } = caller;
  const isManagement = caller.kind === "management";
  if (claims.exp !== undefined && claims.exp <= now) {
    issues.push({
      path: "token",
      message: `the access token expired at ${caller.expiresAt?.toISOString()} — get a new one`,
    });
  }
  if ("link_with" in input.body) {
    if (!isManagement) {
      if (!scopes.includes("update:current_user_identities")) {
        issues.push({
          path: "token",
          message:
            "the access token lacks update:users or update:current_user_identities — request one of these scopes",
        });
      } else if (claims.sub !== input.primary) {
        issues.push({
          path: "token",
          message: `the token belongs to ${claims.sub ?? "no user"}, not the primary ${input.primary} — a user's token can only link into its own account`,
        });
      }
    }
    issues.push(...checkLinkWith(input.body.link_with, caller, now));
  } else if (!isManagement) {
    issues.push({
      path: "token",
      message: scopes.includes("update:current_user_identities")
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
  const now = (input.now ?? new Date()).getTime() / 1000;
  const claims = decode(input.token);
  if (!claims) {
    return {
      issues: [
        {
          path: "token",
          message:
            "the access token is not a JWT — use a Management API token or the primary user's access token",
        },
      ],
      caller: undefined,
    };
  }
  const caller = callerOf(claims);
  const issues: Issue[] = [];
  if (claims.exp !== undefined && claims.exp <= now) {
    issues.push({
      path: "token",
      message: `the access token expired at ${caller.expiresAt?.toISOString()} — get a new one`,
    });
  }
  if (caller.kind !== "management") {
    if (!caller.scopes.includes("update:current_user_identities")) {
      issues.push({
        path: "token",
        message:
          "the access token lacks update:users or update:current_user_identities — request one of these scopes",
      });
    } else if (claims.sub !== input.primary) {
      issues.push({
        path: "token",
        message: `the token belongs to ${claims.sub ?? "no user"}, not the primary ${input.primary} — a user's token can only unlink from its own account`,
      });
    }
  }
  return { issues, caller };
}

function callerOf(claims: JWTPayload): CallerToken {
  const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
  return {
    kind: scopes.includes("update:users") ? "management" : "current-user",
    scopes,
    sub: claims.sub,
    azp: typeof claims.azp === "string" ? claims.azp : undefined,
    iss: claims.iss,
    expiresAt: claims.exp === undefined ? undefined : new Date(claims.exp * 1000),
  };
}

function checkLinkWith(linkWith: string, caller: CallerToken, now: number): Issue[] {
  const claims = decode(linkWith);
  if (!claims)
    return [{ path: "link_with", message: "link_with is not a JWT — pass the secondary account's ID token" }];
  const issues: Issue[] = [];
  const alg = decodeProtectedHeader(linkWith).alg;
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

function decode(token: string): JWTPayload | undefined {
  try {
    decodeProtectedHeader(token);
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}
