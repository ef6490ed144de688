import { randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import {
  type ActionRequest,
  emulatorTenantName,
  type PipelineResult,
  type PostLoginActions,
} from "../actions/pipeline.ts";
import { consentPage } from "../consent-page.ts";
import {
  errorPage,
  loginPage,
  loginStyles,
  messagePage,
  webMessagePage,
  webMessageScript,
} from "../login-page.ts";
import type { AuthorizeRequest, Grant, Session } from "../login-state.ts";
import type { Reply, RequestContext, Router } from "../router.ts";
import type { Client } from "../seed.ts";
import { fullId } from "../store.ts";
import { requestedAudience } from "../tenant-settings.ts";
import { verifyToken } from "../tokens.ts";
import { grantScopes, profileClaims, type UserGrantDeps } from "../user-grants.ts";

/** Auth0's login session cookie (first-party on the tenant's domain). */
export const sessionCookie = "auth0";

/** Universal Login's dependencies; with Actions bound to `actions`, each sign-in runs them before its code. */
export interface UniversalLoginDeps extends UserGrantDeps {
  actions?: PostLoginActions;
}

/**
 * Auth0's answer when it cannot find a login transaction ("Oops!, something went wrong", `invalid_request`, as
 * community.auth0.com thread 117674 quotes it); redirect-with-actions.mdx: a `/continue` without the state Auth0
 * sent fails with `invalid_request`.
 */
export const lostTransactionDescription =
  "You may have pressed the back button, refreshed during login, opened too many login dialogs, or there is some issue with cookies, since we couldn't find your session. Try logging in again from the application and if the problem persists please contact the administrator.";

const pageSecurity = {
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

function html(status: number, body: string, policy: string, extra: Record<string, string> = {}): Reply {
  return {
    status,
    text: body,
    headers: {
      ...pageSecurity,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": policy,
      ...extra,
    },
  };
}

// The login page: its own stylesheet, forms to itself (and the redirect that follows them to the app's callback).
// Browsers hold the redirects after a form to form-action too: with post-login Actions bound, the login's answer
// may be a redirect Action's page anywhere, so any http(s) origin is allowed then.
const loginPolicy = (callbackOrigin?: string, redirectActions = false) =>
  [
    "default-src 'none'",
    "style-src 'self'",
    `form-action 'self'${callbackOrigin ? ` ${callbackOrigin}` : ""}${redirectActions ? " https: http:" : ""}`,
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");

const showError = (status: number, error: string, description: string) =>
  html(status, errorPage(error, description), loginPolicy());

function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** Answers an /authorize request to the app: a redirect with the query, or a page posting a web message. */
function respond(
  request: Pick<AuthorizeRequest, "redirectUri" | "responseMode">,
  fields: Record<string, string>,
) {
  const origin = originOf(request.redirectUri) ?? "null";
  if (request.responseMode === "web_message") {
    const policy = `default-src 'none'; script-src 'self'; base-uri 'none'; frame-ancestors ${origin}`;
    return html(200, webMessagePage(origin, fields), policy);
  }
  const target = new URL(request.redirectUri);
  for (const [key, value] of Object.entries(fields)) target.searchParams.set(key, value);
  return { status: 302, headers: { ...pageSecurity, location: target.toString() } };
}

const withState = (state: string | undefined, fields: Record<string, string>) =>
  state === undefined ? fields : { ...fields, state };

const firstLanguage = (header: string | undefined) =>
  header?.split(",")[0]?.split(";")[0]?.trim() || undefined;

/** The parameters of a form or JSON body (`/continue` by POST); anything else is no parameters. */
function bodyParams(req: RequestContext): Record<string, unknown> {
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/x-www-form-urlencoded"))
    return Object.fromEntries(new URLSearchParams(req.body));
  if (type.includes("application/json")) {
    try {
      const parsed: unknown = JSON.parse(req.body);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      return {};
    }
  }
  return {};
}

/**
 * Auth0's Universal Login, as far as Authorization Code + PKCE from a single-page app needs it: `/authorize`
 * (query and web_message answers, `prompt=none|login`), a login page of seeded users, the `auth0` session cookie,
 * `/v2/logout` and `/userinfo`. Tokens come from `/oauth/token` (see user-grants.ts).
 */
export function registerUniversalLoginRoutes(router: Router, deps: UniversalLoginDeps): void {
  const { store, tokens, logins, actions } = deps;

  function issue(
    client: Client,
    request: AuthorizeRequest,
    session: { userId: string; authTime: number },
    claims?: Grant["claims"],
  ): Reply {
    const code = logins.issueCode(
      {
        clientId: request.clientId,
        userId: session.userId,
        scope: grantScopes(
          store,
          { client, userId: session.userId, scope: request.scope, audience: request.audience },
          tokens.managementAudience,
        ),
        audience: request.audience,
        nonce: request.nonce,
        authTime: session.authTime,
        ...(claims ? { claims } : {}),
      },
      { redirectUri: request.redirectUri, codeChallenge: request.codeChallenge },
    );
    return respond(request, withState(request.state, { code }));
  }

  function liveSession(req: RequestContext): { id: string; session: Session } | undefined {
    const id = readCookie(req.headers, sessionCookie);
    const session = logins.session(id);
    // A session whose user has since been linked away (or removed) no longer signs anyone in.
    return id !== undefined && session && store.getUser(session.userId) ? { id, session } : undefined;
  }

  const actionRequest = (
    req: RequestContext,
    method: string,
    query: Record<string, unknown>,
    body: Record<string, unknown>,
  ): ActionRequest => ({
    ip: req.ip,
    hostname: req.headers.host ?? "",
    userAgent: req.headers["user-agent"],
    language: firstLanguage(req.headers["accept-language"]),
    method,
    query,
    body,
  });

  /** What the post-login trigger came to: a redirect, an error for the application, or its code. */
  function answer(result: PipelineResult): Reply {
    const { request } = result.login;
    if (result.kind === "redirect")
      return { status: 302, headers: { ...pageSecurity, location: result.location } };
    if (result.kind === "fail") {
      return respond(
        request,
        withState(request.state, { error: result.error, error_description: result.description }),
      );
    }
    return issue(
      result.login.client,
      request,
      { userId: result.userId, authTime: result.login.authTime },
      { idToken: result.idTokenClaims, accessToken: result.accessTokenClaims },
    );
  }

  /**
   * A sign-in (on the login page, or a live session's): the post-login Actions run, in order, before the code is
   * issued (event.request is the /authorize request that started the transaction).
   */
  async function signedIn(
    req: RequestContext,
    client: Client,
    request: AuthorizeRequest,
    live: { id: string; session: Session },
    transactionId: string,
    promptNone: boolean,
    consented = false,
  ): Promise<Reply> {
    const prompt = consented ? undefined : consentPrompt(client, request, live, transactionId, promptNone);
    if (prompt) return prompt;
    if (!actions?.configured) return issue(client, request, live.session);
    const result = await actions.start({
      transactionId,
      request,
      client,
      sessionId: live.id,
      identity: live.session.identity,
      userId: live.session.userId,
      authTime: live.session.authTime,
      promptNone,
      http: actionRequest(req, "GET", request.query ?? {}, {}),
    });
    return answer(result);
  }

  /**
   * A third-party application's consent prompt, before the post-login Actions: shown until the user has consented
   * to these scopes for this client and API, and always with `prompt=consent` ("Once consent has been given, the user
   * does not see the consent dialog during subsequent logins until consent is revoked", user-consent-and-third-party-
   * applications.mdx). `prompt=none` cannot show it: `consent_required` (OIDC Core §3.1.2.6).
   */
  function consentPrompt(
    client: Client,
    request: AuthorizeRequest,
    live: { id: string; session: Session },
    transactionId: string,
    promptNone: boolean,
  ): Reply | undefined {
    if (client.is_first_party !== false || request.audience === undefined) return undefined;
    const { userId } = live.session;
    const scopes = grantScopes(
      store,
      { client, userId, scope: request.scope, audience: request.audience },
      tokens.managementAudience,
    );
    const given = store.resourceServers.consented(userId, client.client_id, request.audience, scopes);
    if (given && request.prompt !== "consent") return undefined;
    if (promptNone) return showError(400, "consent_required", "Consent required");
    const state = logins.holdConsent({
      request,
      sessionId: live.id,
      transactionId,
      audience: request.audience,
      scopes,
    });
    return { status: 302, headers: { ...pageSecurity, location: `/u/consent?state=${state}` } };
  }

  const newTransaction = () => randomBytes(24).toString("base64url");

  router.add("GET", "/authorize", async (req) => {
    const q = req.query;
    const clientId = q.get("client_id");
    if (!clientId) return showError(400, "invalid_request", "Missing required parameter: client_id");
    const client = store.clients.find((c) => c.client_id === clientId);
    if (!client) return showError(400, "invalid_request", `Unknown client: ${clientId}`);
    const redirectUri = q.get("redirect_uri");
    if (!redirectUri) return showError(400, "invalid_request", "Missing required parameter: redirect_uri");
    // Exact string match, as Auth0 does; its error page says so rather than redirecting to an unknown URL.
    if (!(client.callbacks ?? []).includes(redirectUri)) {
      return showError(
        400,
        "invalid_request",
        `Callback URL mismatch. ${redirectUri} is not in the list of allowed callback URLs.`,
      );
    }
    const responseMode = q.get("response_mode") ?? "query";
    if (responseMode !== "query" && responseMode !== "web_message") {
      return showError(
        400,
        "invalid_request",
        `Unsupported response_mode: ${responseMode} (the emulator answers query and web_message)`,
      );
    }
    if (responseMode === "web_message" && !webOriginAllowed(client, redirectUri)) {
      return showError(
        400,
        "invalid_request",
        `The origin of ${redirectUri} is not in the list of allowed web origins (web_origins).`,
      );
    }
    const state = q.get("state") ?? undefined;
    const thirdParty = client.is_first_party === false;
    // Third-party applications' errors show on a page, not at the callback (their default `redirection_policy`,
    // open_redirect_protection: security-controls.mdx, "Redirect protection").
    const fail = (error: string, description: string) =>
      thirdParty
        ? showError(400, error, description)
        : respond({ redirectUri, responseMode }, withState(state, { error, error_description: description }));
    const unsupported = thirdParty ? thirdPartyRefusedParameters.find((name) => q.has(name)) : undefined;
    if (unsupported !== undefined) {
      return fail(
        "invalid_request",
        `Parameter ${unsupported} is not supported for third-party applications`,
      );
    }

    const responseType = q.get("response_type");
    if (!responseType) return fail("invalid_request", "Missing required parameter: response_type");
    if (responseType !== "code")
      return fail("unsupported_response_type", `Unsupported response type: ${responseType}`);
    if (
      client.app_type === "non_interactive" ||
      (client.grant_types && !client.grant_types.includes("authorization_code"))
    ) {
      return fail("unauthorized_client", "Grant type 'authorization_code' not allowed for the client.");
    }
    const codeChallenge = q.get("code_challenge");
    if (!codeChallenge) {
      return fail(
        "invalid_request",
        "Missing required parameter: code_challenge (PKCE is required for this client)",
      );
    }
    const method = q.get("code_challenge_method");
    // Auth0 supports S256 only: the spec's `plain` method is discouraged.
    if (method !== "S256") {
      return fail("invalid_request", `Unsupported code_challenge_method: ${method ?? "(none)"}; use S256`);
    }
    // Auth0's wording for a challenge of the wrong length (its support article "Code Verifier Error: Parameter
    // 'code_challenge' must be between 43 and 128 characters long"); the character check's wording is the emulator's.
    if (codeChallenge.length < 43 || codeChallenge.length > 128) {
      return fail("invalid_request", "Parameter 'code_challenge' must be between 43 and 128 characters long");
    }
    if (!/^[A-Za-z0-9_-]+$/.test(codeChallenge)) {
      return fail("invalid_request", "code_challenge must be BASE64URL(SHA256(code_verifier))");
    }
    const audience = requestedAudience(
      { audience: q.get("audience"), resource: q.get("resource") },
      store.settings,
    );
    const api = store.resourceServers.get(audience);
    if (audience !== undefined && audience !== tokens.managementAudience && !api) {
      return fail("access_denied", `Service not found: ${audience}`);
    }
    // Third-party applications reach an API only through a grant, never a system API (security-controls.mdx,
    // "Explicit API authorization"); the wordings are the emulator's.
    if (thirdParty && !api) {
      return audience === undefined
        ? fail("invalid_request", "A third-party application must name the API: give audience (or resource)")
        : fail("access_denied", `Third-party applications cannot access system APIs: ${audience}`);
    }
    if (thirdParty && api && api.third_party_scopes === undefined) {
      return fail(
        "unauthorized_client",
        `Client is not authorized to access "${audience}": the API has no default permissions for third-party applications`,
      );
    }
    const prompt = q.get("prompt") ?? undefined;
    const request: AuthorizeRequest = {
      clientId,
      redirectUri,
      responseMode,
      state,
      nonce: q.get("nonce") ?? undefined,
      scope: (q.get("scope") ?? "openid").split(" ").filter(Boolean),
      audience,
      codeChallenge,
      loginHint: q.get("login_hint") ?? undefined,
      prompt,
      query: Object.fromEntries(q),
    };
    const live = liveSession(req);
    if (prompt === "none") {
      return live
        ? signedIn(req, client, request, live, newTransaction(), true)
        : fail("login_required", "Login required");
    }
    if (live && prompt !== "login") return signedIn(req, client, request, live, newTransaction(), false);
    const transaction = logins.holdRequest(request);
    return { status: 302, headers: { ...pageSecurity, location: `/u/login?state=${transaction}` } };
  });

  function transactionOf(req: RequestContext) {
    const transaction = req.query.get("state") ?? "";
    const request = logins.pendingRequest(transaction);
    const client = request && store.clients.find((c) => c.client_id === request.clientId);
    return request && client ? { transaction, request, client } : undefined;
  }

  const expired = () =>
    showError(
      400,
      "invalid_request",
      "This login is unknown or has expired; start again from the application.",
    );

  const renderLogin = (t: NonNullable<ReturnType<typeof transactionOf>>, status = 200, problem?: string) =>
    html(
      status,
      loginPage({
        clientName: t.client.name,
        transaction: t.transaction,
        users: store.listUsers(),
        loginHint: t.request.loginHint,
        ...(problem ? { problem } : {}),
      }),
      loginPolicy(originOf(t.request.redirectUri), actions?.configured ?? false),
    );

  router.add("GET", "/u/login", async (req) => {
    const t = transactionOf(req);
    return t ? renderLogin(t) : expired();
  });

  router.add("POST", "/u/login", async (req) => {
    const t = transactionOf(req);
    if (!t) return expired();
    const userId = new URLSearchParams(req.body).get("user_id") ?? "";
    // Signing in with an identity that is already linked signs in its primary, as Auth0 does.
    const user = store.getUser(userId) ?? store.linkedOwner(userId);
    if (!user) return renderLogin(t, 400, `No seeded user has the id "${userId}".`);
    logins.endSession(readCookie(req.headers, sessionCookie));
    // The identity signed in with (a linked one signs in its primary), and how: a database password or a
    // federated login (Auth0's `pwd` and `federated` in event.authentication.methods).
    const own = store.getUser(userId) ? user.identities[0] : undefined;
    const identityId = own ? fullId(own) : userId;
    const method = identityId.startsWith("auth0|") ? "pwd" : "federated";
    const id = logins.startSession(user.user_id, identityId, [
      { name: method, timestamp: new Date().toISOString() },
    ]);
    const session = logins.session(id);
    logins.finishRequest(t.transaction);
    if (!session) return expired();
    const reply = await signedIn(req, t.client, t.request, { id, session }, t.transaction, false);
    return {
      ...reply,
      headers: { ...reply.headers, "set-cookie": `${sessionCookie}=${id}; Path=/; HttpOnly; SameSite=Lax` },
    };
  });

  /** A consent prompt being answered, with the cookie of the session that signed in (any other cookie: expired). */
  function consentOf(req: RequestContext) {
    const state = req.query.get("state") ?? "";
    const pending = logins.pendingConsent(state);
    if (!pending || readCookie(req.headers, sessionCookie) !== pending.sessionId) return undefined;
    const session = logins.session(pending.sessionId);
    const user = session && store.getUser(session.userId);
    const client = store.clients.find((c) => c.client_id === pending.request.clientId);
    return session && user && client ? { state, pending, session, user, client } : undefined;
  }

  router.add("GET", "/u/consent", async (req) => {
    const c = consentOf(req);
    if (!c) return expired();
    const api = store.resourceServers.get(c.pending.audience);
    return html(
      200,
      consentPage({
        clientName: c.client.name,
        userName: String(c.user.name ?? c.user.email ?? c.user.user_id),
        tenantName: emulatorTenantName,
        apiName: api?.name ?? api?.identifier ?? "",
        scopes: c.pending.scopes,
        state: c.state,
      }),
      loginPolicy(originOf(c.pending.request.redirectUri), actions?.configured ?? false),
    );
  });

  // `action=accept` records the consent (Auth0's user grant) and goes on with the sign-in; `deny` ends it on an
  // error page (open_redirect_protection). "Invalid action" is the screen's own text (customize-text-elements.mdx);
  // "User did not authorize the request" is Auth0's description of a declined consent (what apps built on
  // nextjs-auth0 check for; not in the corpus).
  router.add("POST", "/u/consent", async (req) => {
    const c = consentOf(req);
    if (!c) return expired();
    const action = new URLSearchParams(req.body).get("action");
    if (action !== "accept" && action !== "deny") return showError(400, "invalid_request", "Invalid action");
    logins.finishConsent(c.state);
    const { request, sessionId, transactionId, audience, scopes } = c.pending;
    if (action === "deny") return showError(400, "access_denied", "User did not authorize the request");
    store.resourceServers.recordConsent(c.session.userId, c.client.client_id, audience, scopes);
    return signedIn(
      req,
      c.client,
      request,
      { id: sessionId, session: c.session },
      transactionId,
      false,
      true,
    );
  });

  // Back from a redirect Action's page (redirect-with-actions.mdx): `state` in the query (GET) or in the query or
  // form/JSON body (POST, as the docs advise for a session token). A state is used once.
  const continueLogin = async (req: RequestContext): Promise<Reply> => {
    const body = req.method === "POST" ? bodyParams(req) : {};
    const state = req.query.get("state") ?? (typeof body.state === "string" ? body.state : undefined);
    const query = Object.fromEntries(req.query);
    const result =
      actions && state
        ? await actions.resume(
            state,
            actionRequest(req, req.method, query, body),
            req.method === "POST" ? body : query,
          )
        : undefined;
    return result ? answer(result) : showError(400, "invalid_request", lostTransactionDescription);
  };
  router.add("GET", "/continue", continueLogin);
  router.add("POST", "/continue", continueLogin);

  router.add("GET", "/u/login.css", async () => ({
    status: 200,
    text: loginStyles,
    headers: { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" },
  }));

  router.add("GET", "/u/web-message.js", async () => ({
    status: 200,
    text: webMessageScript,
    headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" },
  }));

  router.add("GET", "/v2/logout", async (req) => {
    const clientId = req.query.get("client_id") ?? undefined;
    const client = store.clients.find((c) => c.client_id === clientId);
    // With a client_id and no returnTo, Auth0 returns the user to the client's first Allowed Logout URL (Auth0's
    // "Redirect Users with Alternative Logout", auth0/docs-v2 main/docs/authenticate/login/logout/
    // redirect-users-after-logout.mdx).
    const returnTo = req.query.get("returnTo") ?? (client ? client.allowed_logout_urls?.[0] : undefined);
    if (returnTo !== undefined) {
      // Auth0's wording (its support article "Error Occurs When Using returnTo Query Parameter During Logout");
      // without client_id it checks the tenant's list, which the emulator does not have.
      if (!client || !logoutUrlAllowed(client.allowed_logout_urls ?? [], returnTo)) {
        return showError(
          400,
          "invalid_request",
          `The "returnTo" querystring parameter "${returnTo}" is not defined as a valid URL in "Allowed Logout URLs".`,
        );
      }
    }
    logins.endSession(readCookie(req.headers, sessionCookie));
    const clear = { "set-cookie": `${sessionCookie}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` };
    if (returnTo === undefined) {
      return html(
        200,
        messagePage("Signed out", "You are signed out of the emulator."),
        loginPolicy(),
        clear,
      );
    }
    return { status: 302, headers: { ...pageSecurity, ...clear, location: returnTo } };
  });

  router.add("GET", "/userinfo", async (req) => {
    const unauthorized: Reply = {
      status: 401,
      text: "Unauthorized",
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "www-authenticate": 'Bearer error="invalid_token"',
      },
    };
    const token = /^Bearer +(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!token) return unauthorized;
    const result = await verifyToken(tokens, token, { issuer: true, audience: `${tokens.issuer}userinfo` });
    if (!result.ok || typeof result.payload.sub !== "string") return unauthorized;
    const user = store.getUser(result.payload.sub);
    if (!user) return unauthorized;
    const scope = typeof result.payload.scope === "string" ? result.payload.scope.split(" ") : [];
    return { status: 200, body: { sub: user.user_id, ...profileClaims(user, scope) } };
  });
}

/**
 * Whether `returnTo` is in a client's Allowed Logout URLs, as redirect-users-after-logout.mdx says Auth0 matches:
 * its query string and fragment are not taken into account, scheme and host are case-insensitive, the rest is
 * case-sensitive, and `*.` in an allowed URL stands for any subdomain.
 */
function logoutUrlAllowed(allowed: readonly string[], returnTo: string): boolean {
  const split = (url: string) => {
    const bare = url.split(/[?#]/, 1)[0] ?? "";
    const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(bare);
    return match ? { origin: `${match[1]}${match[2]}`.toLowerCase(), rest: match[3] ?? "" } : undefined;
  };
  const target = split(returnTo);
  if (!target) return false;
  return allowed.some((entry) => {
    const candidate = split(entry);
    if (!candidate || candidate.rest !== target.rest) return false;
    if (!candidate.origin.includes("*.")) return candidate.origin === target.origin;
    const [scheme = "", host = ""] = candidate.origin.split("://");
    const suffix = host.slice(host.indexOf("*.") + 1);
    const [targetScheme = "", targetHost = ""] = target.origin.split("://");
    const sub = targetHost.slice(0, targetHost.length - suffix.length);
    return scheme === targetScheme && targetHost.endsWith(suffix) && /^[a-z0-9-]+$/.test(sub);
  });
}

/**
 * `/authorize` parameters third-party applications may not send (security-controls.mdx, "`/authorize` parameter
 * validation": "Requests with unsupported parameters receive an `invalid_request` error").
 */
const thirdPartyRefusedParameters = [
  "claims",
  "id_token_hint",
  "invitation",
  "login_ticket",
  "request",
  "request_uri",
  "screen_hint",
];

function webOriginAllowed(client: Client, redirectUri: string): boolean {
  const origin = originOf(redirectUri);
  return origin !== undefined && (client.web_origins ?? []).includes(origin);
}
