import { type CryptoKey, importPKCS8, SignJWT } from "jose";
import { type Parsed, ValidationError } from "./errors.ts";

/**
 * The algorithms Auth0 accepts for a Private Key JWT credential (auth0-cli's `--client-assertion-signing-alg`:
 * RS256, RS384, PS256). RS256 is the default of Auth0's Node SDK (`clientAssertionSigningAlg`).
 */
export const signingAlgs = ["RS256", "RS384", "PS256"] as const;
export type SigningAlg = (typeof signingAlgs)[number];

/** RFC 7523's `client_assertion_type` for a JWT client assertion. */
export const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// Auth0 accepts an assertion living at most five minutes; its own SDK signs for two ("2mins", node-auth0's
// addClientAuthentication). One minute is what Auth0's guide recommends for a one-time token.
const assertionLifetimeSeconds = 60;

/** Parses `AUTH0_CLIENT_ASSERTION_SIGNING_ALG` (or a profile's `signingAlg`); `source` names it in the message. */
export function parseSigningAlg(value: string, source: string): Parsed<SigningAlg> {
  const alg = value.trim().toUpperCase();
  const known: readonly string[] = signingAlgs;
  if (known.includes(alg)) return { ok: true, value: alg as SigningAlg };
  return {
    ok: false,
    issues: [
      {
        path: source,
        message: `${source} must be one of ${signingAlgs.join(", ")} (the algorithm of the credential registered in Auth0), not "${value.trim().slice(0, 16)}"`,
      },
    ],
  };
}

/**
 * Checks a PEM private key's shape before it is used, so a bad key fails with a message naming where it came from
 * (`source`: an environment variable or a file) — never the key itself. Only PKCS#8 is accepted, as by Auth0's Node
 * SDK (jose's importPKCS8).
 */
export function checkSigningKeyPem(pem: string, source: string): Parsed<string> {
  const fail = (message: string): Parsed<string> => ({ ok: false, issues: [{ path: source, message }] });
  const text = pem.trim();
  if (text === "")
    return fail(`${source} is empty — give the PEM private key of the Private Key JWT credential`);
  if (/-----BEGIN (RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text)) {
    return fail(
      `${source} holds a public key or certificate — give the private key; the public key is what you register in Auth0`,
    );
  }
  if (text.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.includes("Proc-Type: 4,ENCRYPTED")) {
    return fail(
      `${source} holds a passphrase-protected key — decrypt it first (openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem)`,
    );
  }
  if (text.includes("-----BEGIN RSA PRIVATE KEY-----")) {
    return fail(
      `${source} holds a PKCS#1 key (BEGIN RSA PRIVATE KEY) — convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pkcs8.pem`,
    );
  }
  if (!/^-----BEGIN PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]+-----END PRIVATE KEY-----$/.test(text)) {
    return fail(
      `${source} is not a PEM private key — it must hold "-----BEGIN PRIVATE KEY-----", base64 lines and "-----END PRIVATE KEY-----"`,
    );
  }
  return { ok: true, value: text };
}

/** A signing key ready to sign client assertions: imported once, named by its source. */
export interface SigningKey {
  key: CryptoKey;
  alg: SigningAlg;
}

/** Imports a PEM private key for `alg`; throws a ValidationError naming `source` (never echoing the key). */
export async function importSigningKey(pem: string, alg: SigningAlg, source: string): Promise<SigningKey> {
  const checked = checkSigningKeyPem(pem, source);
  if (!checked.ok) throw new ValidationError(checked.issues, "client assertion signing key");
  try {
    return { key: await importPKCS8(checked.value, alg, { extractable: false }), alg };
  } catch {
    throw new ValidationError(
      [
        {
          path: source,
          message: `${source} is not an RSA private key usable with ${alg} — give the RSA key whose public half is registered in Auth0 (or set the algorithm it was registered with)`,
        },
      ],
      "client assertion signing key",
    );
  }
}

/**
 * Signs a client assertion as Auth0's "Authenticate with Private Key JWT" describes: `iss` = `sub` = the client id,
 * `aud` = the tenant (or custom domain) URL with its trailing slash, a unique `jti`, `iat`, and an `exp` one minute
 * away. https://auth0.com/docs/get-started/authentication-and-authorization-flow/authenticate-with-private-key-jwt
 */
export function signClientAssertion(input: {
  clientId: string;
  /** The origin that receives the assertion, `https://tenant.auth0.com`. */
  origin: string;
  signingKey: SigningKey;
}): Promise<string> {
  const { clientId, origin, signingKey } = input;
  return new SignJWT({})
    .setProtectedHeader({ alg: signingKey.alg, typ: "JWT" })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(`${origin}/`)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${assertionLifetimeSeconds}s`)
    .sign(signingKey.key);
}
