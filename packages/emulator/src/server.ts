import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { pipeline } from "node:stream/promises";
import { defaultActionTimeoutMs, PostLoginActions } from "./actions/pipeline.ts";
import type { ActionLogEntry, PostLoginAction } from "./actions/types.ts";
import { UsedAssertions } from "./client-assertion.ts";
import { parseClientMetadataDocument } from "./client-registration.ts";
import { ApiError, OAuthError, reasonPhrase } from "./errors.ts";
import { type FaultAfter, FaultInjector, type Faults } from "./faults.ts";
import type { GeneratedTenantOptions } from "./generate.ts";
import { generatedTenant } from "./generate.ts";
import { createSigningKeys } from "./keys.ts";
import { LoginState } from "./login-state.ts";
import { defaultRateLimit, type RateLimit, TokenBucket } from "./rate-limit.ts";
import { parseResourceServer, type ResourceServerInput } from "./resource-servers.ts";
import { type Reply, type RequestContext, Router, splitPath } from "./router.ts";
import { registerActionsRoutes } from "./routes/actions.ts";
import { type AuthenticationDeps, loginAs, registerAuthenticationRoutes } from "./routes/authentication.ts";
import { registerClientRegistrationRoutes } from "./routes/client-registration.ts";
import { type ExportJobOptions, registerJobRoutes } from "./routes/jobs.ts";
import { registerManagementRoutes } from "./routes/management.ts";
import { registerUniversalLoginRoutes } from "./routes/universal-login.ts";
import { registerUsersSearch } from "./routes/users-search.ts";
import { defaultSeed, type Seed, type User } from "./seed.ts";
import { Store } from "./store.ts";
import { resolveTenantSettings, TenantConfigError, type TenantSettings } from "./tenant-settings.ts";
import { signToken, type TokenContext } from "./tokens.ts";

export interface EmulatorOptions {
  /** The tenant to start from; defaults to the bundled seed (`@idlink/emulator/seed.json`). */
  seed?: Seed;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Token bucket of the Management API; defaults to a paid tenant's (burst 50, 16.7/s); false disables it. */
  rateLimit?: RateLimit | false;
  faults?: Faults;
  /** Browser origins allowed by CORS (e.g. the web demo's). */
  corsOrigins?: string[];
  /** Lifetime of every token the emulator mints; defaults to 86400 seconds, as Auth0's Management tokens. */
  tokenTtlSeconds?: number;
  /** Adds generated users to the seed's (deterministic; computed on demand, so a million costs no memory). */
  generate?: GeneratedTenantOptions;
  /** User export jobs: expiry and start delay. */
  exportJobs?: ExportJobOptions;
  /**
   * Host names the tenant is also known by (Auth0's custom domains, e.g. `login.example.com`): a client assertion's
   * `aud` may be `https://{host}/`, as Auth0 allows. Requests still go to 127.0.0.1.
   */
  customDomains?: string[];
  /**
   * Post-login Actions, run in this order after each sign-in through /authorize, before the code is issued (see
   * the README, "Post-login Actions"). `setPostLoginActions` changes them live.
   */
  postLoginActions?: PostLoginAction[];
  /** The time limit of one execution of the post-login trigger, in ms; Auth0's is 20 s (the default). */
  actionTimeoutMs?: number;
  /** Called with each line of the action log (an Action's `console`, the emulator's notes), secrets redacted. */
  onActionLog?: (entry: ActionLogEntry) => void;
  /**
   * The Actions API's builds: how long one takes in ms (default 300; 0 answers `built` to the next read), and a
   * test's way to make one fail (`fail` answers why, or undefined), besides code that does not compile.
   */
  actionBuilds?: { delayMs?: number; fail?: (code: string) => string | undefined };
  /**
   * Tenant settings, in Auth0's names: `flags.enable_dynamic_client_registration` (off by default, as on Auth0),
   * `resource_parameter_profile` (`compatibility`, the default of new tenants) and
   * `client_id_metadata_document_supported` (off). `setTenantSettings` changes them live.
   */
  tenantSettings?: TenantSettings;
}

