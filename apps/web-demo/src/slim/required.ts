// Stands in for two default exports of Auth0's SPA SDK the page never needs (see vite.config.ts): its inlined
// token worker (a blob: URL, which the page's CSP forbids; the page passes `workerUrl`, the SDK's own worker file
// served from the page's origin) and browser-tabs-lock (the fallback where the Web Locks API is missing; the SDK
// needs a secure context, where every browser the page supports has Web Locks).
export default function Required(): never {
  throw new Error(
    "This page's build of Auth0's SPA SDK needs workerUrl and the Web Locks API (a current browser on https or 127.0.0.1).",
  );
}
