import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { proofHeader, proofMetaName } from "../src/lib/api-types.ts";

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
 *
 * The linking page (`page: "link"`) is the same but for `form-action`, which it cannot have: its one form POSTs the
 * outcome to the tenant's `/continue`, which redirects to the application's callback — an origin the page does not
 * know — and Chromium checks `form-action` on every redirect of a form's navigation too.
 */
export function contentSecurityPolicy(
  tenantOrigin: string | undefined,
  dev?: DevAllowances,
  page: "main" | "link" = "main",
): string {
  const nonce = dev ? ` 'nonce-${dev.nonce}'` : "";
  const connect = ["'self'", tenantOrigin, dev?.websocket].filter(Boolean).join(" ");
  return [
    "default-src 'none'",
    `script-src 'self'${nonce}`,
    `style-src 'self'${nonce}`,
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    ...(page === "main" ? ["form-action 'self'"] : []),
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

/** A fresh per-start secret for the page (32 random bytes, base64url: safe in an HTML attribute as it is). */
export function createProof(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * The page's HTML with the per-start secret in `<meta name="idlink-csrf" content="…">`, first thing in `<head>`
 * (or after the doctype when the document has no `<head>` tag). A `<meta>` is not a script or a style: the CSP
 * has nothing to allow for it.
 */
export function injectProof(html: string, proof: string): string {
  const tag = `<meta name="${proofMetaName}" content="${proof}">`;
  const head = /<head\b[^>]*>/i.exec(html);
  const at = head ? head.index + head[0].length : (/^\s*<!doctype[^>]*>/i.exec(html)?.[0].length ?? 0);
  return `${html.slice(0, at)}${tag}${html.slice(at)}`;
}

/** Compares a presented secret with the server's in constant time (both hashed first: no length leaks either). */
export function proofMatches(presented: string, proof: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(presented), digest(proof));
}

/**
 * Whether an admin-API call must carry the page's secret: every call under `/api` acts (or reads the tenant) with
 * the demo's Management credentials, except `GET /api/config` — the page's public configuration (tenant, SPA
 * client id and, with the emulator, the users its login page lists anyway), which the built page preloads with a
 * `<link rel="preload">` that cannot carry a header.
 */
export function needsProof(method: string, path: string): boolean {
  if (path !== "/api" && !path.startsWith("/api/")) return false;
  return !((method === "GET" || method === "HEAD") && path === "/api/config");
}

/**
 * The admin API acts with Management credentials, so only the page itself may call it: the Host must be the
 * demo's own (no DNS rebinding), a write must not come from another origin, a call under `/api` (but
 * `/api/config`) must carry the per-start secret the page got with its HTML (`x-idlink-csrf`: a local process, a
 * `curl`, another site's page has not got it), and a write must be JSON (no cross-site form posts).
 */
export function checkCaller(
  request: {
    method: string;
    path: string;
    host: string | undefined;
    origin: string | undefined;
    contentType: string | undefined;
    proof: string | string[] | undefined;
  },
  allowedHosts: ReadonlySet<string>,
  allowedOrigins: ReadonlySet<string>,
  proof: string,
): string | undefined {
  if (request.host === undefined || !allowedHosts.has(request.host)) {
    return "this server answers only on 127.0.0.1 or localhost";
  }
  const write = request.method !== "GET" && request.method !== "HEAD";
  if (write && request.origin !== undefined && !allowedOrigins.has(request.origin)) {
    return `requests from ${request.origin} are not allowed; open the demo page itself`;
  }
  if (needsProof(request.method, request.path)) {
    const presented = request.proof;
    if (presented === undefined || presented === "") {
      return `the ${proofHeader} header is missing: only the demo page, which gets this server's per-start token with its HTML, may call the admin API`;
    }
    if (typeof presented !== "string" || !proofMatches(presented, proof)) {
      return `the ${proofHeader} header does not match this server's token (it changes at every start): reload the demo page`;
    }
  }
  if (write && !request.contentType?.toLowerCase().startsWith("application/json")) {
    return "send the request body as application/json";
  }
  return undefined;
}
