import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { type Alias, defineConfig, type Plugin, runnerImport } from "vite";

const slim = (file: string) => fileURLToPath(new URL(`src/slim/${file}`, import.meta.url));

// Zod's mini build behind the classic builders core's link rules use (src/slim/zod.ts).
const alias: Alias[] = [{ find: /^zod$/, replacement: slim("zod.ts") }];

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
 * Tells the browser, in the page's first bytes, everything the first view loads, so it all comes beside the entry
 * instead of after it has run: the page's configuration (`/api/config`, a preload the first `fetch` of it takes
 * over: same URL, mode and credentials), React's page (`mount`, with the chunks it imports) and the chunk of
 * Auth0's SDK, which the first sign-in runs (module preloads: fetched and parsed, run only when imported). Module
 * preloads do not hold up the document's load; the entry script is `blocking="render"`: the page is not shown before
 * it has run, so its sign-in button answers from the first paint (src/page-start.ts).
 */
function preloadFirstView(): Plugin {
  return {
    name: "idlink:preload-first-view",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html, ctx) {
        const bundle = ctx.bundle ?? {};
        const chunk = (name: string) => {
          const found = Object.values(bundle).find((c) => c.type === "chunk" && c.name === name);
          if (found?.type !== "chunk")
            throw new Error(`idlink:preload-first-view: no ${name} chunk in the bundle`);
          return found;
        };
        const files = new Set<string>();
        const add = (file: string) => {
          const found = bundle[file];
          if (files.has(file) || found?.type !== "chunk" || found.isEntry) return;
          for (const imported of found.imports) add(imported);
          files.add(file);
        };
        add(chunk("mount").fileName);
        add(chunk("Auth0Client").fileName);
        const entry = `src="/${chunk("index").fileName}"`;
        if (!html.includes(entry)) throw new Error("idlink:preload-first-view: no entry script in the page");
        return {
          html: html.replace(entry, `${entry} blocking="render"`),
          tags: [
            { tag: "link", attrs: { rel: "preload", href: "/api/config", as: "fetch", crossorigin: "" } },
            ...[...files].map((file) => ({
              tag: "link",
              attrs: { rel: "modulepreload", crossorigin: "", href: `/${file}` },
            })),
          ].map((tag) => ({ ...tag, injectTo: "head" as const })),
        };
      },
    },
  };
}

/**
 * Renders the demo page's first view into its HTML (`src/prerender.tsx`, run by Vite's module runner with this
 * config's aliases), so the browser paints the page from its first bytes while the scripts load, and React attaches
 * to it (`hydrateRoot` in main.tsx) instead of building it. The view needs no configuration, so nothing about a
 * tenant is baked in. The linking page gets the HTML without it (`link.html`, served on /link).
 */
function prerenderFirstView(): Plugin {
  const emptyRoot = '<div id="root"></div>';
  return {
    name: "idlink:prerender-first-view",
    apply: "build",
    generateBundle: {
      // After Vite has written index.html.
      order: "post",
      async handler(_options, bundle) {
        const page = bundle["index.html"];
        const html = page?.type === "asset" ? String(page.source) : "";
        if (page?.type !== "asset" || !html.includes(emptyRoot)) {
          throw new Error(`idlink:prerender-first-view: no ${emptyRoot} in the built index.html`);
        }
        const { module } = await runnerImport<typeof import("./src/prerender.tsx")>(
          fileURLToPath(new URL("src/prerender.tsx", import.meta.url)),
          {
            configFile: false,
            logLevel: "warn",
            resolve: { alias },
            // The workspace's packages are TypeScript source: the runner transforms them (only what is published
            // to a registry is left to Node).
            environments: { inline: { resolve: { noExternal: [/^@idlink\//] } } },
            plugins: [react()],
          },
        );
        this.emitFile({ type: "asset", fileName: "link.html", source: html });
        page.source = html.replace(emptyRoot, `<div id="root">${module.prerender()}</div>`);
      },
    },
  };
}

// The page's origin and tenant come from the demo server at run time, so nothing about a tenant is baked into the
// bundle.
export default defineConfig({
  plugins: [react(), slimAuth0Sdk(), preloadFirstView(), prerenderFirstView()],
  resolve: { alias },
  // No modulepreload polyfill: every browser the page supports (Web Locks, crypto.subtle; see src/slim/required.ts)
  // preloads modules natively.
  build: { outDir: "dist/client", emptyOutDir: true, sourcemap: false, modulePreload: { polyfill: false } },
  // Under the dev server the SDK is served module by module through the plugin above, not pre-bundled without it
  // (its one CommonJS dependency, es-cookie, is a module of the page's own: src/slim/cookies.ts).
  optimizeDeps: { exclude: ["@auth0/auth0-spa-js"] },
});
