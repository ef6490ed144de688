import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { formatDebugEvent } from "@idlink/core";
import type { Emulator } from "@idlink/emulator";
import type { Plugin, ViteDevServer } from "vite";
import { linkPagePath } from "../src/link/link-types.ts";
import { type DemoServer, startDemoServer } from "./demo-server.ts";
import { type DemoConfig, readEnv } from "./env.ts";
import { baseHeaders, contentSecurityPolicy, injectProof } from "./security.ts";
import { attachTenant } from "./start-demo.ts";

const indexHtml = fileURLToPath(new URL("../index.html", import.meta.url));
// Vite writes this into the page's nonce attributes and its csp-nonce meta; each answer replaces it by a fresh one.
const noncePlaceholder = "idlink-dev-nonce-placeholder";

/**
 * `pnpm dev`: Vite's dev server (hot reload) for the page, with the demo's backend behind it — the demo server's
 * admin API on 127.0.0.1, proxied at `/api`, and the emulator (or the configured tenant, as `pnpm start` reads
 * it). The page gets the built page's headers and CSP (server/security.ts), plus exactly what Vite's client needs:
 * a per-answer nonce for its inline react-refresh preamble and injected styles, and its websocket.
 */
export function devBackend(env: Record<string, string | undefined> = process.env): Plugin {
  // Vite runs `config` then `configureServer` again on each restart (a changed vite.config.ts), with the same
  // plugin: each run gets its own backend, stopped with its own HTTP server.
  let starting: { config: DemoConfig; demo: DemoServer } | undefined;

  return {
    name: "idlink:dev-backend",
    apply: (_, { command, isPreview }) => command === "serve" && isPreview !== true,

    async config(user) {
      const config = await readEnv(env);
      const demo = await startDemoServer({ port: 0 });
      starting = { config, demo };
      // PORT is the page's port, as under `pnpm start`; a tenant's SPA application lists the page's exact origin,
      // so with a tenant it is kept (5173 by default) or the start fails.
      const port = user.server?.port ?? (config.port === 0 ? 5173 : config.port);
      return {
        server: {
          host: "127.0.0.1",
          port,
          strictPort: config.mode === "tenant",
          // changeOrigin: the demo server sees its own Host (127.0.0.1:ITS_PORT); the browser's Host was checked by
          // Vite (`allowedHosts`). Origin and x-idlink-csrf go through unchanged, and are checked there.
          proxy: { "/api": { target: demo.origin, changeOrigin: true } },
        },
        html: { cspNonce: noncePlaceholder },
      };
    },

    configureServer(server) {
      const http = server.httpServer;
      if (!http) throw new Error("pnpm dev needs Vite's own HTTP server (not middleware mode)");
      if (!starting) throw new Error("the config hook did not run");
      const { config, demo } = starting;
      let emulator: Emulator | undefined;
      let tenant: string | undefined;
      let allowedHosts = new Set<string>();
      const ready = new Promise<void>((resolve, reject) => {
        http.once("listening", () => {
          const { port } = http.address() as AddressInfo;
          const pageOrigins = [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
          allowedHosts = new Set(pageOrigins.map((o) => new URL(o).host));
          for (const origin of pageOrigins) demo.allowOrigin(origin);
          const onEvent = config.debug
            ? (event: Parameters<typeof formatDebugEvent>[0]) =>
                process.stderr.write(`idlink web demo debug: ${formatDebugEvent(event)}\n`)
            : undefined;
          attachTenant(demo, config, pageOrigins, { onEvent }).then((started) => {
            emulator = started;
            tenant = config.mode === "tenant" ? config.domain.origin : started?.url;
            server.config.logger.info(
              `  idlink web demo (dev, ${started ? "local emulator, default seed" : "your Auth0 tenant"}): ` +
                `API ${demo.origin} proxied at /api`,
            );
            resolve();
          }, reject);
        });
      });
      ready.catch((error: unknown) => {
        server.config.logger.error(
          `idlink web demo: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      http.once("close", () => {
        void Promise.allSettled([demo.stop(), emulator?.stop()]);
      });
      // Before Vite's own middlewares: the page itself is answered here, with its CSP.
      // Nothing is answered before the tenant is attached: the page's CSP names it, the API needs it.
      server.middlewares.use((req, res, next) => {
        for (const [name, value] of Object.entries(baseHeaders)) res.setHeader(name, value);
        const path = (req.url ?? "/").split("?")[0];
        const link = path === linkPagePath;
        const page = req.method === "GET" && (path === "/" || path === "/index.html" || link);
        ready
          .then(() =>
            page
              ? servePage(server, req, res, {
                  tenant,
                  allowedHosts,
                  proof: demo.proof,
                  page: link ? "link" : "main",
                })
              : next(),
          )
          .catch((error: unknown) => next(error));
      });
    },
  };
}

/**
 * The page, transformed by Vite, with a fresh nonce, its CSP and the demo server's per-start secret (the admin
 * API's proof that a call comes from the page); only under the dev server's own host names.
 */
async function servePage(
  server: ViteDevServer,
  req: IncomingMessage,
  res: ServerResponse,
  {
    tenant,
    allowedHosts,
    proof,
    page,
  }: { tenant: string | undefined; allowedHosts: Set<string>; proof: string; page: "main" | "link" },
): Promise<void> {
  const host = req.headers.host ?? "";
  if (!allowedHosts.has(host)) {
    res.writeHead(403, { "content-type": "text/plain; charset=utf-8" });
    res.end("this dev server answers only on 127.0.0.1 or localhost");
    return;
  }
  const nonce = randomBytes(18).toString("base64url");
  const html = injectProof(
    (await server.transformIndexHtml(req.url ?? "/", await readFile(indexHtml, "utf8"))).replaceAll(
      noncePlaceholder,
      nonce,
    ),
    proof,
  );
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": contentSecurityPolicy(tenant, { nonce, websocket: `ws://${host}` }, page),
  });
  res.end(html);
}
