import { createHash, timingSafeEqual } from "node:crypto";
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

export interface HttpOptions {
  factory: McpServerFactory;
  /** 0 picks a free port. */
  port: number;
  /** The bearer token every request must carry. */
  token: string;
  onerror?: (error: Error) => void;
}

export interface HttpServer {
  /** `http://127.0.0.1:PORT/mcp` */
  url: string;
  close(): Promise<void>;
}

export const endpointPath = "/mcp";

/**
 * Serves MCP over Streamable HTTP on 127.0.0.1 only. Every request must carry the bearer token (compared in
 * constant time) and a loopback Host, and an Origin, when present, must be a loopback one (DNS-rebinding
 * protection). The caller's token only opens this door: Auth0 is always called with the server's own credentials.
 */
export async function serveHttp(options: HttpOptions): Promise<HttpServer> {
  const handler = createMcpHandler(options.factory, options.onerror ? { onerror: options.onerror } : {});
  const expected = digest(options.token);
  const hosts = localhostAllowedHostnames();
  const origins = localhostAllowedOrigins();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const host = validateHostHeader(req.headers.host, hosts);
    if (!host.ok) return sendError(res, 403, `Forbidden: ${host.message}`);
    const origin = validateOriginHeader(req.headers.origin, origins);
    if (!origin.ok) return sendError(res, 403, `Forbidden: ${origin.message}`);
    if (!authorized(req.headers.authorization, expected)) {
      res.setHeader("www-authenticate", 'Bearer realm="idlink-mcp"');
      return sendError(res, 401, "Unauthorized: send Authorization: Bearer <IDLINK_MCP_HTTP_TOKEN>");
    }
    if (path !== endpointPath) return sendError(res, 404, `Not found: the MCP endpoint is ${endpointPath}`);
    const body = await readBody(req);
    if (body === undefined) return sendError(res, 413, "Payload too large");
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const method = req.method ?? "GET";
    const request = new Request(`http://${req.headers.host}${req.url ?? "/"}`, {
      method,
      headers,
      signal: abort.signal,
      ...(method === "GET" || method === "HEAD" ? {} : { body }),
    });
    const response = await handler.fetch(request);
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
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${endpointPath}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

// Hashing first gives equal-length buffers, so the comparison takes the same time whatever was sent.
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
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
