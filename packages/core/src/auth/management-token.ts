import type { components } from "../generated/authentication-api.ts";
import type { TokenContext } from "../http/client.ts";
import { type DebugSink, observeFetch } from "../http/debug.ts";
import { describeNetworkError, type FetchLike } from "../http/transport.ts";
import { isLoopback, requireTenantDomain, type TenantDomain } from "../ids/domain.ts";
import { ManagementApiError, NetworkError, ValidationError } from "../present/errors.ts";
import { redactText } from "../present/redact.ts";
import type { SigningKey } from "./assertion-signing.ts";
import { clientAssertionType, type SigningAlg } from "./client-assertion.ts";

// A machine-to-machine application's Management API token from /oauth/token (client secret or Private Key JWT),
// cached until shortly before it expires. Apart from tokens.ts's checks of a token, so a build that never fetches
// one (the web demo's page, whose tokens come from Auth0's SPA SDK) leaves it out.

type TokenResponse = components["schemas"]["TokenResponse"];

/**
 * How a machine-to-machine application proves itself on `/oauth/token`: its client secret, or (Private Key JWT, what
 * Auth0 recommends) an assertion signed with its private key — the option names are those of Auth0's Node SDK.
 */
export type ClientAuthentication = {
  clientId: string;
  /** The Management API audience; defaults to `https://{domain}/api/v2/`. Set it when `domain` is a custom domain. */
  audience?: string | undefined;
} & (
  | { clientSecret: string }
  | {
      /** PKCS#8 PEM private key whose public key is registered on the application in Auth0. */
      clientAssertionSigningKey: string;
      /** Defaults to RS256. */
      clientAssertionSigningAlg?: SigningAlg | undefined;
      /** Where the key came from (`AUTH0_CLIENT_SIGNING_KEY_PATH (./key.pem)`), for messages. */
      signingKeySource?: string | undefined;
    }
);

export type ManagementTokenOptions = ClientAuthentication & {
  /** A domain as people write it, or what `parseTenantDomain` made of one (taken as it is). */
  domain: string | TenantDomain;
  fetch?: FetchLike;
  /** Sees the token request's method, path, status and timing: never its body or the answer's token. */
  onEvent?: DebugSink;
  /** How long the token request may wait for its answer, in ms. Default 30 000 (the client's per-attempt timeout). */
  timeoutMs?: number;
};

interface CachedToken {
  token: Promise<string>;
  expiresAt: number;
}

const cache = new Map<string, CachedToken>();

/**
 * Gets a Management API token with the client-credentials grant, cached (per domain, client and audience) until a
 * minute before it expires; concurrent callers share one request. Throws ManagementApiError on a refused grant,
 * NetworkError when Auth0 cannot be reached or does not answer in time.
 */
export function getManagementToken(options: ManagementTokenOptions): Promise<string> {
  return cachedToken(
    options,
    "clientSecret" in options
      ? secretProof(options.clientSecret)
      : (origin) => assertionProof(options, origin),
  );
}

/** What proves the application on /oauth/token: its secret, or an assertion signed for the tenant's origin. */
type Proof = (origin: string) => Promise<Record<string, string>>;

const secretProof =
  (clientSecret: string): Proof =>
  async () => ({ client_secret: clientSecret });

/** Private Key JWT: a fresh assertion per token request, signed with jose (loaded only here). */
async function assertionProof(
  options: Extract<ClientAuthentication, { clientAssertionSigningKey: string }>,
  origin: string,
): Promise<Record<string, string>> {
  return {
    client_assertion: await (await signing()).signClientAssertion({
      clientId: options.clientId,
      origin,
      signingKey: await signingKeyOf(options),
    }),
    client_assertion_type: clientAssertionType,
  };
}

/** The cached token, or a request for one; a bad domain or a refused secret rejects, and nothing is sent. */
function cachedToken(options: ManagementTokenOptions, proofOf: Proof): Promise<string> {
  try {
    return cachedOrRequested(options, proofOf);
  } catch (error) {
    return Promise.reject(error);
  }
}

function cachedOrRequested(options: ManagementTokenOptions, proofOf: Proof): Promise<string> {
  const tenant = requireTenantDomain(options.domain);
  const { origin } = tenant;
  const audience = options.audience ?? tenant.managementAudience;
  if ("clientSecret" in options && isEmulatorSecret(options.clientSecret) && !isLoopback(tenant)) {
    // Copied with the emulator's environment to a real tenant: a published secret is never sent anywhere real.
    throw new ValidationError(
      [
        {
          path: "client_secret",
          message: `the client secret is the local emulator's published seed secret (emulator-only-…), refused for ${tenant.host}, which is not the emulator — give that application's own secret`,
        },
      ],
      "credentials",
    );
  }
  const proof =
    "clientSecret" in options
      ? options.clientSecret
      : [options.clientAssertionSigningKey, options.clientAssertionSigningAlg];
  const key = JSON.stringify([origin, options.clientId, audience, proof]);
  const hit = cache.get(key);
  if (hit && hit.expiresAt > Date.now()) return hit.token;
  const entry: CachedToken = { token: Promise.resolve(""), expiresAt: Number.POSITIVE_INFINITY };
  entry.token = requestToken(tenant, audience, options, proofOf).then(
    (response) => {
      const lifetimeMs = response.expires_in * 1000;
      entry.expiresAt = Date.now() + lifetimeMs - Math.min(60_000, lifetimeMs / 10);
      return response.access_token;
    },
    (error: unknown) => {
      cache.delete(key);
      throw error;
    },
  );
  cache.set(key, entry);
  return entry.token;
}

