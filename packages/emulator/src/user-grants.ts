import { OAuthError } from "./errors.ts";
import type { Grant, LoginState } from "./login-state.ts";
import type { Client, User } from "./seed.ts";
import type { Store } from "./store.ts";
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

/** The scopes a sign-in grants: OIDC scopes, plus current-user scopes with the Management audience. */
export function grantScopes(requested: string[], audience: string | undefined, managementAudience: string) {
  const allowed = new Set<string>(oidcScopes);
  if (audience === managementAudience) for (const scope of currentUserScopes) allowed.add(scope);
  return [...new Set(requested)].filter((scope) => allowed.has(scope));
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

function spaClient(store: Store, clientId: unknown, grantType: UserGrantType): Client {
  const client = store.clients.find((c) => c.client_id === clientId);
  // Auth0's answer to an unknown client on /oauth/token.
  if (!client) throw new OAuthError(401, "access_denied", "Unauthorized");
  if (client.app_type !== "spa") {
    throw new OAuthError(403, "unauthorized_client", `Grant type '${grantType}' not allowed for the client.`);
  }
  return client;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/** `POST /oauth/token` with `authorization_code` (PKCE, no secret) or `refresh_token` (rotating). */
export async function issueUserGrantToken(
  deps: UserGrantDeps,
  params: Record<string, unknown>,
): Promise<UserTokenResponse> {
  const grantType = params.grant_type as UserGrantType;
  const client = spaClient(deps.store, params.client_id, grantType);
  if (grantType === "authorization_code") {
    const code = text(params.code);
    if (!code) throw new OAuthError(400, "invalid_request", "Missing required parameter: code");
    const redemption = deps.logins.redeemCode(code, {
      clientId: client.client_id,
      redirectUri: text(params.redirect_uri),
      codeVerifier: text(params.code_verifier),
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
  const scope = grant.scope.join(" ");
  const lifetime = management ? Math.min(browserAccessTokenTtlSeconds, tokens.ttlSeconds) : tokens.ttlSeconds;
  const accessToken = await signToken(tokens, {
    sub: user.user_id,
    aud: management ? [tokens.managementAudience, userinfo] : userinfo,
    expiresIn: lifetime,
    // An Action's custom claims (filtered when set, see actions/claims.ts) never replace the emulator's own.
    claims: { ...grant.claims?.accessToken, azp: grant.clientId, scope },
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
