import type { ManagementClient, TenantKey } from "../http/client.ts";
import type { Issue } from "../present/errors.ts";
import { base64urlBytes, decodeUnverified } from "./tokens.ts";

/**
 * Checks `link_with`'s signature against the tenant's keys, as Auth0 will before linking (it answers 400 "Invalid
 * token" for an ID token it did not sign): RS256 (the only algorithm `preflightLink` lets through) with the key of its
 * `kid`, by WebCrypto, so the check runs in a browser too. The keys come from `client.tenantKeys()` (fetched once a
 * client, again when a `kid` is not among them: keys rotate). Issues at `link_with` when the signature is not the
 * tenant's; none when it is, or when the keys cannot be had (then Auth0 decides, as before).
 */
export async function checkLinkWithSignature(
  client: Pick<ManagementClient, "tenantKeys">,
  idToken: string,
): Promise<Issue[]> {
  const decoded = decodeUnverified(idToken);
  if (decoded?.alg !== "RS256") return [];
  const { kid } = decoded;
  const [headerPart, payloadPart, signaturePart = ""] = idToken.split(".");
  const pick = (keys: TenantKey[]) =>
    keys.find((k) => k.kty === "RSA" && (kid === undefined || k.kid === kid) && (k.use ?? "sig") === "sig");
  const known = await client.tenantKeys().catch(() => undefined);
  if (known === undefined) return [];
  let key = pick(known);
  if (!key) {
    const fresh = await client.tenantKeys({ refresh: true }).catch(() => undefined);
    if (fresh === undefined) return [];
    key = pick(fresh);
  }
  if (!key?.n || !key.e) {
    return [
      {
        path: "link_with",
        message: `link_with was not signed by this tenant (no key${kid ? ` ${kid}` : ""} in its JWKS) — sign the secondary in again through an application of this tenant and pass that ID token`,
      },
    ];
  }
  const verified = await verifyRs256(key, `${headerPart}.${payloadPart}`, signaturePart).catch(() => false);
  return verified
    ? []
    : [
        {
          path: "link_with",
          message:
            "link_with's signature does not verify with the tenant's key — the token was altered or signed elsewhere; sign the secondary in again and pass the ID token as issued",
        },
      ];
}

async function verifyRs256(key: TenantKey, signed: string, signature: string): Promise<boolean> {
  const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const publicKey = await crypto.subtle.importKey(
    "jwk",
    { kty: "RSA", n: key.n, e: key.e, ext: true },
    algorithm,
    false,
    ["verify"],
  );
  return crypto.subtle.verify(
    algorithm,
    publicKey,
    base64urlBytes(signature) ?? new Uint8Array(0),
    new TextEncoder().encode(signed),
  );
}
