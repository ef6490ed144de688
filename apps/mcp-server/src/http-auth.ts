import { createHash, timingSafeEqual } from "node:crypto";
import { echo } from "@idlink/core/startup";
import { type AuthInfo, getOAuthProtectedResourceMetadataUrl } from "@modelcontextprotocol/server";
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { scopes } from "./caller.ts";

/**
 * Who may call idlink-mcp over HTTP. `bearer`: one static token, for development on loopback. `oauth`: the server is
 * an OAuth protected resource (MCP authorization, 2025-11-25 and 2026-07-28) whose authorization server is the Auth0
 * tenant `issuer` (`https://TENANT/`, exactly as Auth0 writes `iss`); `resource` is the server's public URL, its
 * RFC 8707 resource identifier and the `audience` its tokens carry (default: the URL it listens on).
 */
export type HttpAuthConfig =
  | { kind: "bearer"; token: string }
  | { kind: "oauth"; issuer: string; resource: string | undefined };

/** An HTTP answer the server sends as it is. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Whether a request may go on: who is calling (for the debug trail) and, over OAuth, the verified token. */
export type Admission = { ok: true; caller: string; authInfo?: AuthInfo } | { ok: false; answer: Answer };

export interface HttpAuth {
  /** Host names a request may carry besides loopback ones: the public resource's, behind a gateway. */
  hostnames: string[];
  /** What guards the door, for the start-up line. */
  summary: string;
  /** The protected-resource metadata document when `path` is its URL's path; undefined for any other path. */
  metadata(method: string, path: string): Answer | undefined;
  /** Checks a request's `Authorization` header. Never echoes the token. */
  admit(authorization: string | undefined): Promise<Admission>;
}

export interface OAuthOptions {
  /** What fetches the tenant's JWKS (tests inject one; the server uses the global fetch). */
  fetch?: typeof fetch;
  /**
   * Milliseconds after a JWKS fetch during which a token signed with an unknown key does not fetch it again: jose's
   * 30 s by default, so a burst of forged `kid`s cannot hammer the tenant (json-web-key-sets.mdx, below).
   */
  jwksCooldownMs?: number;
  /** The clock `exp` and `nbf` are read against (milliseconds since the epoch). */
  now?: () => number;
}

/** Seconds of clock difference tolerated on `exp` and `nbf`. */
export const clockSkewSeconds = 60;

/** Builds the guard of the HTTP endpoint `url` (`http://127.0.0.1:PORT/mcp`, the resource when none is set). */
export function createHttpAuth(config: HttpAuthConfig, url: string, options: OAuthOptions = {}): HttpAuth {
  return config.kind === "bearer"
    ? staticBearer(config.token)
    : oauthResource(config.issuer, config.resource ?? url, options);
}

