import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

export const alice = "auth0|64f1a2b3c4d5e6f708192a3b";
export const aliceGoogle = "google-oauth2|108234567890123456789";
export const aliceEmail = "alice.martin@example.com";
export const bob = "auth0|64f1a2b3c4d5e6f708192a4c";
export const jane = "auth0|65a0b1c2d3e4f5061728394a";
export const janeSaml = "samlp|acme-saml|jdoe@acme.example";
export const janeEmail = "jdoe@acme.example";

export interface SessionOptions {
  secret: string;
  /** The tenant's origin: `iss` is its host, `continue_uri` its /continue unless given. */
  tenant: string;
  current?: { user_id: string; provider: string; connection: string };
  candidates?: { user_id: string; provider: string; connection: string; email: string }[];
  continueUri?: string;
  allowSkip?: boolean;
  /** Seconds from now (negative: already expired). */
  expiresIn?: number;
  iat?: number;
  iss?: string;
  /** `sub`, when it should not be the current identity's id. */
  sub?: string;
  /** Claims laid over the payload last. */
  claims?: Record<string, unknown>;
}

/** The session token the post-login Action signs (api.redirect.encodeToken: HS256, sub, iss, exp, iat, ip). */
export function signSession(options: SessionOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const current = options.current ?? {
    user_id: aliceGoogle,
    provider: "google-oauth2",
    connection: "google-oauth2",
  };
  const candidates = options.candidates ?? [
    { user_id: alice, provider: "auth0", connection: "Username-Password-Authentication", email: aliceEmail },
  ];
  return new SignJWT({
    ip: "127.0.0.1",
    current_identity: current,
    candidate_identities: candidates,
    continue_uri: options.continueUri ?? `${options.tenant}/continue`,
    allow_skip: options.allowSkip ?? true,
    ...options.claims,
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.sub ?? current.user_id)
    .setIssuer(options.iss ?? new URL(options.tenant).host)
    .setIssuedAt(options.iat ?? now)
    .setExpirationTime(now + (options.expiresIn ?? 120))
    .sign(new TextEncoder().encode(options.secret));
}

/** A token whose payload was changed after signing (the signature kept). */
export function tamper(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
  change(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
}

/** A stand-in tenant's signing key and JWKS, for ID tokens a test shapes claim by claim. */
export async function fakeTenantKeys() {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const other = await generateKeyPair("RS256");
  return {
    getKey: createLocalJWKSet({ keys: [jwk] }),
    /** An ID token as the tenant issues it after a sign-in, with `claims` laid over. */
    idToken(
      options: { sub: string; issuer: string; audience: string; authTime?: number; expiresIn?: number },
      claims: Record<string, unknown> = {},
      signedBy: "tenant" | "other" = "tenant",
    ): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ auth_time: options.authTime ?? now, email: aliceEmail, ...claims })
        .setProtectedHeader({ alg: "RS256", kid: "test-key", typ: "JWT" })
        .setSubject(options.sub)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresIn ?? 3600))
        .sign(signedBy === "tenant" ? privateKey : other.privateKey);
    },
  };
}