export interface RequestRecord {
  method: string;
  /** The path as received, still percent-encoded, without the query string. */
  path: string;
  /** The raw query string, without "?" ("" when none). */
  query: string;
  /** 0 when the connection was dropped by a fault. */
  status: number;
  /** Epoch milliseconds at which the answer was sent (or the socket dropped). */
  at: number;
}

export interface EmulatorState {
  getUser(id: string): User | undefined;
  listUsers(): User[];
  /** Restores the tenant to `seed` (default: the seed it started with); forgets recorded requests and sign-ins. */
  reset(seed?: Seed): void;
  requests: RequestRecord[];
  /** What post-login Actions printed (`console`) and what the emulator noted about them; secret values redacted. */
  actionLog: ActionLogEntry[];
  /** The post-login Actions bound through the Management API (display name, deployed code, secrets), in order. */
  boundPostLoginActions(): PostLoginAction[];
  /**
   * Adds an API (Auth0's resource server), e.g. `idlinkMcpApi(mcpServerUrl)`: its identifier is what clients send as
   * `audience` or `resource`. Throws a `TenantConfigError` naming the field. `reset` forgets it.
   */
  addResourceServer(api: ResourceServerInput): void;
  /**
   * Registers a client by its Client ID Metadata Document, as Auth0's `POST /api/v2/clients/cimd/register` does:
   * `document` is what Auth0 would fetch from `url`, which becomes the client's id. Needs the tenant's
   * `client_id_metadata_document_supported`; answers Auth0's validation warnings; throws a `TenantConfigError` naming
   * the property. Registering the URL again updates the client. `reset` forgets it.
   */
  registerClientMetadataDocument(url: string, document: unknown): { warnings: string[] };
}

export interface MintTokenOptions {
  scopes: string[];
  sub?: string;
  azp?: string;
  expiresIn?: number;
  /** Extra claims, applied last: a test can forge one bad claim (`iss`, `aud`, `nbf`…) on a well-signed token. */
  claims?: Record<string, unknown>;
}

export interface Emulator {
  /** "http://127.0.0.1:PORT", no trailing slash. */
  url: string;
  /** url + "/". */
  issuer: string;
  /** issuer + "api/v2/". */
  managementAudience: string;
  stop(): Promise<void>;
  state: EmulatorState;
  setFaults(faults: Faults): void;
  setRateLimit(rateLimit: RateLimit | false): void;
  /** Changes the tenant settings given (the others keep their values). */
  setTenantSettings(settings: TenantSettings): void;
  /** Binds these post-login Actions (in order) in place of the current ones; throws if one does not compile. */
  setPostLoginActions(actions: PostLoginAction[]): void;
  /** A valid Management API token with these scopes (by default for the first M2M client of the seed). */
  mintToken(options: MintTokenOptions): Promise<string>;
  /** The dev login: a user's ID token (aud = the seed's SPA client) and Management access token. */
  login(userId: string): Promise<{ id_token: string; access_token: string; expires_in: number }>;
}

const maxBodyBytes = 1024 * 1024;
const exposedHeaders = "x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after";
const badGatewayPage =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > maxBodyBytes ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function errorReply(error: unknown): Reply {
  if (error instanceof ApiError)
    return { status: error.status, body: error.toBody(), headers: error.headers };
  if (error instanceof OAuthError) {
    return { status: error.status, body: { error: error.error, error_description: error.description } };
  }
  return {
    status: 500,
    body: { statusCode: 500, error: "Internal Server Error", message: "Internal error" },
  };
}

