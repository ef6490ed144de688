import { type AssertionDeps, authenticateClientAssertion } from "../client-assertion.ts";
import { ApiError, OAuthError } from "../errors.ts";
import type { Reply, RequestContext, Router } from "../router.ts";
import type { Client } from "../seed.ts";
import { signToken } from "../tokens.ts";
import { issueUserGrantToken, isUserGrant, type UserGrantDeps } from "../user-grants.ts";

export type AuthenticationDeps = UserGrantDeps & AssertionDeps;

// A real tenant's lists, verbatim (see the discovery route below).
const discoveryScopes = [
  "openid",
  "profile",
  "offline_access",
  "name",
  "given_name",
  "family_name",
  "nickname",
  "email",
  "email_verified",
  "picture",
  "created_at",
  "identities",
  "phone",
  "address",
];
const discoveryClaims = [
  "aud",
  "auth_time",
  "created_at",
  "email",
  "email_verified",
  "exp",
  "family_name",
  "given_name",
  "iat",
  "identities",
  "iss",
  "name",
  "nickname",
  "phone_number",
  "picture",
  "sub",
];

/** Scopes of the dev login's access token: what the client-side (token variant) linking flow needs. */
export const userTokenScopes = "openid profile email read:current_user update:current_user_identities";

function readParams(req: RequestContext): Record<string, unknown> {
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(req.body));
  }
  if (req.body.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(req.body);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    throw new OAuthError(400, "invalid_request", "Invalid request payload JSON format");
  }
}

/** The client-credentials grant as Auth0 answers it; wording of each refusal is Auth0's observed wording. */
export async function issueClientCredentialsToken(
  deps: AuthenticationDeps,
  params: Record<string, unknown>,
): Promise<{ access_token: string; token_type: "Bearer"; expires_in: number; scope: string }> {
  const { store, tokens } = deps;
  const { grant_type, client_id, client_secret, audience, scope } = params;
  const usesAssertion = params.client_assertion !== undefined || params.client_assertion_type !== undefined;
  const client = usesAssertion
    ? await authenticateClientAssertion(deps, params)
    : store.clients.find((c) => c.client_id === client_id);
  if (
    !client ||
    (!usesAssertion && (client.client_secret === undefined || client.client_secret !== client_secret))
  ) {
    throw new OAuthError(401, "access_denied", "Unauthorized");
  }
  if (grant_type !== "client_credentials" || client.app_type !== "non_interactive") {
    throw new OAuthError(
      403,
      "unauthorized_client",
      `Grant type '${String(grant_type)}' not allowed for the client.`,
    );
  }
  // No audience: Auth0 falls back to its legacy API v1 and refuses a non-global client (observed wording:
  // postmanlabs/postman-app-support issue 2934, 2020; Kong's knowledge base). A tenant's Default Audience does not
  // apply to this grant (auth0/docs pull request 9123) — except on tenants with the legacy
  // allow_api1_non_global_clients flag, which answer an opaque token (Auth0 support, "Client Credentials Grant
  // Requires 'audience' Parameter"); the emulator's tenant has neither.
  if (audience === undefined || audience === "") {
    throw new OAuthError(403, "access_denied", "Non-global clients are not allowed access to APIv1");
  }
  if (audience !== tokens.managementAudience) {
    throw new OAuthError(403, "access_denied", `Service not enabled within domain: ${String(audience)}`);
  }
  // A client with no grant for the API (observed, ruby-auth0 issue 610, 2024; the 2018 wording said "might probably").
  if (client.grants.length === 0) {
    throw new OAuthError(
      403,
      "access_denied",
      `Client is not authorized to access "${audience}". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`,
    );
  }
  const granted = grantedScopes(client, scope);
  const accessToken = await signToken(tokens, {
    sub: `${client.client_id}@clients`,
    aud: tokens.managementAudience,
    claims: { azp: client.client_id, scope: granted.join(" "), gty: "client-credentials" },
  });
  return {
    access_token: accessToken,
    token_type: "Bearer",
    expires_in: tokens.ttlSeconds,
    scope: granted.join(" "),
  };
}

function grantedScopes(client: Client, requested: unknown): string[] {
  if (typeof requested !== "string" || requested.trim() === "") return client.grants;
  const wanted = requested.split(" ").filter(Boolean);
  const missing = wanted.filter((scope) => !client.grants.includes(scope));
  if (missing.length > 0) {
    throw new OAuthError(403, "access_denied", `Client has not been granted scopes: ${missing.join(", ")}`);
  }
  return wanted;
}

