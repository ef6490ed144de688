import { OAuthError } from "./errors.ts";
import type { Grant, LoginState } from "./login-state.ts";
import { apiScopes } from "./resource-servers.ts";
import type { Client, User } from "./seed.ts";
import type { Store } from "./store.ts";
import { requestedAudience } from "./tenant-settings.ts";
import { signToken, type TokenContext } from "./tokens.ts";

export interface UserGrantDeps {
  store: Store;
  tokens: TokenContext;
  logins: LoginState;
}

/**
 * The Management API scopes a user's own access token may carry ("Get Management API Access Tokens for
 * Single-Page Applications", Auth0 docs); anything else asked for with the Management audience is not granted.
 */
export const currentUserScopes = [
  "read:current_user",
  "update:current_user_identities",
  "create:current_user_metadata",
  "update:current_user_metadata",
  "delete:current_user_metadata",
  "create:current_user_device_credentials",
  "delete:current_user_device_credentials",
] as const;

const oidcScopes = ["openid", "profile", "email", "offline_access"];
// Auth0's default ID token lifetime (36000 s, the application's "ID Token Expiration").
const idTokenTtlSeconds = 36_000;
// Auth0's default "Token Expiration For Browser Flows" of an API (7200 s).
const browserAccessTokenTtlSeconds = 7_200;

export type UserGrantType = "authorization_code" | "refresh_token";

export const isUserGrant = (grantType: unknown): grantType is UserGrantType =>
  grantType === "authorization_code" || grantType === "refresh_token";

/**
 * The scopes a sign-in grants: OIDC scopes, plus current-user scopes with the Management audience, or the scopes of
 * an API the client (and with RBAC the user) may have. A third-party application gets no OIDC scopes ("do not
 * support OIDC scopes (`openid`, `profile`, `email`) in this release", auth0/docs-v2 main/docs/get-started/
 * applications/third-party-applications/user-consent-and-third-party-applications.mdx), and a client registered
 * without the `refresh_token` grant type no `offline_access`. Anything else asked for is silently not granted.
 */
export function grantScopes(
  store: Store,
  request: { client: Client; userId: string; scope: string[]; audience: string | undefined },
  managementAudience: string,
): string[] {
  const { client, audience } = request;
  const thirdParty = client.is_first_party === false;
  const allowed = new Set<string>(thirdParty ? ["offline_access"] : oidcScopes);
  const api = store.resourceServers.get(audience);
  if (api) {
    allowed.delete("offline_access");
    for (const scope of apiScopes(api, { thirdParty, userId: request.userId })) allowed.add(scope);
  }
  if (audience === managementAudience) for (const scope of currentUserScopes) allowed.add(scope);
  if (client.grant_types && !client.grant_types.includes("refresh_token")) allowed.delete("offline_access");
  return [...new Set(request.scope)].filter((scope) => allowed.has(scope));
}

export interface UserTokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  scope: string;
  expires_in: number;
  token_type: "Bearer";
}

/** The claims of a user that the `profile` and `email` scopes release (ID token and /userinfo). */
export function profileClaims(user: User, scope: string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  const pick = (keys: string[]) => {
    for (const key of keys) if (user[key] !== undefined) claims[key] = user[key];
  };
  if (scope.includes("profile")) {
    pick(["name", "given_name", "family_name", "nickname", "picture", "locale", "updated_at"]);
  }
  if (scope.includes("email")) pick(["email", "email_verified"]);
  return claims;
}

const invalidGrant = (description: string) => new OAuthError(403, "invalid_grant", description);

function userClient(store: Store, params: Record<string, unknown>, grantType: UserGrantType): Client {
  const client = store.clients.find((c) => c.client_id === params.client_id);
  // Auth0's answer to an unknown client on /oauth/token, and (modelled the same) to a wrong secret.
  if (!client) throw new OAuthError(401, "access_denied", "Unauthorized");
  if (
    client.token_endpoint_auth_method === "client_secret_post" &&
    (client.client_secret === undefined || params.client_secret !== client.client_secret)
  ) {
    throw new OAuthError(401, "access_denied", "Unauthorized");
  }
  if (
    client.app_type === "non_interactive" ||
    (client.grant_types && !client.grant_types.includes(grantType))
  ) {
    throw new OAuthError(403, "unauthorized_client", `Grant type '${grantType}' not allowed for the client.`);
  }
  return client;
}

/**
 * A `resource` (or `audience`) sent to /oauth/token must be the API the grant is for (RFC 8707 §2.2; Auth0 takes
 * `resource` there too, auth4genai/mcp/guides/resource-param-compatibility-profile.mdx, "Refresh Token Grant Type").
 * The status and wording are modelled.
 */