/** Starts a local Auth0 tenant for the account-linking endpoints on 127.0.0.1. */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  let initialSeed = options.seed ?? defaultSeed();
  const store = new Store(initialSeed, options.generate ? generatedTenant(options.generate) : undefined);
  store.settings = resolveTenantSettings(options.tenantSettings);
  const keys = await createSigningKeys();
  const tokens: TokenContext = {
    keys,
    issuer: "",
    managementAudience: "",
    ttlSeconds: options.tokenTtlSeconds ?? 86_400,
    isClientId: (id) => store.clients.some((client) => client.client_id === id),
  };
  const logins = new LoginState();
  const assertions = new UsedAssertions();
  const customDomains = options.customDomains ?? [];
  const deps: AuthenticationDeps = {
    store,
    tokens,
    logins,
    assertions,
    // Auth0's guide asks for the tenant URL with its trailing slash (or a custom domain's); its community article
    // 187945 builds the assertion with the token endpoint (`/oauth/token`) as aud, and Auth0 takes that too.
    assertionAudiences: () =>
      [tokens.issuer, ...customDomains.map((host) => `https://${host}/`)].flatMap((base) => [
        base,
        `${base}oauth/token`,
      ]),
  };
  const actions = new PostLoginActions({
    store,
    logins,
    tenantHost: () => new URL(tokens.issuer).host,
    managementAudience: () => tokens.managementAudience,
    timeoutMs: options.actionTimeoutMs ?? defaultActionTimeoutMs,
    onLog: options.onActionLog,
  });
  actions.set(options.postLoginActions ?? []);
  const router = new Router();
  registerAuthenticationRoutes(router, deps);
  registerUniversalLoginRoutes(router, { ...deps, actions });
  registerManagementRoutes(router, deps);
  registerUsersSearch(router, deps);
  registerClientRegistrationRoutes(router, deps);
  // Actions deployed and bound to post-login through the Management API become the ones logins run.
  const actionsApi = registerActionsRoutes(router, {
    tokens,
    postLogin: actions,
    ...(options.actionBuilds?.delayMs === undefined ? {} : { buildDelayMs: options.actionBuilds.delayMs }),
    ...(options.actionBuilds?.fail ? { failBuild: options.actionBuilds.fail } : {}),
  });
  const jobs = registerJobRoutes(router, {
    store,
    tokens,
    ...(options.exportJobs ? { options: options.exportJobs } : {}),
  });

  let bucket: TokenBucket | undefined =
    options.rateLimit === false ? undefined : new TokenBucket(options.rateLimit ?? defaultRateLimit);
  // The Authentication API's endpoints have buckets of their own, of the same size (their real sizes are Auth0's
  // per-endpoint limits). The token endpoint's answers carry x-ratelimit-* on errors too (observed in ruby-auth0's
  // recordings: 200, 400 and 403 answers of /oauth/token); /userinfo's only on success (a 401 carries none).
  const authEndpoints = new Map<string, { errorsToo: boolean }>([
    ["/oauth/token", { errorsToo: true }],
    ["/userinfo", { errorsToo: false }],
  ]);
  const authBucketsFor = (limit: RateLimit | false | undefined) =>
    new Map(
      limit === false
        ? []
        : [...authEndpoints.keys()].map(
            (path) => [path, new TokenBucket(limit ?? defaultRateLimit)] as const,
          ),
    );
  let authBuckets = authBucketsFor(options.rateLimit);
  const faults = new FaultInjector(options.faults);
  const corsOrigins = new Set(options.corsOrigins ?? []);
  const requests: RequestRecord[] = [];
  // A reset starts a new log: a request that arrived before it and is answered after it is not recorded.
  let logGeneration = 0;
  const sockets = new Set<Socket>();
  // The Host values this server answers: its own loopback authority, filled in once the port is known.
  const ownHosts = new Set<string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const rawUrl = req.url ?? "/";
    const queryAt = rawUrl.indexOf("?");
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const rawQuery = queryAt === -1 ? "" : rawUrl.slice(queryAt + 1);
    const generation = logGeneration;
    const record = (status: number): void => {
      if (generation !== logGeneration) return;
      requests.push({ method, path: rawPath, query: rawQuery, status, at: Date.now() });
    };
    const drop = () => {
      record(0);
      req.socket.destroy();
    };
    const headers: Record<string, string> = {};
    // The Management API sends x-ratelimit-* on successes and on 429, not on other errors (observed in ruby-auth0's
    // recordings); the token endpoint on its errors too.
    let rateHeaders: Record<string, string> = {};
    let rateHeadersOnErrors = false;
    const send = (reply: Reply, fault?: FaultAfter) => {
      if (fault === "drop") return drop();
      if (reply.raw) return sendRaw(reply, reply.raw);
      if (reply.status < 400 || reply.status === 429 || rateHeadersOnErrors)
        Object.assign(headers, rateHeaders);
      const text = reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
      const body = fault === "malformed" ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text;
      const contentType =
        reply.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" };
      res.writeHead(reply.status, { ...headers, ...contentType, ...reply.headers });
      res.end(body);
      record(reply.status);
    };

    const sendRaw = (reply: Reply, raw: NonNullable<Reply["raw"]>) => {
      res.writeHead(reply.status, { ...headers, "content-type": raw.contentType, ...reply.headers });
      if (typeof raw.body === "string") res.end(raw.body);
      else
        pipeline(raw.body, res).catch(() => {
          res.destroy();
        });
      record(reply.status);
    };

    // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1 reaches this port with its own
    // name as Host (and as its origin, so CORS does not stop it). Only the emulator's own authority is answered.
    if (!ownHosts.has(req.headers.host?.toLowerCase() ?? "")) return send(misdirected(req.headers.host));

    const origin = req.headers.origin;
    if (origin !== undefined && corsOrigins.has(origin)) {
      Object.assign(headers, { "access-control-allow-origin": origin, vary: "Origin" });
      headers["access-control-expose-headers"] = exposedHeaders;
    }
    if (method === "OPTIONS") {
      if (!headers["access-control-allow-origin"]) return send({ status: 403 });
      return send({
        status: 204,
        headers: {
          "access-control-allow-methods": "GET, POST, PATCH, DELETE, OPTIONS",
          "access-control-allow-headers":
            req.headers["access-control-request-headers"] ?? "authorization, content-type",
          "access-control-max-age": "600",
        },
      });
    }

    const body = await readBody(req);
    const authBucket = authBuckets.get(rawPath);
    if (authBucket) {
      const decision = authBucket.take();
      rateHeaders = decision.headers;
      rateHeadersOnErrors = authEndpoints.get(rawPath)?.errorsToo ?? false;
      if (!decision.allowed) return send(authenticationTooManyRequests());
    }
    const isManagement = rawPath === "/api/v2" || rawPath.startsWith("/api/v2/");
    if (isManagement) {
      if (bucket) {
        const decision = bucket.take();
        rateHeaders = decision.headers;
        if (!decision.allowed) return send(tooManyRequests(bucket, decision.retryAfterSeconds));
      }
      const latency = faults.latencyMs(method);
      if (latency > 0) await sleep(latency);
      const fault = faults.before(method);
      if (fault === "drop") return drop();
      if (fault === "error500" || fault === "error503") {
        return send(errorReplyFor(fault));
      }
      if (fault === "html") {
        res.writeHead(502, { ...headers, "content-type": "text/html" });
        res.end(badGatewayPage);
        return record(502);
      }
    }
    if (body === undefined)
      return send(
        errorReply(new ApiError(413, "Payload content length greater than maximum allowed: 1048576")),
      );

    const segments = splitPath(rawPath);
    if (!segments) return send(errorReply(new ApiError(400, "Invalid request URI")));
    const route = router.match(method, segments);
    if (!route) return send(errorReply(new ApiError(404, "Not Found")));
    const context: RequestContext = {
      method,
      rawPath,
      segments,
      query: new URLSearchParams(rawQuery),
      headers: req.headers,
      body,
      ip: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
    };
    let reply: Reply;
    try {
      reply = await route.handler(context, route.params);
    } catch (error) {
      reply = errorReply(error);
    }
    send(reply, isManagement ? faults.after(method) : undefined);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify(errorReply(error).body));
      } else {
        res.destroy();
      }
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
  const url = `http://127.0.0.1:${port}`;
  for (const host of loopbackHosts(port)) ownHosts.add(host);
  tokens.issuer = `${url}/`;
  tokens.managementAudience = `${url}/api/v2/`;
  const defaultAzp = store.clients.find((c) => c.app_type === "non_interactive")?.client_id ?? "idlink-admin";

  return {
    url,
    issuer: tokens.issuer,
    managementAudience: tokens.managementAudience,
    state: {
      getUser: (id) => store.getUser(id),
      listUsers: () => store.listUsers(),
      reset(seed) {
        if (seed) initialSeed = seed;
        store.reset(initialSeed);
        logins.reset();
        assertions.reset();
        actions.reset();
        actionsApi.reset();
        requests.length = 0;
        logGeneration += 1;
      },
      requests,
      actionLog: actions.log,
      boundPostLoginActions: () => actionsApi.boundPostLogin(),
      addResourceServer(api) {
        const result = parseResourceServer(api, {
          managementAudience: tokens.managementAudience,
          taken: (identifier) => store.resourceServers.get(identifier) !== undefined,
          userExists: (id) => store.getUser(id) !== undefined,
        });
        if (!result.ok) throw new TenantConfigError(`Invalid API: ${result.issues.join("; ")}`);
        store.resourceServers.add(result.value);
      },
      registerClientMetadataDocument(url, document) {
        if (!store.settings.clientIdMetadataDocuments) {
          throw new TenantConfigError(
            "CIMD registration needs the tenant setting client_id_metadata_document_supported: give tenantSettings: { client_id_metadata_document_supported: true }",
          );
        }
        const result = parseClientMetadataDocument(url, document);
        if (!result.ok) {
          throw new TenantConfigError(`Invalid client metadata document: ${result.issues.join("; ")}`);
        }
        store.clients = [...store.clients.filter((c) => c.client_id !== url), result.value.client];
        return { warnings: result.value.warnings };
      },
    },
    setFaults: (next) => faults.set(next),
    setPostLoginActions: (next) => actions.set(next),
    setTenantSettings(next) {
      store.settings = resolveTenantSettings(next, store.settings);
    },
    setRateLimit(next) {
      bucket = next === false ? undefined : new TokenBucket(next);
      authBuckets = authBucketsFor(next);
    },
    mintToken({ scopes, azp = defaultAzp, sub = `${azp}@clients`, expiresIn, claims }) {
      const gty = sub.endsWith("@clients") ? { gty: "client-credentials" } : {};
      return signToken(tokens, {
        sub,
        aud: tokens.managementAudience,
        ...(expiresIn === undefined ? {} : { expiresIn }),
        claims: { azp, scope: scopes.join(" "), ...gty, ...claims },
      });
    },
    login: (userId) => loginAs(deps, userId),
    stop: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      await jobs.close();
      await actions.stop();
    },
  };
}

