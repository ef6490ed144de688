import { loadLinking } from "./components/load-linking.ts";
import { demoApi } from "./lib/demo-api.ts";
import { retryable } from "./lib/retryable.ts";
import { createSignIn, takeCallbackUrl } from "./lib/sign-in.ts";
import { linkPagePath } from "./link/link-types.ts";

// What the demo page does before React has loaded, in its first script (main.tsx, a few KiB): the prerendered
// page's sign-in button answers a click as soon as the page shows, and what a sign-in needs starts loading.

// In a browser, on the demo page: not on the linking page (a route of its own), nor when the build prerenders the
// page's first view (vite.config.ts), which has no window.
const onDemoPage = typeof window !== "undefined" && window.location.pathname !== linkPagePath;

/** Universal Login's answer (`?code=…&state=…`) this page was loaded with, taken off the address bar at once. */
export const callbackUrl = onDemoPage ? takeCallbackUrl(window.location, window.history) : undefined;

/** The page's configuration; the page's first bytes preload it (vite.config.ts), and this request takes it over. */
export const loadConfig = retryable(() => demoApi.config());

/**
 * Auth0's SDK set up for the tenant, when a sign-in needs it: at the first click on the primary's sign-in button,
 * or at once when this load is Universal Login's answer. Its chunk is preloaded, but neither run nor set up before.
 */
export const loadSignIn = retryable(async () => createSignIn(await loadConfig(), window.location.origin));

if (onDemoPage) {
  loadConfig().catch(() => undefined); // a failure is shown once the page has rendered
  if (callbackUrl) {
    // The signed-in flow needs both next.
    loadSignIn().catch(() => undefined);
    loadLinking().catch(() => undefined);
  }
}

let leaving: Promise<void> | undefined;

/**
 * Sends the browser to Universal Login as the primary. One at a time: the early listener below and React's
 * handler may both see the same click.
 */
export function signInPrimary(): Promise<void> {
  leaving ??= loadSignIn()
    .then((signIn) => signIn.signInPrimary())
    .finally(() => {
      leaving = undefined;
    });
  return leaving;
}

/** The primary's sign-in button (`SignInStep`'s `id`), prerendered in the page's HTML. */
export const primarySignInId = "sign-in-primary";

let earlyClick: Promise<void> | undefined;

function onEarlyClick(event: MouseEvent): void {
  if (!(event.target instanceof Element) || !event.target.closest(`#${primarySignInId}`)) return;
  earlyClick = signInPrimary();
  earlyClick.catch(() => undefined); // shown by the page once React has taken over (takeOverClicks)
}

/** A pointer pressed on, or the focus moved to, the sign-in button: a click is coming, so the SDK is set up now. */
function onSignInNear(event: Event): void {
  if (event.target instanceof Element && event.target.closest(`#${primarySignInId}`)) {
    loadSignIn().catch(() => undefined); // the click says why, if it fails
  }
}

/**
 * Answers a click on the prerendered primary's sign-in button until React has taken the page over, so the first
 * click never waits for React's code or its hydration; and, for the whole visit, starts setting the SDK up as a
 * pointer is pressed on the button or the focus reaches it.
 */
export function answerEarlyClicks(): void {
  document.addEventListener("click", onEarlyClick);
  document.addEventListener("pointerdown", onSignInNear);
  document.addEventListener("focusin", onSignInNear);
}

/**
 * React's page has taken over: its own handler answers from now on. Answers the sign-in an early click started,
 * if any, for the page to show it busy and say why if it fails.
 */
export function takeOverClicks(): Promise<void> | undefined {
  document.removeEventListener("click", onEarlyClick);
  const started = earlyClick;
  earlyClick = undefined;
  return started;
}
