// The part of Auth0's post-login Action interface this Action uses, typed from Auth0's reference pages
// (auth0/docs-v2: main/docs/actions/reference/post-login/post-login-event-object.mdx and post-login-api-object.mdx).
// Only what is read or called here; every field Auth0 marks optional is optional.

/** An identity inside `event.user.identities`, as Auth0 stores it. */
export interface PostLoginIdentity {
  provider?: string;
  connection?: string;
  /** A string for most providers; a number for some social ones (GitHub). */
  user_id?: string | number;
  isSocial?: boolean;
}

export interface PostLoginEvent {
  secrets: Record<string, string | undefined>;
  connection: { id?: string; name: string; strategy: string };
  user: {
    user_id: string;
    email?: string;
    email_verified?: boolean;
    identities?: PostLoginIdentity[];
    app_metadata?: Record<string, unknown>;
  };
  transaction?: { prompt?: string[]; protocol?: string; state?: string };
  custom_domain?: { domain: string };
  request?: { hostname?: string; query?: Record<string, unknown> };
}

export interface EncodeTokenOptions {
  secret: string;
  expiresInSeconds?: number;
  payload: Record<string, unknown>;
}

export interface PostLoginApi {
  access: { deny(reason: string): unknown };
  authentication: { setPrimaryUser(primaryUserId: string): unknown };
  redirect: {
    encodeToken(options: EncodeTokenOptions): string;
    sendUserTo(url: string, options?: { query?: Record<string, string> }): unknown;
    validateToken(options: { secret: string; tokenParameterName?: string }): Record<string, unknown>;
    /** Not in every runtime version; when present, false for prompt=none, refresh tokens and the like. */
    canRedirect?: () => boolean;
  };
  user: { setAppMetadata(key: string, value: unknown): unknown };
}
