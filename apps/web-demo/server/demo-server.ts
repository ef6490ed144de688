import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type ApiReply, handleApi, type TenantSetup } from "./api.ts";
import { baseHeaders, checkCaller, contentSecurityPolicy } from "./security.ts";
import { readStaticFile } from "./static-files.ts";

export interface DemoServerOptions {
  /** The built page (Vite's output folder); without it only the API answers (under `pnpm dev`, Vite serves the page). */
  clientDir?: string | undefined;
  /** 0 picks a free port. Always on 127.0.0.1. */
  port?: number;
}

export interface DemoServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  origin: string;
  /** The origins a browser may use for this server (127.0.0.1 and localhost). */
  origins: string[];
  /** Connects the server to its tenant; until then the API answers 503. */
  attach(setup: TenantSetup): void;
  /** Lets another page origin write through the admin API: the Vite dev server's, which proxies `/api` here. */
  allowOrigin(origin: string): void;
  stop(): Promise<void>;
}

const maxBodyBytes = 64 * 1024;

class BodyError extends Error {}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > maxBodyBytes) return reject(new BodyError("the request body is larger than 64 KiB"));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new BodyError("the request body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

/**
 * Starts the demo's server on 127.0.0.1: the built page with a strict CSP, and the small admin API that calls the
 * tenant with Management credentials the browser never sees. Listens first, so the emulator can be told its origin.
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  let setup: TenantSetup | undefined;
  const sockets = new Set<Socket>();
  const hosts = new Set<string>();
  const origins = new Set<string>();

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) {
    res.writeHead(status, { ...baseHeaders, ...headers });
    res.end(body);
  }

  function sendJson(res: ServerResponse, reply: ApiReply) {
    send(
      res,
      reply.status,
      { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
      JSON.stringify(reply.body),
    );
  }

  function sendError(res: ServerResponse, status: number, title: string, message: string) {
    sendJson(res, { status, body: { error: { title, message } } });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const refusal = checkCaller(
      {
        method,
        host: req.headers.host,
        origin: req.headers.origin,
        contentType: req.headers["content-type"],
      },
      hosts,
      origins,
    );
    if (refusal) return sendError(res, 403, "Refused", refusal);

    if (path === "/api" || path.startsWith("/api/")) {
      if (!setup) return sendError(res, 503, "Starting", "the demo is still connecting to its tenant");
      const reply = await handleApi(setup, method, path, () => readJson(req));
      return sendJson(res, reply);
    }
    if (method !== "GET" && method !== "HEAD") {
      return send(res, 405, { allow: "GET, HEAD", "content-type": "text/plain" }, "Method not allowed");
    }
    const file = options.clientDir === undefined ? undefined : await readStaticFile(options.clientDir, path);
    if (!file) return send(res, 404, { "content-type": "text/plain; charset=utf-8" }, "Not found");
    const headers: Record<string, string> = {
      "content-type": file.contentType,
      "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    };
    if (file.contentType.startsWith("text/html")) {
      headers["content-security-policy"] = contentSecurityPolicy(setup?.tenant);
    }
    send(res, 200, headers, method === "HEAD" ? "" : file.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      const message = error instanceof BodyError ? error.message : "the demo server failed; see its console";
      sendError(res, error instanceof BodyError ? 400 : 500, "Bad request", message);
      if (!(error instanceof BodyError)) console.error(error);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  for (const host of ["127.0.0.1", "localhost"]) {
    hosts.add(`${host}:${port}`);
    origins.add(`http://${host}:${port}`);
  }
  const own = [...origins];
  const origin = `http://127.0.0.1:${port}`;

  return {
    origin,
    origins: own,
    attach(next) {
      setup = next;
    },
    allowOrigin(other) {
      origins.add(other);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}
