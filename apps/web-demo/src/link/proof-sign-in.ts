import type { Auth0Client } from "@auth0/auth0-spa-js";
import type { PageConfig } from "../lib/api-types.ts";
import { proofMarker } from "./link-types.ts";

/**
 * The proof that the person owns the account they chose: a fresh sign-in to it through Auth0's SPA SDK
 * (Authorization Code + PKCE, in a popup so this page and its session token stay), with `prompt=login` and
 * `max_age=0` (no single sign-on session counts) and the account's email as `login_hint`. Answers the ID token,
 * which the demo server verifies (the tenant's signature, `aud`, `iss`, `exp`, a recent `auth_time`, `sub`).
 */
export class ProofSignIn {
  private constructor(private readonly client: Auth0Client) {}

  static async create(config: Pick<PageConfig, "tenant" | "spaClientId">): Promise<ProofSignIn> {
    const { Auth0Client } = await import("@auth0/auth0-spa-js");
    return new ProofSignIn(
      new Auth0Client({
        domain: config.tenant,
        clientId: config.spaClientId,
        cacheLocation: "memory",
        authorizationParams: {
          // The page's own origin is the SPA's callback (web_message answers to it).
          redirect_uri: `${window.location.origin}/`,
          scope: "openid profile email",
          prompt: "login",
          max_age: 0,
          // Tells the post-login Action (event.request.query) that this login is the linking page's proof, so it
          // does not offer linking again inside it (the popup would land on this page instead of answering).
          [proofMarker]: "1",
        },
      }),
    );
  }

  /** Must run from a click (popup blockers). */
  async signIn(email: string): Promise<string> {
    await this.client.loginWithPopup({ authorizationParams: { login_hint: email } });
    const claims = await this.client.getIdTokenClaims();
    if (!claims?.__raw) throw new Error("The sign-in answered no ID token.");
    return claims.__raw;
  }
}
