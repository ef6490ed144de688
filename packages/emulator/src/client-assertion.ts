import { compactVerify, decodeJwt, decodeProtectedHeader, importSPKI, type JWTPayload } from "jose";
import { OAuthError } from "./errors.ts";
import type { Client, ClientCredential } from "./seed.ts";
import type { Store } from "./store.ts";

export const jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// From Auth0's "Authenticate with Private Key JWT": a lifetime of at most 5 minutes, 10 s of clock skew for iat and
// nbf, and at most 64 characters for iss, sub and jti and 16 for alg.
const maxLifetimeSeconds = 300;
const skewSeconds = 10;
const maxIdLength = 64;
const maxAlgLength = 16;

/** The `jti`s already presented, each kept until its assertion expires: an assertion is a one-time token. */
export class UsedAssertions {
  private seen = new Map<string, number>();

  /** False when `key` was already used (and has not expired since). */
  claim(key: string, exp: number, now: number): boolean {
    for (const [k, until] of this.seen) if (until < now) this.seen.delete(k);
    if (this.seen.has(key)) return false;
    this.seen.set(key, exp);
    return true;
  }

  reset(): void {
    this.seen.clear();
  }
}

export interface AssertionDeps {
  store: Store;
  assertions: UsedAssertions;
  /** Every `aud` the tenant accepts: its URL with the trailing slash, its token endpoint, its custom domains'. */
  assertionAudiences(): string[];
}

// Only "'exp' claim must specify a time that is no more than 5 minutes after 'iat'" is observed (Auth0 community
// article 191217, as a log's client_authentication_error); every other description here is modelled.
const invalidClient = (description: string) => new OAuthError(401, "invalid_client", description);

/**
 * Authenticates the client of a `client_assertion` (Private Key JWT): the signature against a public key registered
 * on the client, alg, iss = sub = client id, aud, exp (present, at most 5 minutes), iat/nbf, and a `jti` never seen.
 */
export async function authenticateClientAssertion(
  deps: AssertionDeps,
  params: Record<string, unknown>,
): Promise<Client> {
  const { client_assertion: assertion, client_assertion_type: type, client_secret, client_id } = params;
  if (type !== jwtBearerAssertionType) {
    throw new OAuthError(
      400,
      "invalid_request",
      `client_assertion_type must be ${jwtBearerAssertionType} when a client_assertion is sent`,
    );
  }
  if (typeof assertion !== "string" || assertion === "") {
    throw new OAuthError(400, "invalid_request", "Missing required parameter: client_assertion");
  }
  if (client_secret !== undefined) {
    throw new OAuthError(
      400,
      "invalid_request",
      "client_secret and client_assertion cannot be used together",
    );
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    throw invalidClient("client_assertion is not a valid JWT");
  }
  const clientId = typeof client_id === "string" && client_id !== "" ? client_id : claims.sub;
  const client = deps.store.clients.find((c) => c.client_id === clientId);
  // Auth0's answer to an unknown client on /oauth/token.
  if (!client) throw new OAuthError(401, "access_denied", "Unauthorized");
  const credentials = client.client_authentication_methods?.private_key_jwt?.credentials ?? [];
  if (credentials.length === 0) {
    throw invalidClient("The client is not configured to authenticate with Private Key JWT");
  }
  const alg = typeof header.alg === "string" ? header.alg : "";
  if (alg.length > maxAlgLength || !credentials.some((c) => (c.alg ?? "RS256") === alg)) {
    throw invalidClient(
      `The client assertion alg must be the credential's (${algsOf(credentials)}), not "${alg.slice(0, maxAlgLength)}"`,
    );
  }
  if (!(await verifiedBy(assertion, alg, header.kid, credentials))) {
    throw invalidClient("Invalid client assertion signature");
  }
  for (const claim of ["iss", "sub"] as const) {
    const value = claims[claim];
    if (typeof value !== "string" || value.length > maxIdLength || value !== client.client_id) {
      throw invalidClient(`The client assertion '${claim}' claim must be the client id`);
    }
  }
  const audiences = [claims.aud ?? []].flat();
  const accepted = deps.assertionAudiences();
  if (!audiences.some((aud) => accepted.includes(aud))) {
    throw invalidClient(
      `The client assertion 'aud' claim must be the tenant URL with its trailing slash (${accepted[0]})`,
    );
  }
  const now = Math.floor(Date.now() / 1000);
  const { exp, iat, nbf, jti } = claims;
  if (typeof exp !== "number") throw invalidClient("The client assertion has no 'exp' claim");
  if (exp <= now - skewSeconds) throw invalidClient("The client assertion has expired");
  if (exp - (typeof iat === "number" ? iat : now) > maxLifetimeSeconds) {
    throw invalidClient("'exp' claim must specify a time that is no more than 5 minutes after 'iat'");
  }
  for (const [name, value] of [
    ["iat", iat],
    ["nbf", nbf],
  ] as const) {
    if (value !== undefined && (typeof value !== "number" || value > now + skewSeconds)) {
      throw invalidClient(`The client assertion '${name}' claim is in the future`);
    }
  }
  if (typeof jti !== "string" || jti === "" || jti.length > maxIdLength) {
    throw invalidClient("The client assertion must carry a 'jti' claim of at most 64 characters");
  }
  if (!deps.assertions.claim(`${client.client_id} ${jti}`, exp + skewSeconds, now)) {
    throw invalidClient("The client assertion 'jti' has already been used");
  }
  return client;
}

function algsOf(credentials: ClientCredential[]): string {
  return [...new Set(credentials.map((c) => c.alg ?? "RS256"))].join(", ");
}

async function verifiedBy(
  assertion: string,
  alg: string,
  kid: string | undefined,
  credentials: ClientCredential[],
): Promise<boolean> {
  const candidates = credentials.filter(
    (c) => (c.alg ?? "RS256") === alg && (kid === undefined || c.kid === undefined || c.kid === kid),
  );
  for (const credential of candidates) {
    try {
      await compactVerify(assertion, await importSPKI(credential.pem, alg), { algorithms: [alg] });
      return true;
    } catch {
      // Try the next credential (Auth0 lets an application hold two during a key rotation).
    }
  }
  return false;
}
