import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import {
  createMcpHandler,
  DEFAULT_MAX_REQUEST_BODY_SIZE,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  type McpServerFactory,
  validateHostHeader,
  validateOriginHeader,
} from "@modelcontextprotocol/server";
import { type Answer, callLine, createHttpAuth, type HttpAuth, type HttpAuthConfig } from "./http-auth.ts";

export interface HttpOptions {
  factory: McpServerFactory;
  /** 0 picks a free port. */
  port: number;
  /** The address to listen on (default 127.0.0.1); src/env.ts allows another one with OAuth only. */
  host?: string;
  /** Who may call: OAuth access tokens of the tenant, or the static bearer of loopback development (http-auth.ts). */
  auth: HttpAuthConfig;
  onerror?: (error: Error) => void;
  /** IDLINK_DEBUG: a line per request naming its caller (`sub`, client, scope) and method; never a token. */
  debug?: (line: string) => void;
}

export interface HttpServer {
  /** `http://127.0.0.1:PORT/mcp` */
  url: string;
  /** What guards the door, for the start-up line. */
  auth: string;
  close(): Promise<void>;
}

export const endpointPath = "/mcp";

/**
 * Serves MCP over Streamable HTTP (on 127.0.0.1 unless `host` says otherwise). A request's Host must be loopback or
 * the public resource's, and an Origin, when present, one of those (DNS-rebinding protection); then it must carry a
 * token `auth` admits (src/http-auth.ts: an OAuth access token of the tenant, or the static bearer). The caller's
 * token only opens this door: Auth0 is always called with the server's own credentials.
 * Past those checks the SDK's `createMcpHandler` serves both eras statelessly: a 2026-07-28 request on its own (its
 * `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers checked against its body: a mismatch is
 * `400 HeaderMismatch`, -32020), a 2025-era one through a fresh instance per request, no session either way.
 */
export async function serveHttp(options: HttpOptions): Promise<HttpServer> {
  const handler = createMcpHandler(options.factory, options.onerror ? { onerror: options.onerror } : {});
  // Set once the port is known (the default resource is the URL listened on), before any request is read.
  let auth: HttpAuth;
  let hosts: string[];
  let origins: string[];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const host = validateHostHeader(req.headers.host, hosts);
    if (!host.ok) return sendError(res, 403, `Forbidden: ${host.message}`);
    const origin = validateOriginHeader(req.headers.origin, origins);
    if (!origin.ok) return sendError(res, 403, `Forbidden: ${origin.message}`);
    const metadata = auth.metadata(req.method ?? "GET", path);
    if (metadata) return send(res, metadata);
    const admission = await auth.admit(req.headers.authorization);
    if (!admission.ok) return send(res, admission.answer);
    if (path !== endpointPath) return sendError(res, 404, `Not found: the MCP endpoint is ${endpointPath}`);
    // 2026-07-28 has no GET stream and no session to DELETE, and this server serves 2025-era clients statelessly too:
    // POST only (modelcontextprotocol/modelcontextprotocol@b0f60ba
    // docs/specification/2026-07-28/basic/transports/streamable-http.mdx, "Earlier Streamable HTTP Revisions": GET or
    // DELETE → 405).
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return sendError(
        res,
        405,
        `Method not allowed: ${req.method ?? "this method"} — the MCP endpoint takes POST only (one JSON-RPC message per request; there is no stream to GET and no session to DELETE)`,
      );
    }
    const body = await readBody(req);
    if (body === undefined) return sendError(res, 413, "Payload too large");
    options.debug?.(callLine(admission.caller, body));
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const request = new Request(`http://${req.headers.host}${req.url ?? "/"}`, {
      method: "POST",
      headers,
      signal: abort.signal,
      body,
    });
    const response = await handler.fetch(request, { authInfo: admission.authInfo });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body === null) {
      res.end();
      return;
    }
    Readable.fromWeb(response.body).pipe(res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onerror?.(error instanceof Error ? error : new Error(String(error)));
      if (!res.headersSent) sendError(res, 500, "Internal error");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address.includes(":") ? `[${address}]` : address}:${port}${endpointPath}`;
  auth = createHttpAuth(options.auth, url);
  hosts = [...localhostAllowedHostnames(), ...auth.hostnames];
  origins = [...localhostAllowedOrigins(), ...auth.hostnames];
  return {
    url,
    auth: auth.summary,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= DEFAULT_MAX_REQUEST_BODY_SIZE) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > DEFAULT_MAX_REQUEST_BODY_SIZE ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
