import { randomBytes } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from "jose";

/** The tenant's RS256 signing key, made once per emulator; verification uses the imported public key object. */
export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwks: { keys: JWK[] };
}

export async function createSigningKeys(): Promise<SigningKeys> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = randomBytes(12).toString("base64url");
  const jwk = await exportJWK(publicKey);
  return { kid, privateKey, publicKey, jwks: { keys: [{ ...jwk, kid, alg: "RS256", use: "sig" }] } };
}
