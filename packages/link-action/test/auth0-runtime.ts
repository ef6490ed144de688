// A stand-in for Auth0's Actions runtime, as small as the tests need: the BUILT dist/link-action.js run in a node:vm
// context as a CommonJS module (module/exports, a require of Node built-ins only, the platform's globals and fetch),
// and an `api` object per Auth0's post-login reference (auth0/docs-v2:
// main/docs/actions/reference/post-login/post-login-api-object.mdx) that records every call. Session tokens are
// HS256 JWTs as redirect-with-actions.mdx describes them, signed and checked here with node:crypto (the tests check
// them again with jose, independently).
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import type { PostLoginApi, PostLoginEvent } from "../src/auth0.ts";

export const actionFile = fileURLToPath(new URL("../dist/link-action.js", import.meta.url));

export interface LoadedAction {
  onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void>;
  onContinuePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void>;
  /** What the Action wrote with console.*. */
  logs: string[];
  /** Every URL the Action fetched. */
  fetched: string[];
  /** What the file required. */
  required: string[];
}

// The globals Node 22 gives a module (Auth0's runtime is Node), passed into the context as they are.
const platformGlobals = [
  "AbortController",
  "AbortSignal",
  "atob",
  "Blob",
  "btoa",
  "Buffer",
  "clearImmediate",
  "clearInterval",
  "clearTimeout",
  "CompressionStream",
  "crypto",
  "DecompressionStream",
  "DOMException",
  "Event",
  "EventTarget",
  "FormData",
  "Headers",
  "performance",
  "process",
  "queueMicrotask",
  "ReadableStream",
  "Request",
  "Response",
  "setImmediate",
  "setInterval",
  "setTimeout",
  "structuredClone",
  "TextDecoder",
  "TextEncoder",
  "TransformStream",
  "URL",
  "URLSearchParams",
  "WritableStream",
] as const;

const nodeRequire = createRequire(import.meta.url);

/** Loads the built Action as Auth0 would: its own module scope, Node built-ins only. */
export function loadAction(file = actionFile): LoadedAction {
  const code = readFileSync(file, "utf8");
  const logs: string[] = [];
  const fetched: string[] = [];
  const required: string[] = [];
  const write = (...args: unknown[]) => {
    logs.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  };
  const globals: Record<string, unknown> = {};
  for (const name of platformGlobals) globals[name] = (globalThis as Record<string, unknown>)[name];
  const context = vm.createContext({
    ...globals,
    console: { log: write, info: write, warn: write, error: write, debug: write },
    fetch: (input: string | URL | Request, init?: RequestInit) => {
      fetched.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    },
  });
  const module = { exports: {} as Record<string, unknown> };
  const sandboxRequire = (name: string) => {
    required.push(name);
    if (!isBuiltin(name))
      throw new Error(`Cannot find module '${name}' (an Action may not declare dependencies)`);
    return nodeRequire(name);
  };
  const wrapper = vm.runInContext(
    `(function (exports, require, module, __filename, __dirname) {${code}\n})`,
    context,
    { filename: "link-action.js" },
  ) as (...args: unknown[]) => void;
  wrapper(module.exports, sandboxRequire, module, "/action/link-action.js", "/action");
  const exported = module.exports as Partial<LoadedAction>;
  if (
    typeof exported.onExecutePostLogin !== "function" ||
    typeof exported.onContinuePostLogin !== "function"
  ) {
    throw new Error("the Action does not export onExecutePostLogin and onContinuePostLogin");
  }
  return {
    onExecutePostLogin: exported.onExecutePostLogin,
    onContinuePostLogin: exported.onContinuePostLogin,
    logs,
    fetched,
    required,
  };
}

export interface Calls {
  denied: string[];
  primaryUser: string[];
  appMetadata: [string, unknown][];
  redirects: { url: string; query: Record<string, string> }[];
}

export interface FakeApiOptions {
  /** Auth0's `state` of this transaction (sent to the page with the redirect, expected back in the token). */
  state?: string;
  /** The POST body of the /continue request (for onContinuePostLogin). */
  continueBody?: Record<string, string>;
  /** Tokens already taken by /continue in this transaction (replays). */
  used?: Set<string>;
  /** Host the token's `iss` names (Auth0: the tenant's). */
  issuer?: string;
}

export const defaultState = "emulated-state-4f9a1c";

/** An `api` for one execution, recording what the Action asked for. */
export function fakeApi(
  event: PostLoginEvent,
  options: FakeApiOptions = {},
): { api: PostLoginApi; calls: Calls } {
  const calls: Calls = { denied: [], primaryUser: [], appMetadata: [], redirects: [] };
  const state = options.state ?? defaultState;
  const used = options.used ?? new Set<string>();
  const prompt = event.transaction?.prompt ?? [];
  const api: PostLoginApi = {
    access: { deny: (reason) => calls.denied.push(reason) },
    authentication: { setPrimaryUser: (id) => calls.primaryUser.push(id) },
    user: { setAppMetadata: (key, value) => calls.appMetadata.push([key, structuredClone(value)]) },
    redirect: {
      canRedirect: () => !prompt.includes("none"),
      encodeToken: ({ secret, expiresInSeconds = 900, payload }) => {
        const iat = Math.floor(Date.now() / 1000);
        return signHs256(
          {
            ...payload,
            sub: event.user.user_id,
            iss: options.issuer ?? "127.0.0.1",
            ip: "203.0.113.7",
            iat,
            exp: iat + expiresInSeconds,
          },
          secret,
        );
      },
      sendUserTo: (url, sendOptions) => {
        calls.redirects.push({ url, query: { ...(sendOptions?.query ?? {}), state } });
      },
      validateToken: ({ secret, tokenParameterName = "session_token" }) => {
        const token = options.continueBody?.[tokenParameterName];
        if (typeof token !== "string") throw new Error(`no ${tokenParameterName} in the /continue request`);
        const claims = verifyHs256(token, secret);
        const standard = ["iat", "exp"].every((c) => typeof claims[c] === "number");
        if (!standard || !["iss", "sub", "state"].every((c) => typeof claims[c] === "string")) {
          throw new Error("Missing or invalid standard claims");
        }
        if ((claims.exp as number) * 1000 <= Date.now()) throw new Error("the token has expired");
        if (claims.state !== state) throw new Error("the token's state does not match this transaction");
        if (used.has(token)) throw new Error("the token was already used");
        used.add(token);
        return claims;
      },
    },
  };
  return { api, calls };
}

const b64 = (value: string | Buffer) => Buffer.from(value).toString("base64url");

export function signHs256(claims: Record<string, unknown>, secret: string): string {
  const head = `${b64(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64(JSON.stringify(claims))}`;
  return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
}

function verifyHs256(token: string, secret: string): Record<string, unknown> {
  const [header, body, signature] = token.split(".");
  if (!header || !body || signature === undefined) throw new Error("the token is not a JWT");
  const alg = (JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: string }).alg;
  if (alg !== "HS256") throw new Error("the token is not signed with HS256");
  const expected = createHmac("sha256", secret).update(`${header}.${body}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new Error("invalid token signature");
  }
  return JSON.parse(Buffer.from(body, "base64url").toString()) as Record<string, unknown>;
}
