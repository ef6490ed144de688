import type { PageConfig } from "./api-types.ts";

/** What the page keeps of a sign-in: the tokens stay in memory (or sessionStorage across a redirect). */
export interface Session {
  idToken: string;
  /** Only the primary's sign-in needs one (update:current_user_identities). */
  accessToken: string | undefined;
  claims: IdClaims;
}

export interface IdClaims {
  sub: string;
  name: string | undefined;
  email: string | undefined;
  email_verified: boolean | undefined;
}

export type Role = "primary" | "secondary";

/** Scopes the primary's access token needs to read itself and link with link_with. */
export const userScopes = "openid profile email read:current_user update:current_user_identities";

/** Reads an ID token's claims for display. Not a verification: Auth0 verifies link_with itself. */
export function readClaims(idToken: string): IdClaims {
  const payload = idToken.split(".")[1];
  if (!payload) throw new Error("the ID token is not a JWT");
  const base64 = payload.replaceAll("-", "+").replaceAll("_", "/");
  const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  const claims: unknown = JSON.parse(json);
  if (typeof claims !== "object" || claims === null) throw new Error("the ID token has no claims");
  const record = claims as Record<string, unknown>;
  if (typeof record.sub !== "string") throw new Error("the ID token has no sub claim");
  return {
    sub: record.sub,
    name: typeof record.name === "string" ? record.name : undefined,
    email: typeof record.email === "string" ? record.email : undefined,
    email_verified: typeof record.email_verified === "boolean" ? record.email_verified : undefined,
  };
}

/**
 * The emulator's dev login, the local stand-in for Universal Login: it signs a seeded user in to the SPA client
 * and answers their ID token and access token.
 */
export async function devLogin(tenant: string, userId: string): Promise<Session> {
  const response = await fetch(`${tenant}/emulator/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: userId }),
  });
  const data: unknown = await response.json().catch(() => undefined);
  const fields = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
  if (!response.ok || typeof fields.id_token !== "string") {
    const message = typeof fields.message === "string" ? fields.message : `status ${response.status}`;
    throw new Error(`The dev login refused ${userId}: ${message}`);
  }
  const accessToken = typeof fields.access_token === "string" ? fields.access_token : undefined;
  return { idToken: fields.id_token, accessToken, claims: readClaims(fields.id_token) };
}

const storageKey = (role: Role) => `idlink.session.${role}`;
const pendingKey = "idlink.pending";

/**
 * With a real tenant: sends the browser to Universal Login (implicit grant, `id_token token` for the primary,
 * `id_token` with a fresh login for the secondary). The answer comes back in the URL fragment.
 */
export function redirectToLogin(config: PageConfig, role: Role): void {
  const state = crypto.randomUUID();
  const nonce = crypto.randomUUID();
  sessionStorage.setItem(pendingKey, JSON.stringify({ role, state, nonce }));
  const params = new URLSearchParams({
    client_id: config.spaClientId,
    redirect_uri: `${window.location.origin}/`,
    response_type: role === "primary" ? "id_token token" : "id_token",
    scope: role === "primary" ? userScopes : "openid profile email",
    state,
    nonce,
  });
  if (role === "primary") params.set("audience", `${config.tenant}/api/v2/`);
  else params.set("prompt", "login");
  window.location.assign(`${config.tenant}/authorize?${params}`);
}

/** Picks up a Universal Login answer from the URL fragment (then removes it) and keeps it for this tab. */
export function completeRedirect(): string | undefined {
  const hash = new URLSearchParams(window.location.hash.slice(1));
  const pending = sessionStorage.getItem(pendingKey);
  if (!pending || (!hash.has("id_token") && !hash.has("error"))) return undefined;
  sessionStorage.removeItem(pendingKey);
  window.history.replaceState(null, "", window.location.pathname);
  const { role, state } = JSON.parse(pending) as { role: Role; state: string };
  if (hash.get("state") !== state) return "The sign-in answer did not match the request (state); try again.";
  const error = hash.get("error_description") ?? hash.get("error");
  if (error) return `Auth0 refused the sign-in: ${error}`;
  const idToken = hash.get("id_token");
  if (!idToken) return "Auth0 answered without an ID token.";
  const session: Session = {
    idToken,
    accessToken: hash.get("access_token") ?? undefined,
    claims: readClaims(idToken),
  };
  sessionStorage.setItem(storageKey(role), JSON.stringify(session));
  return undefined;
}

export function storedSession(role: Role): Session | undefined {
  const text = sessionStorage.getItem(storageKey(role));
  return text ? (JSON.parse(text) as Session) : undefined;
}

export function forgetSession(role: Role): void {
  sessionStorage.removeItem(storageKey(role));
}
