import { errors, type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { SigningKeys } from "./keys.ts";

/** What an emulator needs to mint and check its own tokens. */
export interface TokenContext {
  keys: SigningKeys;
  issuer: string;
  managementAudience: string;
  ttlSeconds: number;
  /** Whether `id` is one of the tenant's client ids (an ID token's `aud` is one). */
  isClientId?: (id: string) => boolean;
}

export interface MintOptions {
  sub: string;
  aud: string | string[];
  expiresIn?: number;
  claims?: Record<string, unknown>;
}

export async function signToken(ctx: TokenContext, o: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ctx.issuer,
    sub: o.sub,
    aud: o.aud,
    iat: now,
    exp: now + (o.expiresIn ?? ctx.ttlSeconds),
    ...o.claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: ctx.keys.kid })
    .sign(ctx.keys.privateKey);
}

/** Why a JWT was refused; the route layer turns each kind into Auth0's wording for its context. */
export type JwtFailure = "malformed" | "alg" | "signature" | "expired" | "claims";

export type VerifyResult = { ok: true; payload: JWTPayload } | { ok: false; failure: JwtFailure };

function protectedHeader(token: string): Record<string, unknown> | undefined {
  const [header, payload, signature] = token.split(".");
  if (header === undefined || payload === undefined || signature === undefined) return undefined;
  if (token.split(".").length !== 3 || payload === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies an RS256 JWT against the tenant's own key, and `iss`/`aud` when asked to. */
export async function verifyToken(
  ctx: TokenContext,
  token: string,
  expect: { issuer: boolean; audience?: string },
): Promise<VerifyResult> {
  const header = protectedHeader(token);
  if (!header) return { ok: false, failure: "malformed" };
  // Checked before jose so that `none` and HS256-signed-with-the-public-key never reach a verifier.
  if (header.alg !== "RS256") return { ok: false, failure: "alg" };
  try {
    const { payload } = await jwtVerify(token, ctx.keys.publicKey, {
      algorithms: ["RS256"],
      ...(expect.issuer ? { issuer: ctx.issuer } : {}),
      ...(expect.audience === undefined ? {} : { audience: expect.audience }),
    });
    return { ok: true, payload };
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) return { ok: false, failure: "signature" };
    if (error instanceof errors.JWTExpired) return { ok: false, failure: "expired" };
    if (error instanceof errors.JWTClaimValidationFailed) return { ok: false, failure: "claims" };
    return { ok: false, failure: "malformed" };
  }
}
