import { createHash, randomBytes } from "node:crypto";
import type { Emulator } from "@idlink/emulator";

// A browser's login through the emulator's Universal Login (Authorization Code + PKCE with the seed's SPA client),
// redirects followed by hand: enough to reach what the post-login Actions make of the sign-in.

export const spaClient = "idlink-spa";
export const callback = "http://127.0.0.1:5173/";

async function locationOf(res: Response, base: string): Promise<URL> {
  const location = res.headers.get("location");
  if (res.status !== 302 || !location) {
    throw new Error(`expected a redirect, got ${res.status}: ${(await res.text()).slice(0, 300)}`);
  }
  return new URL(location, base);
}

/** /authorize → the login page → signs in as `userId`; answers where the browser is sent next, and the verifier. */
export async function signIn(em: Emulator, userId: string): Promise<{ next: URL; verifier: string }> {
  const verifier = randomBytes(32).toString("base64url");
  const query = new URLSearchParams({
    client_id: spaClient,
    redirect_uri: callback,
    response_type: "code",
    response_mode: "query",
    scope: "openid profile email",
    audience: em.managementAudience,
    state: "app-state-1",
    nonce: "nonce-1",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
  });
  const authorize = await fetch(`${em.url}/authorize?${query}`, { redirect: "manual" });
  const loginPage = await locationOf(authorize, em.url);
  const post = await fetch(loginPage, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ user_id: userId }).toString(),
  });
  return { next: await locationOf(post, em.url), verifier };
}

/** The linking page's answer, POSTed to /continue as a form (redirect-with-actions.mdx); where the browser goes next. */
export async function continueWith(continueUri: string, fields: Record<string, string>): Promise<URL> {
  const res = await fetch(continueUri, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  return locationOf(res, continueUri);
}

/** Redeems the code of a callback URL: the tokens' `sub` is the user the login ended as. */
export async function exchange(em: Emulator, back: URL, verifier: string): Promise<{ id_token: string }> {
  const res = await fetch(`${em.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: spaClient,
      code: back.searchParams.get("code") ?? "",
      code_verifier: verifier,
      redirect_uri: callback,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`token exchange: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id_token: string };
}
