import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const slim = (file: string) => fileURLToPath(new URL(`src/slim/${file}`, import.meta.url));

/**
 * Builds Auth0's SPA SDK from the TypeScript source it ships (`src/`), starting at its `Auth0Client`, and leaves
 * out the parts this page never calls (src/slim/auth0-features.ts says which and why); the published bundle
 * carries them all. Only the SDK's own imports are redirected.
 */
function slimAuth0Sdk(): Plugin {
  const features = slim("auth0-features.ts");
  const redirects: Record<string, string> = {
    "@auth0/auth0-auth-js": features,
    "./mfa": features,
    "./passkey": features,
    "./anonymous": features,
    "./myaccount": features,
    "./dpop/dpop": features,
    "./fetcher": features,
    "./cache-localstorage": features,
    "./cache/key-manifest": features,
    "./worker/token.worker.ts": slim("required.ts"),
    "browser-tabs-lock": slim("required.ts"),
    "es-cookie": slim("cookies.ts"),
  };
  return {
    name: "idlink:slim-auth0-sdk",
    enforce: "pre",
    async resolveId(source, importer, options) {
      if (source === "@auth0/auth0-spa-js") {
        return this.resolve("@auth0/auth0-spa-js/src/Auth0Client.ts", importer, {
          ...options,
          skipSelf: true,
        });
      }
      if (importer?.includes("/@auth0/auth0-spa-js/src/")) return redirects[source];
      return undefined;
    },
  };
}

/**
 * Tells the browser, in the page's first bytes, the two things the sign-in button waits for, so they load beside
 * the entry chunk instead of after it has run: the page's configuration (`/api/config`, a preload the first
 * `fetch` of it takes over: same URL, mode and credentials) and the chunk of Auth0's SDK (a module preload).
 */
function preloadSignIn(): Plugin {
  return {
    name: "idlink:preload-sign-in",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const sdk = Object.values(ctx.bundle ?? {}).find(
          (chunk) => chunk.type === "chunk" && chunk.name === "Auth0Client",
        );
        if (!sdk) throw new Error("idlink:preload-sign-in: no Auth0Client chunk in the bundle");
        return [
          { tag: "link", attrs: { rel: "preload", href: "/api/config", as: "fetch", crossorigin: "" } },
          { tag: "link", attrs: { rel: "modulepreload", crossorigin: "", href: `/${sdk.fileName}` } },
        ].map((tag) => ({ ...tag, injectTo: "head" as const }));
      },
    },
  };
}

// The page's origin and tenant come from the demo server at run time, so nothing about a tenant is baked into the
// bundle.
export default defineConfig({
  plugins: [react(), slimAuth0Sdk(), preloadSignIn()],
  resolve: {
    // Zod's mini build behind the classic builders core's link rules use (src/slim/zod.ts).
    alias: [{ find: /^zod$/, replacement: slim("zod.ts") }],
  },
  // No modulepreload polyfill: every browser the page supports (Web Locks, crypto.subtle; see src/slim/required.ts)
  // preloads modules natively.
  build: { outDir: "dist/client", emptyOutDir: true, sourcemap: false, modulePreload: { polyfill: false } },
  // Under the dev server the SDK is served module by module through the plugin above, not pre-bundled without it
  // (its one CommonJS dependency, es-cookie, is a module of the page's own: src/slim/cookies.ts).
  optimizeDeps: { exclude: ["@auth0/auth0-spa-js"] },
});
