import type { Auth0Client } from "@auth0/auth0-spa-js";
// The SDK keeps refresh tokens in a Web Worker; served from the page's own origin, so the CSP needs no blob:.
import workerUrl from "@auth0/auth0-spa-js/dist/auth0-spa-js.worker.production.js?url";
import type { PageConfig } from "./api-types.ts";

/**
 * The page's sign-in. Auth0's SDK is a chunk of its own, fetched from the page's first bytes (a module preload) but
 * evaluated and set up only here, when a sign-in needs it: the first view neither runs it nor starts its worker.
 */
export async function createSignIn(
  config: Pick<PageConfig, "tenant" | "spaClientId">,
  origin: string,
): Promise<SignIn> {
  const { Auth0Client } = await import("@auth0/auth0-spa-js");
  return new SignIn(config, origin, Auth0Client);
}

/** A signed-in account as the page shows it; tokens stay in memory (the SDK's cache and React state). */
export interface Session {
  idToken: string;
  claims: IdClaims;
}

/** The secondary's sign-in: its ID token (`link_with`) and whether its access token may read the account. */
export interface SecondarySession extends Session {
  /** The tenant granted `read:current_user`: the plan reads the secondary with the secondary's own token. */
  readsItself: boolean;
}

export interface IdClaims {
  sub: string;
  name: string | undefined;
  email: string | undefined;
  email_verified: boolean | undefined;
}

/** Scopes the primary's access token needs to read itself and link with link_with; offline_access is added by
 *  the SDK (refresh tokens). */
export const userScopes = "openid profile email read:current_user update:current_user_identities";

/** Scopes of the secondary's access token: enough to read itself, so the plan shows the metadata Auth0 discards. */
export const secondaryScopes = "openid profile email read:current_user";

/**
 * Sign-in through Auth0's SPA SDK (Authorization Code + PKCE), the same code for the emulator and a tenant.
 *
 * - Both sign-ins ask for a fresh login (`prompt=login`): the tenant's single sign-on session may belong to
 *   either account (after the secondary's login it is the secondary's), and linking needs both owners to sign in.
 * - The primary signs in with a redirect to Universal Login; its access token (Management API audience,
 *   current-user scopes) is renewed with rotating refresh tokens, never with a silent `prompt=none` iframe:
 *   after the secondary's fresh login the tenant's session belongs to the secondary, and a silent renewal would
 *   hand the primary's place to the secondary's tokens.
 * - The secondary signs in in a popup with `prompt=login` (a fresh authentication even when a session exists),
 *   through a second client with its own in-memory cache, so the page (and the primary's tokens in memory) stays
 *   loaded and the primary is never replaced. Its access token (Management API audience, `read:current_user`)
 *   reads the secondary for the plan, since the primary's token may not read another user; it is taken from the
 *   SDK's cache only, never renewed.
 */
export class SignIn {
  private readonly primary: Auth0Client;
  private readonly secondary: Auth0Client;
  private readonly origin: string;
  /** The tenant's origin this sign-in talks to. */
  readonly tenant: string;

  constructor(
    config: Pick<PageConfig, "tenant" | "spaClientId">,
    origin: string,
    Client: typeof Auth0Client,
  ) {
    this.origin = origin;
    this.tenant = config.tenant;
    const common = {
      // The SDK keeps an explicit scheme (the emulator's http://127.0.0.1:PORT); a bare host gets https://.
      domain: config.tenant,
      clientId: config.spaClientId,
      cacheLocation: "memory" as const,
    };
    this.primary = new Client({
      ...common,
      authorizationParams: {
        redirect_uri: `${origin}/`,
        audience: `${config.tenant}/api/v2/`,
        scope: userScopes,
        prompt: "login",
      },
      useRefreshTokens: true,
      useRefreshTokensFallback: false,
      workerUrl,
    });
    this.secondary = new Client({
      ...common,
      authorizationParams: {
        redirect_uri: `${origin}/`,
        audience: `${config.tenant}/api/v2/`,
        scope: secondaryScopes,
        prompt: "login",
      },
    });
  }