function checkTarget(deps: UserGrantDeps, params: Record<string, unknown>, grant: Grant): void {
  const asked = requestedAudience(params, deps.store.settings);
  if (asked !== undefined && asked !== grant.audience) {
    throw new OAuthError(
      400,
      "invalid_target",
      `The resource "${asked}" is not the one this grant was authorized for (${grant.audience ?? "none"})`,
    );
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/** `POST /oauth/token` with `authorization_code` (PKCE, no secret) or `refresh_token` (rotating). */
export async function issueUserGrantToken(
  deps: UserGrantDeps,
  params: Record<string, unknown>,
): Promise<UserTokenResponse> {
  const grantType = params.grant_type as UserGrantType;
  const client = userClient(deps.store, params, grantType);
  if (grantType === "authorization_code") {
    const code = text(params.code);
    if (!code) throw new OAuthError(400, "invalid_request", "Missing required parameter: code");
    // Auth0's description for a verifier of the wrong length (a tenant-log wording its support article quotes, and
    // the answer a 157-character verifier met in 2020); the status and error code are modelled. The code is not
    // spent: the request is refused before it is looked at. A missing or empty verifier fails verification below.
    const verifier = text(params.code_verifier);
    if (verifier !== undefined && (verifier.length < 43 || verifier.length > 128)) {
      throw new OAuthError(
        400,
        "invalid_request",
        "Parameter 'code_verifier' must be between 43 and 128 characters long",
      );
    }
    const redemption = deps.logins.redeemCode(code, {
      clientId: client.client_id,
      redirectUri: text(params.redirect_uri),
      codeVerifier: verifier,
    });
    if (!redemption.ok) {
      // Auth0's observed wordings for a bad verifier and a bad code; the redirect_uri one is the emulator's.
      if (redemption.reason === "verifier") throw invalidGrant("Failed to verify code verifier");
      if (redemption.reason === "redirect_uri") {
        throw invalidGrant("redirect_uri does not match the one of the authorization request");
      }
      throw invalidGrant("Invalid authorization code");
    }
    const user = deps.store.getUser(redemption.grant.userId);
    if (!user) throw invalidGrant("Invalid authorization code");
    checkTarget(deps, params, redemption.grant);
    const response = await mintUserTokens(deps, redemption.grant, user, { withNonce: true });
    if (redemption.grant.scope.includes("offline_access")) {
      const { token, family } = deps.logins.issueRefreshToken(redemption.grant);
      redemption.bindFamily(family);
      response.refresh_token = token;
    }
    return response;
  }
  const refreshToken = text(params.refresh_token);
  if (!refreshToken)
    throw new OAuthError(400, "invalid_request", "Missing required parameter: refresh_token");
  const redemption = deps.logins.redeemRefreshToken(refreshToken, client.client_id);
  // Auth0's observed wording for an unknown, revoked or reused refresh token.
  if (!redemption.ok) throw invalidGrant("Unknown or invalid refresh token.");
  const user = deps.store.getUser(redemption.grant.userId);
  if (!user) throw invalidGrant("Unknown or invalid refresh token.");
  checkTarget(deps, params, redemption.grant);
  const response = await mintUserTokens(deps, redemption.grant, user, { withNonce: false });
  response.refresh_token = deps.logins.issueRefreshToken(redemption.grant, redemption.family).token;
  return response;
}

/** The ID token (with `nonce` after a code exchange) and access token of a sign-in. */
async function mintUserTokens(
  deps: UserGrantDeps,
  grant: Grant,
  user: User,
  options: { withNonce: boolean },
): Promise<UserTokenResponse> {
  const { tokens } = deps;
  const userinfo = `${tokens.issuer}userinfo`;
  const management = grant.audience === tokens.managementAudience;
  const api = deps.store.resourceServers.get(grant.audience);
  const scope = grant.scope.join(" ");
  const lifetime = Math.min(
    management ? browserAccessTokenTtlSeconds : (api?.token_lifetime ?? tokens.ttlSeconds),
    tokens.ttlSeconds,
  );
  // An API's token is for it, and for /userinfo too when `openid` was granted (access-token-profiles.mdx's sample);
  // with the `access_token_authz` dialect it lists the user's permissions on the API (all of them, not only the
  // granted scopes: enable-role-based-access-control-for-apis.mdx).
  const aud = management
    ? [tokens.managementAudience, userinfo]
    : api
      ? grant.scope.includes("openid")
        ? [api.identifier, userinfo]
        : api.identifier
      : userinfo;
  const permissions =
    api?.token_dialect === "access_token_authz"
      ? { permissions: api.user_permissions[user.user_id] ?? [] }
      : {};
  const accessToken = await signToken(tokens, {
    sub: user.user_id,
    aud,
    expiresIn: lifetime,
    // An Action's custom claims (filtered when set, see actions/claims.ts) never replace the emulator's own.
    claims: { ...grant.claims?.accessToken, ...permissions, azp: grant.clientId, scope },
  });
  const response: UserTokenResponse = {
    access_token: accessToken,
    scope,
    expires_in: lifetime,
    token_type: "Bearer",
  };
  if (grant.scope.includes("openid")) {
    const nonce = options.withNonce && grant.nonce !== undefined ? { nonce: grant.nonce } : {};
    response.id_token = await signToken(tokens, {
      sub: user.user_id,
      aud: grant.clientId,
      expiresIn: idTokenTtlSeconds,
      claims: {
        ...grant.claims?.idToken,
        ...profileClaims(user, grant.scope),
        auth_time: grant.authTime,
        ...nonce,
      },
    });
  }
  return response;
}
