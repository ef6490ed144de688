import type { IncomingHttpHeaders } from "node:http";
import type { Readable } from "node:stream";

export interface Reply {
  status: number;
  body?: unknown;
  /** A body that is not JSON (an HTML page, a script), sent as is; its content-type goes in `headers`. */
  text?: string;
  headers?: Record<string, string>;
  /** A body that is not JSON (an export file, a storage error page), streamed as it is. */
  raw?: { contentType: string; body: string | Readable };
}

export interface RequestContext {
  method: string;
  /** The path as received, still percent-encoded. */
  rawPath: string;
  /** The path split on "/" and each segment percent-decoded exactly once. */
  segments: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The client's address (`127.0.0.1`; an IPv4-mapped IPv6 address is written as IPv4). */
  ip: string;
}

export type Handler = (req: RequestContext, params: Record<string, string>) => Promise<Reply>;

interface Route {
  method: string;
  pattern: string[];
  handler: Handler;
}

/** Splits a raw path on "/" and decodes each segment once, so `%2F` inside an id never becomes a separator. */
export function splitPath(rawPath: string): string[] | undefined {
  try {
    return rawPath
      .split("/")
      .slice(1)
      .map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

/** A tiny segment router: `:name` matches one non-empty segment. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    this.routes.push({ method, pattern: path.split("/").slice(1), handler });
    return this;
  }

  match(
    method: string,
    segments: string[],
  ): { handler: Handler; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method || route.pattern.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const matches = route.pattern.every((part, i) => {
        const segment = segments[i];
        if (segment === undefined) return false;
        if (part.startsWith(":")) {
          params[part.slice(1)] = segment;
          return segment !== "";
        }
        return part === segment;
      });
      if (matches) return { handler: route.handler, params };
    }
    return undefined;
  }
}