/**
 * The Host values of a server on 127.0.0.1:PORT: `127.0.0.1:PORT` and `localhost:PORT` (and the bare names on port
 * 80, where clients leave the port out). Not `[::1]`: the server does not listen there, so no direct request
 * carries it.
 */
function loopbackHosts(port: number): string[] {
  const names = ["127.0.0.1", "localhost"];
  return [...names.map((name) => `${name}:${port}`), ...(port === 80 ? names : [])];
}

/** 421 for a request whose Host is not the emulator's own (Auth0's error shape; the Host is not echoed). */
function misdirected(host: string | undefined): Reply {
  return {
    status: 421,
    body: {
      statusCode: 421,
      error: "Misdirected Request",
      message:
        host === undefined
          ? "The request has no Host header; this emulator answers only 127.0.0.1 or localhost on its port"
          : "The Host header is not this emulator's; it answers only 127.0.0.1 or localhost on its port",
    },
  };
}

function errorReplyFor(fault: "error500" | "error503"): Reply {
  const status = fault === "error500" ? 500 : 503;
  return { status, body: { statusCode: status, error: reasonPhrase(status), message: reasonPhrase(status) } };
}

// The Authentication API's 429 in its own error shape; the description is the emulator's (no recording of one).
function authenticationTooManyRequests(): Reply {
  return {
    status: 429,
    body: { error: "too_many_requests", error_description: "Global limit has been reached" },
  };
}

// Auth0's 429; custom rate-limit policies answer the OAuth-style body with Retry-After instead.
function tooManyRequests(bucket: TokenBucket, retryAfterSeconds: number): Reply {
  if (bucket.limit.mode === "custom") {
    return {
      status: 429,
      headers: { "retry-after": String(retryAfterSeconds) },
      body: { error: "too_many_requests", error_description: "Rate limit exceeded, try again later." },
    };
  }
  return {
    status: 429,
    body: {
      statusCode: 429,
      error: "Too Many Requests",
      message: "Global limit has been reached",
      errorCode: "too_many_requests",
    },
  };
}
