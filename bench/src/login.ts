import { createHash, randomBytes } from "node:crypto";
import type { Emulator } from "@idlink/emulator";

// A browser's sign-in through the emulator's Universal Login stand-in, over loopback HTTP and nothing else: the
// seed's SPA client asks /authorize (Authorization Code with PKCE, as packages/emulator/README.md describes), the
// emulator sends it to its login page, the page's form is posted with the user to sign in as, and the emulator's
// answer to that post says where the browser goes next — the app's callback with a code, or the page a post-login
// Action redirected to. Redirects are read by hand (`redirect: "manual"`); no cookie is kept, so each login is new.

/** The seed's single-page application and the callback it registers. */
export const spaClientId = "idlink-spa";
export const spaCallback = "http://127.0.0.1:5173/";

function redirectTarget(res: Response, base: string, step: string): URL {
  const to = res.headers.get("location");
  if (res.status !== 302 || to === null) throw new Error(`${step}: answered ${res.status}, not a redirect`);
  return new URL(to, base);
}

/**
 * Signs in as `userId` and resolves where the emulator sends the browser after the login page: the time a caller
 * measures around this call ends when the emulator has answered that redirect (the Actions have run by then).
 */
export async function loginAs(emulator: Emulator, userId: string): Promise<URL> {
  const challenge = createHash("sha256").update(randomBytes(32).toString("base64url")).digest("base64url");
  const params = new URLSearchParams({
    response_type: "code",
    response_mode: "query",
    client_id: spaClientId,
    redirect_uri: spaCallback,
    scope: "openid profile email",
    state: randomBytes(8).toString("hex"),
    nonce: randomBytes(8).toString("hex"),
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  const authorize = await fetch(`${emulator.url}/authorize?${params}`, { redirect: "manual" });
  await authorize.arrayBuffer();
  const page = redirectTarget(authorize, emulator.url, "/authorize");
  if (page.pathname !== "/u/login") throw new Error(`/authorize sent the browser to ${page.pathname}`);
  const signedIn = await fetch(page, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ user_id: userId }),
  });
  await signedIn.arrayBuffer();
  return redirectTarget(signedIn, emulator.url, "the login page");
}