/** The debug trail's line for one request: who called, and what (never the token). */
export function callLine(caller: string, body: Uint8Array): string {
  let what = "a body that is not one JSON-RPC message";
  try {
    const message: unknown = JSON.parse(Buffer.from(body).toString("utf8"));
    if (isRecord(message) && typeof message.method === "string") {
      const name = isRecord(message.params) ? message.params.name : undefined;
      what = typeof name === "string" ? `${echo(message.method)} ${echo(name)}` : echo(message.method);
    }
  } catch {
    // Not JSON: the SDK answers it; the line says so.
  }
  return `call by ${caller}: ${what}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The static bearer: loopback development only (src/env.ts refuses it with a non-loopback --host).

function staticBearer(token: string): HttpAuth {
  const expected = digest(token);
  const refusal = answer(
    401,
    { "www-authenticate": 'Bearer realm="idlink-mcp"' },
    {
      error: "invalid_token",
      error_description:
        "send Authorization: Bearer <IDLINK_MCP_HTTP_TOKEN> — the static bearer is for development on loopback; remote agents sign in with OAuth (README, Remote agents over OAuth)",
    },
  );
  return {
    hostnames: [],
    summary: "static bearer IDLINK_MCP_HTTP_TOKEN (development on loopback)",
    metadata: () => undefined,
    async admit(authorization) {
      const sent = bearerToken(authorization);
      // Hashing first gives equal-length buffers, so the comparison takes the same time whatever was sent.
      return sent !== undefined && timingSafeEqual(digest(sent), expected)
        ? { ok: true, caller: "the static bearer" }
        : { ok: false, answer: refusal };
    },
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

// ---------------------------------------------------------------------------------------------------------------
// OAuth: the tenant is the authorization server, this server a protected resource.

/** Why a token is refused (401 invalid_token) or cannot be checked (503: the tenant's keys are out of reach). */
class Refused extends Error {
  override name = "Refused" as const;
  constructor(
    readonly status: 401 | 503,
    message: string,
  ) {
    super(message);
  }
}

function oauthResource(issuer: string, resource: string, options: OAuthOptions): HttpAuth {
  // RFC 9728 §3.1: the metadata sits at the well-known path with the resource's path after it
  // (`/.well-known/oauth-protected-resource/mcp`); the MCP specification (2025-11-25 basic/authorization.mdx,
  // 2026-07-28 basic/authorization/authorization-server-discovery.mdx) names both this and the root location.
  const metadataUrl = getOAuthProtectedResourceMetadataUrl(new URL(resource));
  const metadataPath = new URL(metadataUrl).pathname;
  const document = JSON.stringify({
    resource,
    authorization_servers: [issuer],
    scopes_supported: [scopes.read, scopes.link],
    bearer_methods_supported: ["header"],
    resource_name: "idlink-mcp",
  });
  // Least privilege (MCP 2026-07-28 basic/authorization/index.mdx, "Scope Selection Strategy"): a client signs in
  // for reading; the writes answer 403 insufficient_scope naming link:identities, and the client steps up.
  const challenge = (error?: { code: string; description: string }) =>
    [
      "Bearer",
      [
        ...(error ? [`error="${error.code}"`, `error_description="${headerText(error.description)}"`] : []),
        `scope="${scopes.read}"`,
        `resource_metadata="${metadataUrl}"`,
      ].join(", "),
    ].join(" ");
  // The tenant's keys: Auth0 publishes them at https://{yourDomain}/.well-known/jwks.json; cache them, fetch again
  // on an unknown `kid`, and limit such refetches (auth0/docs-v2 main/docs/secure/tokens/json-web-tokens/
  // json-web-key-sets.mdx @ 1a4096e899bd8958025a92f68c4bae416746deb8, "Cache the JSON Web Key Set"). jose keeps
  // them 10 minutes and refetches on an unknown kid at most every cooldown; any failure to fetch fails closed.
  const jwksUrl = `${issuer}.well-known/jwks.json`;
  const jwks = createRemoteJWKSet(new URL(jwksUrl), {
    [customFetch]: checkedFetch(options.fetch ?? fetch, jwksUrl),
    ...(options.jwksCooldownMs === undefined ? {} : { cooldownDuration: options.jwksCooldownMs }),
  });

  async function verify(token: string): Promise<JWTPayload> {
    let alg: unknown;
    let claims: JWTPayload;
    try {
      if (token.split(".").length !== 3) throw new Error("not three parts");
      alg = decodeProtectedHeader(token).alg;
      claims = decodeJwt(token);
    } catch {
      throw new Refused(401, "the access token is not a JWT (header.payload.signature)");
    }
    // Checked before the signature, so that a token of another tenant or algorithm never fetches keys: Auth0
    // signs access tokens for APIs with the tenant's RS256 key (json-web-key-sets.mdx) and writes `iss` as the
    // domain the token was obtained from (main/docs/customize/custom-domains/configure-features-to-use-custom-
    // domains.mdx @ 1a4096e8…, "APIs": "Auth0 issues tokens with the iss claim of whichever domain you used").
    if (alg !== "RS256") {
      throw new Refused(
        401,
        `the access token is signed with ${typeof alg === "string" ? echo(alg) : "no algorithm"}, but ${issuer} signs with RS256 — get a token from ${issuer}`,
      );
    }
    if (claims.iss !== issuer) {
      throw new Refused(
        401,
        `the access token was issued by ${typeof claims.iss === "string" ? echo(claims.iss, 100) : "no issuer (iss)"}, not by ${issuer}, this server's authorization server — sign in with ${issuer} (the resource metadata names it)`,
      );
    }
    try {
      const { payload } = await jwtVerify(token, jwks, {
        algorithms: ["RS256"],
        issuer,
        // Auth0: "At least one of the audience values for the token must match the unique identifier of the
        // target API" (main/docs/secure/tokens/access-tokens/validate-access-tokens.mdx @ 0cb5a090…); the MCP
        // specification: the audience is this server (RFC 8707).
        audience: resource,
        clockTolerance: clockSkewSeconds,
        requiredClaims: ["exp", "sub"],
        ...(options.now ? { currentDate: new Date(options.now()) } : {}),
      });
      return payload;
    } catch (error) {
      throw refusal(error, claims);
    }
  }

  function refusal(error: unknown, claims: JWTPayload): Refused {
    if (error instanceof Refused) return error;
    if (error instanceof errors.JWTExpired) {
      return new Refused(
        401,
        `the access token expired at ${when(claims.exp)} (${clockSkewSeconds} s of clock skew allowed) — refresh it or sign in again`,
      );
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === "aud") {
        return new Refused(
          401,
          `the access token is for ${audiences(claims.aud)}, not for this server — ask ${issuer} for a token with resource=${resource}`,
        );
      }
      if (error.claim === "nbf") {
        return new Refused(
          401,
          `the access token is not valid before ${when(claims.nbf)} — check the clocks`,
        );
      }
      if (error.reason === "missing") {
        return new Refused(
          401,
          `the access token has no ${echo(error.claim)} claim — get a token from ${issuer}`,
        );
      }
      return new Refused(
        401,
        `the access token's ${echo(error.claim)} claim is invalid — get a token from ${issuer}`,
      );
    }
    if (error instanceof errors.JWKSNoMatchingKey) {
      return new Refused(
        401,
        `the access token is signed with a key ${jwksUrl} does not hold — get a token from ${issuer}`,
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return new Refused(401, `the access token's signature does not verify with the keys of ${issuer}`);
    }
    if (error instanceof errors.JWKSInvalid) {
      return new Refused(503, keysUnavailable(jwksUrl, "its answer is not a JSON Web Key Set"));
    }
    return new Refused(401, "the access token is not a valid JWT");
  }

  return {
    hostnames: [new URL(resource).hostname],
    summary: `OAuth: access tokens of ${issuer} for ${resource}`,
    metadata(method, path) {
      if (path !== metadataPath) return undefined;
      if (method !== "GET" && method !== "HEAD") {
        return answer(
          405,
          { allow: "GET, HEAD" },
          { error_description: "the protected-resource metadata is read with GET" },
        );
      }
      return { status: 200, headers: { "content-type": "application/json" }, body: document };
    },
    async admit(authorization) {
      const token = bearerToken(authorization);
      if (token === undefined) {
        // RFC 6750 §3.1: a request without credentials gets the challenge without an error code.
        return {
          ok: false,
          answer: answer(
            401,
            { "www-authenticate": challenge() },
            {
              error_description: `send Authorization: Bearer <access token>, a token of ${issuer} for ${resource} — the resource metadata (${metadataUrl}) says how to get one`,
            },
          ),
        };
      }
      try {
        const payload = await verify(token);
        const sub = String(payload.sub);
        const clientId = typeof payload.azp === "string" ? payload.azp : String(payload.client_id ?? "");
        const granted = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [];
        return {
          ok: true,
          // Values of a verified token (the tenant's, not the caller's words), quoted so no line break gets through.
          caller: `${quoted(sub)} (client ${quoted(clientId)}, scope ${quoted(granted.join(" "))})`,
          authInfo: {
            token,
            clientId,
            scopes: granted,
            ...(typeof payload.exp === "number" ? { expiresAt: payload.exp } : {}),
            resource: new URL(resource),
            resourceMetadataUrl: metadataUrl,
            extra: { sub },
          },
        };
      } catch (error) {
        // verify() throws only Refused; anything else is a fault of this module, refused all the same.
        const refused =
          error instanceof Refused ? error : new Refused(401, "the access token is not a valid JWT");
        if (refused.status === 503) {
          // Not the token's fault: no challenge, so the client does not sign in again for nothing.
          return {
            ok: false,
            answer: answer(
              503,
              { "retry-after": "30" },
              { error: "server_error", error_description: refused.message },
            ),
          };
        }
        const description = refused.message;
        return {
          ok: false,
          answer: answer(
            401,
            { "www-authenticate": challenge({ code: "invalid_token", description }) },
            { error: "invalid_token", error_description: description },
          ),
        };
      }
    },
  };
}

