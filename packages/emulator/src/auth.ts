import type { JWTPayload } from "jose";
import { ApiError } from "./errors.ts";
import { type TokenContext, verifyToken } from "./tokens.ts";

/** Whoever a valid Management API bearer token speaks for. */
export interface Caller {
  sub: string;
  azp: string | undefined;
  scopes: Set<string>;
  payload: JWTPayload;
}

// Observed answers (packages/emulator/fidelity/corpus.json): no header is a 401 without errorCode; a header that
// is not "Bearer <JWT>" is a 400 whose errorCode is the scheme; a JWT the API refuses is a 401 with `attributes`.
const missingAuthentication = () => new ApiError(401, "Missing authentication");
const badHeaderFormat = () => new ApiError(400, "Bad HTTP authentication header format", "Bearer");
// The `attributes` field is observed on "Invalid token"; on the other two messages it is modelled the same way.
const tokenRefused = (message: string) =>
  new ApiError(
    401,
    message,
    undefined,
    { attributes: { error: message } },
    {
      "www-authenticate": `Token error="${message}"`,
    },
  );

/** Checks `Authorization: Bearer <jwt>` the way the Management API does; throws Auth0's 400/401 answers. */
export async function authenticate(ctx: TokenContext, authorization: string | undefined): Promise<Caller> {
  // hapi's bearer scheme, in its order: missing → 401; not two words → 400; another scheme → 401; not a JWT → 400.
  if (!authorization) throw missingAuthentication();
  const parts = authorization.split(/\s+/);
  if (parts.length !== 2) throw badHeaderFormat();
  const [scheme = "", token = ""] = parts;
  if (scheme.toLowerCase() !== "bearer") throw missingAuthentication();
  if (token.split(".").length !== 3) throw badHeaderFormat();
  const result = await verifyToken(ctx, token, { issuer: true });
  if (!result.ok) {
    if (result.failure === "signature") {
      throw tokenRefused("Invalid signature received for JSON Web Token validation.");
    }
    if (result.failure === "expired")
      throw tokenRefused("Expired token received for JSON Web Token validation");
    throw tokenRefused("Invalid token");
  }
  const { payload } = result;
  const audiences = [payload.aud ?? []].flat();
  // An ID token (its aud is one of the tenant's clients) is refused as "Invalid token", with no audience named
  // (observed, community.auth0.com thread 11660: an ID token sent to the Management API). Tenants that still had
  // the legacy "Allow ID Tokens for Management API v2 Authentication" flag accepted them (auth0/nextjs-auth0 issue
  // 254, 2021); the emulator's tenant does not have it.
  if (audiences.some((aud) => typeof aud === "string" && ctx.isClientId?.(aud)))
    throw tokenRefused("Invalid token");
  // A token of this tenant for another API (or minted for a custom domain's audience): Auth0 names the token's aud
  // (observed: node-auth0 issue 787, "Unauthorized: Bad audience: https://myaudience.com/api/v2"; the join of an
  // array aud is modelled).
  if (!audiences.includes(ctx.managementAudience)) throw tokenRefused(`Bad audience: ${audiences.join(" ")}`);
  if (typeof payload.sub !== "string" || payload.sub === "") throw tokenRefused("Invalid token");
  const scope = typeof payload.scope === "string" ? payload.scope : "";
  return {
    sub: payload.sub,
    azp: typeof payload.azp === "string" ? payload.azp : undefined,
    scopes: new Set(scope.split(" ").filter(Boolean)),
    payload,
  };
}

/**
 * Auth0's 403 for a token without any of `scopes`: "Insufficient scope, expected any of: a,b" — the list joined by a
 * bare comma, as hapi writes an array into a string (observed: auth0/nextjs-auth0 issue 254, "expected any of:
 * read:users,read:current_user,read:user_idp_tokens"; hapijs/hapi issue 2028 gives the wording).
 */
export const insufficientScope = (scopes: readonly string[]): ApiError =>
  new ApiError(403, `Insufficient scope, expected any of: ${scopes.join(",")}`, "insufficient_scope");

export const subjectMismatch = (): ApiError =>
  new ApiError(403, "User to be acted on does not match subject in bearer token.");

/**
 * Grants an operation to a caller holding one of `fullScopes`, or to the user themself through `selfScope`;
 * otherwise throws Auth0's 403, listing the scopes in `listed` order (by default the full scopes, then the self one).
 */
export function authorize(
  caller: Caller,
  targetUserId: string,
  rule: { fullScopes: string[]; selfScope?: string; listed?: string[] },
): "full" | "self" {
  if (rule.fullScopes.some((scope) => caller.scopes.has(scope))) return "full";
  if (rule.selfScope && caller.scopes.has(rule.selfScope)) {
    if (caller.sub !== targetUserId) throw subjectMismatch();
    return "self";
  }
  throw insufficientScope(
    rule.listed ?? (rule.selfScope ? [...rule.fullScopes, rule.selfScope] : rule.fullScopes),
  );
}