/** The emulator's seed secrets are published (its seed.json): they start so, and mean "this machine only". */
function isEmulatorSecret(secret: string): boolean {
  return secret.startsWith("emulator-only-");
}

/**
 * The token source of a client that authenticates as a machine-to-machine application:
 * `createManagementClient({ domain, getToken: clientCredentialsToken(auth) })`. Tokens come from
 * `getManagementToken` with the client's own tenant, fetch, debug trail and timeout.
 */
export function clientCredentialsToken(
  auth: ClientAuthentication,
): (context: TokenContext) => Promise<string> {
  return (context) => getManagementToken(requestOptions(auth, context));
}

/**
 * The token source of a client that authenticates with a client secret only — a post-login Action's
 * (`@idlink/core/post-login`): `clientCredentialsToken` without Private Key JWT, so a bundle of it carries no jose.
 */
export function clientSecretToken(auth: {
  clientId: string;
  clientSecret: string;
  audience?: string | undefined;
}): (context: TokenContext) => Promise<string> {
  return (context) => cachedToken(requestOptions(auth, context), secretProof(auth.clientSecret));
}

/** A token request's options from a client's context: its tenant, fetch, debug trail and timeout. */
function requestOptions(
  auth: ClientAuthentication,
  { tenant, fetch, onEvent, timeoutMs }: TokenContext,
): ManagementTokenOptions {
  return {
    ...auth,
    domain: tenant,
    fetch,
    ...(onEvent ? { onEvent } : {}),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

async function requestToken(
  tenant: TenantDomain,
  audience: string,
  options: ManagementTokenOptions,
  proofOf: Proof,
): Promise<TokenResponse> {
  const { origin } = tenant;
  const fetchImpl = observeFetch(
    options.fetch ?? ((request: Request) => fetch(request)),
    options.onEvent,
    "Get Management token",
  );
  const path = "/oauth/token";
  const proof = await proofOf(origin);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let response: Response;
  try {
    response = await fetchImpl(
      new Request(`${origin}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          grant_type: "client_credentials",
          client_id: options.clientId,
          ...proof,
          audience,
        }),
        // Once an hour at most (the token is cached): a timer that cannot be cleared costs nothing here.
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
  } catch (error) {
    // Unreachable, refused, not TLS, or silent: said like any request's network failure, with the domain to check.
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new NetworkError({
      operation: "Get Management token",
      method: "POST",
      path,
      host: tenant.host,
      reason: timedOut ? `no answer within ${timeoutMs / 1000} s` : describeNetworkError(error),
      cause: error,
    });
  }
  const body: unknown = await response.json().catch(() => undefined);
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  if (!response.ok || typeof fields.access_token !== "string" || typeof fields.expires_in !== "number") {
    const str = (v: unknown) => (typeof v === "string" ? redactText(v) : undefined);
    throw new ManagementApiError({
      operation: "Get Management token",
      method: "POST",
      path,
      status: response.status,
      error: str(fields.error) ?? "invalid_response",
      message:
        str(fields.error_description) ??
        (response.ok ? "the token response has no access_token" : `client ${options.clientId} was refused`),
    });
  }
  return fields as unknown as TokenResponse;
}

// jose's signing, loaded for Private Key JWT only: a client-secret token source (a post-login Action) carries none.
const signing = () => import("./assertion-signing.ts");

const importedKeys = new Map<string, Promise<SigningKey>>();

/** The imported key (once per PEM and algorithm): a bad key fails here, before anything is sent. */
function signingKeyOf(options: Extract<ClientAuthentication, { clientAssertionSigningKey: string }>) {
  const alg = options.clientAssertionSigningAlg ?? "RS256";
  const id = JSON.stringify([options.clientAssertionSigningKey, alg]);
  let imported = importedKeys.get(id);
  if (!imported) {
    const source = options.signingKeySource ?? "the client assertion signing key";
    imported = signing().then(({ importSigningKey }) =>
      importSigningKey(options.clientAssertionSigningKey, alg, source),
    );
    imported.catch(() => importedKeys.delete(id));
    importedKeys.set(id, imported);
  }
  return imported;
}

/**
 * How a client authenticates with resolved credentials (see `resolveCredentials`):
 * `createManagementClient({ domain, ...tokenOptions(credentials) })` — the token as it is, or a machine-to-machine
 * application's tokens from `clientCredentialsToken`.
 */
export function tokenOptions(
  credentials: { token: string } | { clientCredentials: ClientAuthentication },
): { token: string } | { getToken: (context: TokenContext) => Promise<string> } {
  return "token" in credentials
    ? { token: credentials.token }
    : { getToken: clientCredentialsToken(credentials.clientCredentials) };
}