  /** Sends the browser to Universal Login; it comes back to this page with `?code=…&state=…`. */
  signInPrimary(): Promise<void> {
    return this.primary.loginWithRedirect();
  }

  /**
   * Completes the primary's sign-in from the callback URL (taken off the address bar before this runs): the SDK
   * checks `state`, exchanges the code with its PKCE verifier and checks the ID token's `nonce`.
   */
  async completeRedirect(callbackUrl: string): Promise<Session> {
    await this.primary.handleRedirectCallback(callbackUrl);
    return sessionOf(this.primary);
  }

  /** The primary's access token, renewed by the SDK with its refresh token when it expires. */
  async primaryToken(): Promise<string> {
    const token = await this.primary.getTokenSilently();
    if (!token) throw new Error("The primary is not signed in (no access token); sign in again.");
    return token;
  }

  /** A second, fresh authentication in a popup; must run from a click (popup blockers). */
  async signInSecondary(): Promise<SecondarySession> {
    await this.secondary.loginWithPopup();
    const session = await sessionOf(this.secondary);
    const granted = await this.secondary.getTokenSilently({
      cacheMode: "cache-only",
      detailedResponse: true,
    });
    // No scope in the answer means the scopes asked for were granted (RFC 6749, section 5.1).
    const scopes = (granted?.scope ?? secondaryScopes).split(" ");
    return { ...session, readsItself: granted !== undefined && scopes.includes("read:current_user") };
  }

  /**
   * The secondary's access token, from the SDK's in-memory cache only: it was issued by the popup's sign-in and is
   * not renewed (a silent renewal would need the tenant's session, an iframe the page does not use).
   */
  async secondaryToken(): Promise<string> {
    const token = await this.secondary.getTokenSilently({ cacheMode: "cache-only" });
    if (!token)
      throw new Error(
        "The account to link is not signed in any more (no access token); sign in to it again.",
      );
    return token;
  }

  /** Forgets the secondary's tokens in this page only: the primary stays signed in. */
  forgetSecondary(): Promise<void> {
    return this.secondary.logout({ openUrl: false });
  }

  /** Signs out everywhere: the SDK forgets the tokens, then the tenant ends its session and sends the browser back. */
  async signOut(): Promise<void> {
    await this.secondary.logout({ openUrl: false });
    await this.primary.logout({ logoutParams: { returnTo: `${this.origin}/` } });
  }
}

async function sessionOf(client: Auth0Client): Promise<Session> {
  const claims = await client.getIdTokenClaims();
  if (!claims?.__raw) throw new Error("The sign-in answered no ID token.");
  return {
    idToken: claims.__raw,
    claims: {
      sub: claims.sub,
      name: claims.name,
      email: claims.email,
      email_verified: claims.email_verified,
    },
  };
}

/**
 * Takes a Universal Login answer (`code`/`error` with `state`) off the address bar at once, so neither the code
 * nor anything else of it stays in the URL or the history; answers the URL to complete the sign-in with.
 */
export function takeCallbackUrl(location: Location, history: History): string | undefined {
  const params = new URLSearchParams(location.search);
  if (!params.has("state") || !(params.has("code") || params.has("error"))) return undefined;
  const url = location.href;
  history.replaceState(null, "", location.pathname);
  return url;
}

/** A sign-in failure in plain words (the SDK's errors carry Auth0's `error_description`). */
export function signInProblem(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const record = error as { error?: unknown; error_description?: unknown; message?: unknown };
    if (record.error === "cancelled") return "The sign-in window was closed before signing in.";
    if (typeof record.error_description === "string") {
      return typeof record.error === "string" && record.error !== record.error_description
        ? `${record.error_description} (${record.error})`
        : record.error_description;
    }
    if (typeof record.message === "string") return record.message;
  }
  return String(error);
}