/** A JWKS fetch that says why it failed, and fails on anything but 200 with JSON (fail closed). */
function checkedFetch(fetchImpl: typeof fetch, jwksUrl: string): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await fetchImpl(input, init);
    } catch (error) {
      throw new Refused(503, keysUnavailable(jwksUrl, networkReason(error)));
    }
    if (response.status !== 200) {
      throw new Refused(503, keysUnavailable(jwksUrl, `it answered ${response.status}`));
    }
    const text = await response.text().catch((error: unknown) => {
      throw new Refused(503, keysUnavailable(jwksUrl, networkReason(error)));
    });
    try {
      JSON.parse(text);
    } catch {
      throw new Refused(503, keysUnavailable(jwksUrl, "its answer is not JSON"));
    }
    return new Response(text, { status: 200, headers: { "content-type": "application/json" } });
  };
}

function keysUnavailable(jwksUrl: string, why: string): string {
  return `cannot check the access token: the tenant's signing keys (${jwksUrl}) could not be fetched — ${why}; nothing was done, try again once the server reaches the tenant`;
}

function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "no answer in time";
  const cause = error instanceof Error && isRecord(error.cause) ? error.cause : undefined;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  return code ? `the connection failed (${code})` : "the connection failed";
}

// ---------------------------------------------------------------------------------------------------------------

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or undefined for anything else. */
function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
}

function answer(status: number, headers: Record<string, string>, body: Record<string, string>): Answer {
  return { status, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** A header's quoted-string holds printable ASCII only, without `"` or `\` (RFC 6750 §3's error_description). */
function headerText(text: string): string {
  return text
    .replaceAll("—", "-")
    .replaceAll(/["\\]/g, "'")
    .replaceAll(/[^\x20-\x7e]/g, " ");
}

/** A value of a verified token in the debug trail: a JSON string of at most 200 characters. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
}

function when(seconds: unknown): string {
  return typeof seconds === "number" && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString()
    : "an unreadable time";
}

function audiences(aud: unknown): string {
  const list = Array.isArray(aud) ? aud : [aud];
  const named = list.filter((a): a is string => typeof a === "string").map((a) => echo(a, 100));
  return named.length > 0 ? named.join(", ") : "no audience (aud)";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
