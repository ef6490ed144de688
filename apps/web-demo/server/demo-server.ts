import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ValidationError } from "@idlink/core";
import { proofHeader } from "../src/lib/api-types.ts";
import { linkPagePath } from "../src/link/link-types.ts";
import { type ApiReply, handleApi, type TenantSetup } from "./api.ts";
import type { LinkAtLoginSetup } from "./link-at-login.ts";
import { baseHeaders, checkCaller, contentSecurityPolicy, createProof, injectProof } from "./security.ts";
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
  /**
   * This start's secret: the page gets it in its HTML (`<meta name="idlink-csrf">`) and sends it back on every
   * admin-API call (`x-idlink-csrf`). Under `pnpm dev` the plugin puts it in the page Vite serves.
   */
  proof: string;
  /** Lets another page origin write through the admin API: the Vite dev server's, which proxies `/api` here. */
  allowOrigin(origin: string): void;
  /** The linking page's setup, once attached (its secret is the post-login Action's SESSION_TOKEN_SECRET). */
  linkAtLogin(): LinkAtLoginSetup | undefined;
  stop(): Promise<void>;
}

const maxBodyBytes = 64 * 1024;

/** A request body over the admin API's limit: answered 413, and not read any further. */
class BodyTooLarge extends Error {
  constructor() {
    super(
      `the request body is larger than the admin API's limit of 64 KiB (${maxBodyBytes} bytes); nothing was sent to the tenant`,
    );
  }
}

/**
 * Reads a body of at most 64 KiB. A larger declared Content-Length is refused before a byte is read; a body that
 * grows past the limit (chunked, or more than it declared) stops being read there. Either way the caller answers
 * 413 and closes the connection, so the rest is never read.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers["content-length"]) > maxBodyBytes) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) return void chunks.push(chunk);
      stop();
      req.pause();
      reject(new BodyTooLarge());
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/** The body as JSON, for the routes that take one; anything else is core's "invalid input" (400). */
function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new ValidationError([{ path: "body", message: "the request body is not JSON" }], "request");
  }
}

/** Whether the request announced a body (Content-Length above 0, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (length !== undefined && length !== "0") || req.headers["transfer-encoding"] !== undefined;
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
  const proof = createProof();

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer) {
    res.writeHead(status, { ...baseHeaders, ...headers });
    res.end(body);
  }

  function sendJson(res: ServerResponse, reply: ApiReply) {
    const text = JSON.stringify(reply.body);
    send(
      res,
      reply.status,
      {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "no-store",
        "content-length": String(Buffer.byteLength(text)),
      },
      text,
    );
  }

  function sendError(res: ServerResponse, status: number, title: string, message: string) {
    sendJson(res, { status, body: { error: { title, message } } });
  }

  /**
   * Refuses a request whose body is not (or no longer) being read: the answer closes the connection, so Node does
   * not read the rest of a body nobody wants (a 413's 5 MB, a refused caller's upload) to keep the socket alive.
   */
  function refuse(req: IncomingMessage, res: ServerResponse, status: number, title: string, message: string) {
    if (hasBody(req) && !req.complete) res.setHeader("connection", "close");
    sendError(res, status, title, message);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const refusal = checkCaller(
      {
        method,
        path,
        host: req.headers.host,
        origin: req.headers.origin,
        contentType: req.headers["content-type"],
        proof: req.headers[proofHeader],
      },
      hosts,
      origins,
      proof,
    );
    if (refusal) return refuse(req, res, 403, "Refused", refusal);

    if (path === "/api" || path.startsWith("/api/")) {
      if (!setup) return refuse(req, res, 503, "Starting", "the demo is still connecting to its tenant");
      // The body is read (and its limit enforced) here, before the API runs: nothing reaches the tenant first.
      let body: Buffer = Buffer.alloc(0);
      if (method !== "GET" && method !== "HEAD") {
        try {
          body = await readBody(req);
        } catch (error) {
          if (!(error instanceof BodyTooLarge)) throw error;
          return refuse(req, res, 413, "Request body too large", error.message);
        }
      }
      const reply = await handleApi(setup, method, path, async () => parseJson(body));
      return sendJson(res, reply);
    }
    if (method !== "GET" && method !== "HEAD") {
      return send(res, 405, { allow: "GET, HEAD", "content-type": "text/plain" }, "Method not allowed");
    }
    // The linking page is a route of the same page (its code is a chunk the page loads on that path), served the
    // page's HTML without the demo page's prerendered first view (vite.config.ts).
    const linkPage = path === linkPagePath;
    const file =
      options.clientDir === undefined
        ? undefined
        : await readStaticFile(options.clientDir, linkPage ? "/link.html" : path);
    if (!file) return send(res, 404, { "content-type": "text/plain; charset=utf-8" }, "Not found");
    const headers: Record<string, string> = {
      "content-type": file.contentType,
      "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    };
    let body: string | Buffer = file.body;
    if (file.contentType.startsWith("text/html")) {
      headers["content-security-policy"] = contentSecurityPolicy(
        setup?.tenant,
        undefined,
        linkPage ? "link" : "main",
      );
      // The page carries this start's secret: never stored by a cache, never reused after a restart.
      headers["cache-control"] = "no-store";
      body = injectProof(file.body.toString("utf8"), proof);
    }
    send(res, 200, headers, method === "HEAD" ? "" : body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      refuse(req, res, 500, "Server error", "the demo server failed; see its console");
      console.error(error);
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
    proof,
    attach(next) {
      setup = next;
    },
    allowOrigin(other) {
      origins.add(other);
    },
    linkAtLogin: () => setup?.linkAtLogin,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}
