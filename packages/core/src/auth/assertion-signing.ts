import { type CryptoKey, importPKCS8, SignJWT } from "jose";
import { ValidationError } from "../present/errors.ts";
import { checkSigningKeyPem, type SigningAlg } from "./client-assertion.ts";

// Signing client assertions (Private Key JWT) with jose: apart from client-assertion.ts's checks, so a build that
// never signs (the web demo's page) can leave jose's signing out.

// Auth0 accepts an assertion living at most five minutes; its own SDK signs for two ("2mins", node-auth0's
// addClientAuthentication). One minute is what Auth0's guide recommends for a one-time token.
const assertionLifetimeSeconds = 60;

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
