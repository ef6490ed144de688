// A tenant for `idlink action` tests: the emulator's Actions routes (packages/emulator/src/routes/actions.ts) served
// over real HTTP on 127.0.0.1 by a small server of their own, with the emulator's token checks. The emulator's
// server does not register these routes yet; once it does, these tests can use `startTenant` instead.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as kit from "@idlink/test-kit";
import type { PostLoginAction } from "../../../packages/emulator/src/actions/types.ts";
import { createSigningKeys } from "../../../packages/emulator/src/keys.ts";
import { type RequestContext, Router, splitPath } from "../../../packages/emulator/src/router.ts";
import {
  type ActionsRouteDeps,
  actionsErrorReply,
  registerActionsRoutes,
} from "../../../packages/emulator/src/routes/actions.ts";
import { signToken, type TokenContext } from "../../../packages/emulator/src/tokens.ts";

export interface ActionTenant {
  url: string;
  /** A Management token with these scopes. */
  mint(scopes: string[]): Promise<string>;
  /** Env for idlink with a token holding every Actions scope. */
  env: Record<string, string>;
  /** Every request received: method and path (with its query). */
  requests: { method: string; path: string }[];
  /** The post-login Actions the logins would run, as the routes last handed them over. */
  bound(): PostLoginAction[];
  /** The Management API writes received. */
  writes(): string[];
  /** Forgets every Action, binding and request. */
  reset(): void;
  /** Sends one request as a client would (to set the tenant up). */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

export const allActionScopes = ["read:actions", "create:actions", "update:actions", "delete:actions"];

export async function startActionTenant(
  options: Pick<ActionsRouteDeps, "buildDelayMs" | "failBuild"> = {},
): Promise<ActionTenant> {
  const tokens: TokenContext = {
    keys: await createSigningKeys(),
    issuer: "",
    managementAudience: "",
    ttlSeconds: 3600,
  };
  let bound: PostLoginAction[] = [];
  const router = new Router();
  const api = registerActionsRoutes(router, {
    tokens,
    postLogin: {
      set: (actions) => {
        bound = actions;
      },
    },
    buildDelayMs: options.buildDelayMs ?? 0,
    ...(options.failBuild ? { failBuild: options.failBuild } : {}),
  });
  const requests: { method: string; path: string }[] = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const method = req.method ?? "GET";
      const raw = req.url ?? "/";
      requests.push({ method, path: raw });
      const [rawPath = "/", rawQuery = ""] = raw.split("?");
      const segments = splitPath(rawPath) ?? [];
      const route = router.match(method, segments);
      const ctx = {
        method,
        rawPath,
        segments,
        query: new URLSearchParams(rawQuery),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        ip: "127.0.0.1",
      } as RequestContext;
      const reply = route
        ? await route.handler(ctx, route.params).catch(actionsErrorReply)
        : { status: 404, body: { statusCode: 404, error: "Not Found", message: "Not Found" } };
      res.writeHead(reply.status, {
        ...(reply.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
        ...reply.headers,
      });
      res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tokens.issuer = `${url}/`;
  tokens.managementAudience = `${url}/api/v2/`;
  const mint = async (scopes: string[]) => {
    const token = await signToken(tokens, {
      sub: "idlink-admin@clients",
      aud: tokens.managementAudience,
      claims: { scope: scopes.join(" "), azp: "idlink-admin" },
    });
    kit.recordSecrets(token);
    return token;
  };
  const admin = await mint(allActionScopes);
  return {
    url,
    mint,
    env: { AUTH0_DOMAIN: url, AUTH0_TOKEN: admin },
    requests,
    bound: () => bound,
    writes: () => requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`),
    reset() {
      api.reset();
      requests.length = 0;
      bound = [];
    },
    async call(method, path, body) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
