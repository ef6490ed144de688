import { createHash, randomBytes } from "node:crypto";
import type { Emulator } from "../src/index.ts";

/** Universal Login driven like a browser: real HTTP, redirects followed by hand, the `auth0` cookie kept. */

export const spa = "idlink-spa";
export const callback = "http://127.0.0.1:5173/";

export function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function authorizeUrl(em: Emulator, challenge: string, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    client_id: spa,
    redirect_uri: callback,
    response_type: "code",
    response_mode: "query",
    scope: "openid profile email offline_access read:current_user",
    audience: em.managementAudience,
    state: "app-state-1",
    nonce: "nonce-1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...params,
  });
  for (const [key, value] of Object.entries(params)) if (value === "") query.delete(key);
  return `${em.url}/authorize?${query}`;
}

export const get = (url: string, cookie?: string) =>
  fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });

/** The URL an answer redirects to (throws when it does not redirect). */
export async function locationOf(res: Response, base: string): Promise<URL> {
  const location = res.headers.get("location");
  if (res.status !== 302 || !location) {
    throw new Error(`expected a redirect, got ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
  return new URL(location, base);
}

export interface SignIn {
  /** Where the login page's POST sent the browser: the app's callback, or a redirect Action's page. */
  next: URL;
  verifier: string;
  cookie: string;
}

/** /authorize → the login page → signs in as `userId`. */
export async function signIn(
  em: Emulator,
  userId: string,
  params: Record<string, string> = {},
  cookie?: string,
): Promise<SignIn> {
  const { verifier, challenge } = pkce();
  const loginUrl = await locationOf(await get(authorizeUrl(em, challenge, params), cookie), em.url);
  if (loginUrl.pathname !== "/u/login") throw new Error(`expected the login page, got ${loginUrl}`);
  const post = await fetch(loginUrl, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams({ user_id: userId }).toString(),
  });
  const next = await locationOf(post, em.url);
  return { next, verifier, cookie: (post.headers.get("set-cookie") ?? "").split(";")[0] ?? "" };
}

export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
}

/** Redeems the code of a callback URL. */
export async function exchange(em: Emulator, back: URL, verifier: string): Promise<Tokens> {
  const code = back.searchParams.get("code");
  if (!code) throw new Error(`no code in ${back}`);
  const res = await fetch(`${em.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: spa,
      code,
      code_verifier: verifier,
      redirect_uri: callback,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`token exchange: ${res.status} ${await res.text()}`);
  return (await res.json()) as Tokens;
}

/** The callback's query as an object (error, error_description, state, code). */
export const fieldsOf = (url: URL) => Object.fromEntries(url.searchParams);
