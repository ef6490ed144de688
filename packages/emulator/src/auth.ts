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

const invalidToken = () => new ApiError(401, "Invalid token.");

/** Checks `Authorization: Bearer <jwt>` the way the Management API does; throws Auth0's 401 answers. */
export async function authenticate(ctx: TokenContext, authorization: string | undefined): Promise<Caller> {
  // Auth0's observed wording for a missing or non-Bearer header (not listed in the spec).
  if (!authorization) throw new ApiError(401, "Missing authentication");
  const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
  const token = match?.[1];
  if (!token) throw new ApiError(401, "Bad HTTP authentication header format");
  const result = await verifyToken(ctx, token, { issuer: true, audience: ctx.managementAudience });
  if (!result.ok) {
    if (result.failure === "signature") {
      throw new ApiError(401, "Invalid signature received for JSON Web Token validation.");
    }
    // Auth0's observed wording for an expired token; other failures answer the spec's "Invalid token.".
    if (result.failure === "expired") {
      throw new ApiError(401, "Expired token received for JSON Web Token validation.");
    }
    throw invalidToken();
  }
  const { payload } = result;
  if (typeof payload.sub !== "string" || payload.sub === "") throw invalidToken();
  const scope = typeof payload.scope === "string" ? payload.scope : "";
  return {
    sub: payload.sub,
    azp: typeof payload.azp === "string" ? payload.azp : undefined,
    scopes: new Set(scope.split(" ").filter(Boolean)),
    payload,
  };
}

export const insufficientScope = (message: string): ApiError =>
  new ApiError(403, message, "insufficient_scope");

export const subjectMismatch = (): ApiError =>
  new ApiError(403, "User to be acted on does not match subject in bearer token.");

/**
 * Grants an operation to a caller holding one of `fullScopes`, or to the user themself through `selfScope`;
 * otherwise throws Auth0's 403.
 */
export function authorize(
  caller: Caller,
  targetUserId: string,
  rule: { fullScopes: string[]; selfScope?: string; message: string },
): "full" | "self" {
  if (rule.fullScopes.some((scope) => caller.scopes.has(scope))) return "full";
  if (rule.selfScope && caller.scopes.has(rule.selfScope)) {
    if (caller.sub !== targetUserId) throw subjectMismatch();
    return "self";
  }
  throw insufficientScope(rule.message);
}