/** Mints a user's ID token and access token, as if they had just signed in to the seed's SPA client. */
export async function loginAs(
  deps: AuthenticationDeps,
  userId: string,
): Promise<{ id_token: string; access_token: string; expires_in: number }> {
  const { store, tokens } = deps;
  const spa = store.clients.find((c) => c.app_type === "spa");
  if (!spa) throw new ApiError(400, "The seed has no SPA client to log in to.");
  // Signing in with an identity that is already linked signs in its primary, as Auth0 does.
  const user = store.getUser(userId) ?? store.linkedOwner(userId);
  if (!user) throw new ApiError(404, "The user does not exist.", "inexistent_user");
  const profile = { email: user.email, email_verified: user.email_verified, name: user.name };
  const idToken = await signToken(tokens, { sub: user.user_id, aud: spa.client_id, claims: profile });
  const accessToken = await signToken(tokens, {
    sub: user.user_id,
    aud: [tokens.managementAudience, `${tokens.issuer}userinfo`],
    claims: { azp: spa.client_id, scope: userTokenScopes },
  });
  return { id_token: idToken, access_token: accessToken, expires_in: tokens.ttlSeconds };
}

export function registerAuthenticationRoutes(router: Router, deps: AuthenticationDeps): void {
  const { tokens } = deps;

  router.add("POST", "/oauth/token", async (req) => {
    const params = readParams(req);
    return {
      status: 200,
      body: isUserGrant(params.grant_type)
        ? await issueUserGrantToken(deps, params)
        : await issueClientCredentialsToken(deps, params),
      headers: { "cache-control": "no-store", pragma: "no-cache" },
    };
  });

  router.add("GET", "/.well-known/jwks.json", async () => ({ status: 200, body: tokens.keys.jwks }));

  // A real tenant's discovery document (neoteroi.eu.auth0.com, quoted in Neoteroi/BlackSheep's
  // tests/test_auth_oidc.py @ 4544679, 2021), its keys in its order, narrowed to what the emulator serves: no
  // device, MFA or revocation endpoint; only the `code` response type and the `query` mode (Auth0
  // serves `web_message` without advertising it, and so does the emulator); S256 only (Auth0's PKCE guide: plain is
  // "discouraged" and not supported, although the document lists it); RS256 ID tokens. It advertises no
  // grant_types_supported (a real one does not). The token endpoint's methods and assertion algorithms are those of
  // a 2025 tenant's document (client_secret_basic is not served). `registration_endpoint` is listed whether or not
  // Dynamic Client Registration is on, as Auth0's sample document lists it (configure-applications-with-oidc-
  // discovery.mdx); `client_id_metadata_document_supported` when the tenant setting is on (register-applications-
  // with-cimd.mdx). The same document answers at Auth0's RFC 8414 alias, /.well-known/oauth-authorization-server.
  const discovery = async (): Promise<Reply> => ({
    status: 200,
    body: {
      issuer: tokens.issuer,
      authorization_endpoint: `${tokens.issuer}authorize`,
      token_endpoint: `${tokens.issuer}oauth/token`,
      userinfo_endpoint: `${tokens.issuer}userinfo`,
      jwks_uri: `${tokens.issuer}.well-known/jwks.json`,
      registration_endpoint: `${tokens.issuer}oidc/register`,
      scopes_supported: discoveryScopes,
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
      response_modes_supported: ["query"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt"],
      token_endpoint_auth_signing_alg_values_supported: ["RS256", "RS384", "PS256"],
      claims_supported: discoveryClaims,
      request_uri_parameter_supported: false,
      ...(deps.store.settings.clientIdMetadataDocuments
        ? { client_id_metadata_document_supported: true }
        : {}),
    },
  });
  router.add("GET", "/.well-known/openid-configuration", discovery);
  router.add("GET", "/.well-known/oauth-authorization-server", discovery);

  router.add("POST", "/emulator/login", async (req) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body);
    } catch {
      throw new ApiError(400, "Invalid request payload JSON format");
    }
    const userId =
      typeof parsed === "object" && parsed !== null && "user_id" in parsed ? parsed.user_id : undefined;
    if (typeof userId !== "string" || userId === "") {
      throw new ApiError(
        400,
        "Payload validation error: 'Missing required property: user_id'.",
        "invalid_body",
      );
    }
    return { status: 200, body: await loginAs(deps, userId) };
  });
}
