import type { Parsed } from "../present/errors.ts";

/**
 * The algorithms Auth0 accepts for a Private Key JWT credential (auth0-cli's `--client-assertion-signing-alg`:
 * RS256, RS384, PS256). RS256 is the default of Auth0's Node SDK (`clientAssertionSigningAlg`).
 */
export const signingAlgs = ["RS256", "RS384", "PS256"] as const;
export type SigningAlg = (typeof signingAlgs)[number];

/** RFC 7523's `client_assertion_type` for a JWT client assertion. */
export const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

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
