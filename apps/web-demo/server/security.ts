/**
 * What Vite's dev server needs beyond the built page's policy, and nothing more: its inline react-refresh preamble
 * and the `<style>` elements its client injects for CSS carry this per-response nonce (Vite's `html.cspNonce`), and
 * its hot-reload websocket is on the page's own host.
 */
export interface DevAllowances {
  nonce: string;
  /** `ws://127.0.0.1:PORT`: the dev server's HMR websocket. */
  websocket: string;
}

/**
 * The page's Content-Security-Policy: scripts and styles from the demo's own origin only (no inline, no eval);
 * requests to the demo server and to the tenant only. Under `pnpm dev`, `dev` adds exactly Vite's needs.
 */
export function contentSecurityPolicy(tenantOrigin: string | undefined, dev?: DevAllowances): string {
  const nonce = dev ? ` 'nonce-${dev.nonce}'` : "";
  const connect = ["'self'", tenantOrigin, dev?.websocket].filter(Boolean).join(" ");
  return [
    "default-src 'none'",
    `script-src 'self'${nonce}`,
    `style-src 'self'${nonce}`,
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Headers every response of the demo server carries. */
export const baseHeaders: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Not `same-origin`: the secondary's sign-in popup must keep its opener to post the answer back (the SDK's
  // loginWithPopup, response_mode=web_message); cross-origin pages that open this one still get no handle on it.
  "cross-origin-opener-policy": "same-origin-allow-popups",
  "cross-origin-resource-policy": "same-origin",
};

/**
 * The admin API acts with Management credentials, so only the page itself may call it: the Host must be the
 * demo's own (no DNS rebinding) and a write must come from the demo's origin as JSON (no cross-site form posts).
 */
export function checkCaller(
  request: {
    method: string;
    host: string | undefined;
    origin: string | undefined;
    contentType: string | undefined;
  },
  allowedHosts: ReadonlySet<string>,
  allowedOrigins: ReadonlySet<string>,
): string | undefined {
  if (request.host === undefined || !allowedHosts.has(request.host)) {
    return "this server answers only on 127.0.0.1 or localhost";
  }
  if (request.method === "GET" || request.method === "HEAD") return undefined;
  if (request.origin !== undefined && !allowedOrigins.has(request.origin)) {
    return `requests from ${request.origin} are not allowed; open the demo page itself`;
  }
  if (!request.contentType?.toLowerCase().startsWith("application/json")) {
    return "send the request body as application/json";
  }
  return undefined;
}
