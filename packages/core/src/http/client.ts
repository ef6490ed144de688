import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "../generated/management-api.ts";
import type { LinkTarget, UnlinkTarget } from "../ids/arguments.ts";
import { requireTenantDomain, type TenantDomain } from "../ids/domain.ts";
import { alreadyParsed } from "../ids/parsed.ts";
import type { LinkRequest } from "../ids/rules.ts";
import { checkUserSearch, type UserSearch } from "../ids/search.ts";
import type { SecondaryId } from "../ids/user-id.ts";
import { checkUserId } from "../ids/user-id.ts";
import {
  IdlinkError,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  type RateLimitState,
  type Subject,
  ValidationError,
} from "../present/errors.ts";
import { redactText } from "../present/redact.ts";
import type { DebugSink } from "./debug.ts";
import {
  type CallContext,
  createTransport,
  type FetchLike,
  type Outgoing,
  OutgoingRequest,
  type RetryOptions,
  retryDelay,
} from "./transport.ts";

export type User = components["schemas"]["User"];
/** An identity as link and unlink answer it. */
export type UserIdentity = components["schemas"]["UserIdentity"];
/** An identity inside a user, as get user and users-by-email answer it. */
export type UserIdentitySchema = components["schemas"]["UserIdentitySchema"];
export type Metadata = components["schemas"]["Metadata"];
export type ExportUsersRequest = components["schemas"]["CreateExportUsersRequestContent"];
export type ExportUsersJob = components["schemas"]["CreateExportUsersResponseContent"];
export type Job = components["schemas"]["GetJobResponseContent"];

/** A public key of the tenant's JWKS (`/.well-known/jwks.json`), what signs its ID and access tokens. */
export interface TenantKey {
  kid?: string;
  kty?: string;
  alg?: string;
  use?: string;
  n?: string;
  e?: string;
}

/** A page of a user search: its users, and where it stands among all `total` matches. */
export interface UserPage {
  users: User[];
  /** Matches in all (Auth0 counts them; only the first 1000 can be paged through). */
  total: number;
  /** The index of this page's first user among the matches. */
  start: number;
  /** The page size asked for. */
  limit: number;
}

/** What the client tells its token source: the tenant and how this client reaches it. */
export interface TokenContext {
  tenant: TenantDomain;
  fetch: FetchLike;
  onEvent?: DebugSink | undefined;
  /** The client's per-attempt timeout, in ms. */
  timeoutMs?: number | undefined;
}

/** openapi-fetch's client of the fragment's operations. */
export type ApiClient = Client<paths>;

/** What openapi-fetch answers a call. */
export interface ApiResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** An operation as errors and the debug trail name it: `Get job`, `GET`, `/jobs/{id}` (under /api/v2). */
export interface Operation {
  operation: string;
  method: string;
  path: string;
  /** The account the request names, so a 404 says which one does not exist. */
  subject?: Subject;
}

export interface ManagementClientOptions {
  /**
   * `tenant.auth0.com`, `https://tenant.auth0.com`, the emulator's `http://127.0.0.1:PORT`, or what
   * `parseTenantDomain` made of one (taken as it is).
   */
  domain: string | TenantDomain;
  /** A Management API token; or give `getToken`. */
  token?: string;
  /**
   * Called before each request; cache inside it. A machine-to-machine application's token comes from
   * `clientCredentialsToken` (`@idlink/core/node`), which requests it with this client's fetch, trail and timeout.
   */
  getToken?: (context: TokenContext) => string | Promise<string>;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  retry?: RetryOptions;
  /** Per attempt, in ms. Default 30 000. */
  timeoutMs?: number;
  userAgent?: string;
  /** Aborts every call of this client. */
  signal?: AbortSignal;
  /** `false` sends as fast as the callers ask, without pacing to the tenant's bucket (429s are still waited out). */
  pacer?: false;
  /**
   * A debug trail: every attempt, answer (status, rate-limit headers, timing), wait and retry decision, and the
   * client-credentials token request (never its body or the token). Format with `formatDebugEvent`.
   */
  onEvent?: DebugSink;
}

/** The reading part of a client (`createUserReader`): users by id and by email, and any operation through `send`. */
export type UserReader = Pick<
  ManagementClient,
  "getUser" | "usersByEmail" | "send" | "token" | "rateLimit" | "origin" | "tenant"
>;

/** A typed client for the Management API operations of account linking. */
export interface ManagementClient {
  /**
   * Links a secondary into a primary; answers the primary's identities. A target from `parseLinkArguments` is sent
   * as it is; a primary id and a body are validated first, and nothing is sent when they are invalid.
   */
  link(target: LinkTarget): Promise<UserIdentity[]>;
  link(primaryId: string, body: LinkRequest | Record<string, unknown>): Promise<UserIdentity[]>;
  /**
   * Unlinks an identity from a primary; answers the identities that remain. A target from `parseUnlinkArguments` is
   * sent as it is; a primary id and the identity (full id or `{provider, user_id}`) are validated first.
   */
  unlink(target: UnlinkTarget): Promise<UserIdentity[]>;
  unlink(primaryId: string, secondary: string | SecondaryId): Promise<UserIdentity[]>;
  getUser(id: string): Promise<User>;
  usersByEmail(email: string): Promise<User[]>;
  /**
   * Users matching a query (engine v3), a page at a time, with the total of matches; `read:users`. Search is
   * eventually consistent — a user changed seconds ago may not be found yet — so Auth0 advises against it in login
   * flows (list-and-search-users.mdx): `UserReader`, the client of a post-login Action, does not have it.
   */
  searchUsers(search: UserSearch): Promise<UserPage>;
  /**
   * The tenant's signing keys (`GET /.well-known/jwks.json`, no token), fetched once a client (again with
   * `refresh`): what `prepareLink` checks `link_with`'s signature with.
   */
  tenantKeys(options?: { refresh?: boolean }): Promise<TenantKey[]>;
  /** PATCH /users/{id} with metadata: Auth0 merges the top-level keys into the stored objects. */
  updateMetadata(id: string, metadata: { user_metadata?: Metadata; app_metadata?: Metadata }): Promise<User>;
  /** The token this client sends (fetched with its client credentials when that is how it was made), for preflight checks. */
  token(): Promise<string>;
  /**
   * Sends one operation of the fragment through this client — its token, pacing, retries, timeout, debug trail and
   * errors — for modules that add operations without growing every client (`@idlink/core/export`'s export job):
   * `run` makes the openapi-fetch call with the `fetch` it is given.
   */
  send<T>(operation: Operation, run: (api: ApiClient, fetch: FetchLike) => Promise<ApiResult<T>>): Promise<T>;
  /** The last x-ratelimit-* headers seen, if any. */
  readonly rateLimit: RateLimitState | undefined;
  /** The tenant origin this client talks to. */
  readonly origin: string;
  /** The tenant this client talks to, as `parseTenantDomain` read it. */
  readonly tenant: TenantDomain;
}

const linkPath = "/users/{id}/identities";
const unlinkPath = "/users/{id}/identities/{provider}/{user_id}";
const userPath = "/users/{id}";
const byEmailPath = "/users-by-email";
const usersPath = "/users";

/** What a client is made of, once: the tenant, its transport and the call every operation goes through. */
function connect(options: ManagementClientOptions) {
  const tenant = requireTenantDomain(options.domain);
  const { origin } = tenant;
  const { token, getToken } = options;
  if (token === undefined && getToken === undefined) {
    throw new TypeError(
      "createManagementClient needs token or getToken: a Management API token with update:users, or clientCredentialsToken(…) from @idlink/core/node",
    );
  }
  const tokenContext: TokenContext = {
    tenant,
    fetch: options.fetch ?? ((request) => fetch(request)),
    onEvent: options.onEvent,
    timeoutMs: options.timeoutMs,
  };
  const transport = createTransport({
    fetch: options.fetch,
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    pacer: options.pacer,
    onEvent: options.onEvent,
  });
  const api = createClient<paths>({
    baseUrl: `${origin}/api/v2`,
    Request: OutgoingRequest as unknown as typeof Request,
  });

  const bearer = async () => token ?? (await getToken?.(tokenContext)) ?? "";

  async function call<T>(ctx: Operation, run: (fetch: FetchLike) => Promise<ApiResult<T>>): Promise<T> {
    const { subject, ...rest } = ctx;
    const context = { ...rest, path: `/api/v2${ctx.path}`, host: tenant.host };
    let result: { data?: T; error?: unknown; response: Response };
    // Ends the answered attempt's timeout once openapi-fetch has read the body.
    let release: (() => void) | undefined;
    try {
      // A fixed token is not awaited (one promise less a call); a token source is.
      const credential = token ?? (await bearer());
      result = await run(async (request) => {
        const outgoing = request as unknown as Outgoing;
        outgoing.headers.set("authorization", `Bearer ${credential}`);
        if (options.userAgent) outgoing.headers.set("user-agent", options.userAgent);
        const sent = await transport.send(outgoing, context);
        release = sent.release;
        return sent.response;
      });
    } catch (error) {
      if (error instanceof SyntaxError) throw invalidBody(context, 200);
      if (options.signal?.aborted || error instanceof IdlinkError || release === undefined) throw error;
      // The answer came but its body did not (the attempt's timeout, a dropped connection): a write was applied.
      const reason = `${isTimeout(error) ? "timed out" : "connection lost"} while reading the answer`;
      if (context.method === "GET") throw new NetworkError({ ...context, reason, cause: error });
      throw new OutcomeUnknownError({ ...context, reason });
    } finally {
      release?.();
    }
    const { data, error, response } = result;
    if (response.ok && data !== undefined) return data;
    if (response.ok) throw invalidBody(context, response.status);
    throw toApiError({ ...context, subject }, response, error);
  }
  return { tenant, origin, api, transport, bearer, call, fetch: tokenContext.fetch };
}

type Connection = ReturnType<typeof connect>;

/** A client's reading part and `extra`, over one connection. */
function clientOf<Extra extends object>(connection: Connection, extra: Extra): UserReader & Extra {
  const { tenant, origin, api, transport, bearer, call } = connection;
  return {
    get rateLimit() {
      return transport.rateLimit;
    },
    origin,
    tenant,
    token: bearer,
    send: (operation, run) => call(operation, (fetch) => run(api, fetch)),

    getUser(id) {
      const issues = checkUserId(id, "user");
      if (issues.length > 0) return Promise.reject(new ValidationError(issues, "user id"));
      const subject = { role: "user", id } as const;
      return call({ operation: "Get user", method: "GET", path: userPath, subject }, (fetch) =>
        api.GET(userPath, { params: { path: { id } }, fetch }),
      );
    },

    usersByEmail(email) {
      if (typeof email !== "string" || !email.includes("@") || email.trim() !== email) {
        return Promise.reject(
          new ValidationError(
            [
              {
                path: "email",
                message: "email must be an address like jane@example.com (exact, case-sensitive)",
              },
            ],
            "email",
          ),
        );
      }
      return call({ operation: "Users by email", method: "GET", path: byEmailPath }, (fetch) =>
        api.GET(byEmailPath, { params: { query: { email } }, fetch }),
      );
    },

    ...extra,
  };
}

/**
 * A client that only reads users (get user, users by email, and `send`): what a post-login Action needs. It shares
 * the client's transport and errors and carries none of its write rules (no zod in a bundle of it).
 */
export function createUserReader(options: ManagementClientOptions): UserReader {
  return clientOf(connect(options), {});
}

/** Creates a Management API client on openapi-fetch with validation, rate-limit-aware retries and typed errors. */
export function createManagementClient(options: ManagementClientOptions): ManagementClient {
  const connection = connect(options);
  const { api, call } = connection;
  let keys: Promise<TenantKey[]> | undefined;
  // What a reader lacks: the writes, search (not for login flows, where a reader runs), the tenant's keys.
  const rest: Pick<ManagementClient, "link" | "unlink" | "updateMetadata" | "searchUsers" | "tenantKeys"> = {
    tenantKeys(keyOptions = {}) {
      if (keys === undefined || keyOptions.refresh) {
        const pending = readTenantKeys(connection.fetch, connection.origin, options);
        keys = pending;
        // A failed read is forgotten, so the next check asks again — unless a refresh has replaced it meanwhile.
        pending.catch(() => {
          if (keys === pending) keys = undefined;
        });
      }
      return keys;
    },

    async searchUsers(search) {
      const issues = checkUserSearch(search);
      if (issues.length > 0) throw new ValidationError(issues, "user search");
      const { q, page = 0, perPage = 50, sort, fields, includeFields } = search;
      const query = {
        q,
        search_engine: "v3" as const,
        page,
        per_page: perPage,
        include_totals: true,
        ...(sort === undefined ? {} : { sort }),
        ...(fields === undefined ? {} : { fields: fields.join(",") }),
        ...(includeFields === undefined ? {} : { include_fields: includeFields }),
      };
      const answer = await call({ operation: "Search users", method: "GET", path: usersPath }, (fetch) =>
        api.GET(usersPath, { params: { query }, fetch }),
      );
      // include_totals=true answers the envelope; a bare array is read as one whole page.
      if (Array.isArray(answer))
        return { users: answer, total: answer.length, start: page * perPage, limit: perPage };
      const users = answer.users ?? [];
      return {
        users,
        total: answer.total ?? users.length,
        start: answer.start ?? page * perPage,
        limit: answer.limit ?? perPage,
      };
    },

    async link(target: LinkTarget | string, body?: LinkRequest | Record<string, unknown>) {
      const parsed =
        alreadyParsed<LinkTarget>(target) ??
        (typeof target === "object"
          ? (await parseCall()).parseLinkCall(target.primary, target.body)
          : (await parseCall()).parseLinkCall(target, body));
      if (!parsed.ok) throw new ValidationError(parsed.issues, "link request");
      const { primary, body: sent } = parsed.value;
      const subject = { role: "primary", id: primary } as const;
      return call({ operation: "Link", method: "POST", path: linkPath, subject }, (fetch) =>
        api.POST(linkPath, { params: { path: { id: primary } }, body: sent, fetch }),
      );
    },

    async unlink(target: UnlinkTarget | string, secondary?: string | SecondaryId) {
      const parsed =
        alreadyParsed<UnlinkTarget>(target) ??
        (typeof target === "object"
          ? parseUnlinkCall((await parseCall()).parseUnlinkArguments, target.primary, target.secondary)
          : parseUnlinkCall((await parseCall()).parseUnlinkArguments, target, secondary));
      if (!parsed.ok) throw new ValidationError(parsed.issues, "unlink request");
      const { primary, secondary: identity } = parsed.value;
      const subject = { role: "primary", id: primary } as const;
      return call({ operation: "Unlink", method: "DELETE", path: unlinkPath, subject }, (fetch) =>
        api.DELETE(unlinkPath, {
          params: { path: { id: primary, provider: identity.provider, user_id: identity.user_id } },
          fetch,
        }),
      );
    },

    updateMetadata(id, metadata) {
      const issues = checkUserId(id, "user");
      if (Object.keys(metadata).length === 0) {
        issues.push({ path: "metadata", message: "nothing to update — pass user_metadata or app_metadata" });
      }
      if (issues.length > 0) return Promise.reject(new ValidationError(issues, "metadata update"));
      return call({ operation: "Update user", method: "PATCH", path: userPath }, (fetch) =>
        api.PATCH(userPath, { params: { path: { id } }, body: metadata, fetch }),
      );
    },
  };
  return clientOf(connection, rest);
}

/** The tenant's JWKS, with the client's fetch, timeout and signal; a failed fetch or an odd answer throws. */
async function readTenantKeys(
  fetch: FetchLike,
  origin: string,
  options: Pick<ManagementClientOptions, "timeoutMs" | "signal">,
): Promise<TenantKey[]> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const response = await fetch(new Request(`${origin}/.well-known/jwks.json`, { signal }));
  const body: unknown = response.ok ? await response.json() : undefined;
  const list = (body as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(list))
    throw new TypeError(`no keys at ${origin}/.well-known/jwks.json (${response.status})`);
  return list.filter((k): k is TenantKey => typeof k === "object" && k !== null);
}

/**
 * The parsers of a call that did not come parsed, loaded when first needed: a client that only reads (a post-login
 * Action) then carries no zod. Kept once loaded: an `import()` of a loaded module still resolves its specifier
 * each time — 13–35 µs in Node, 0.8 ms through tsx's loader, which made the bench's link 2.29× a raw fetch
 * (bench/RESULTS.md §1).
 */
let parsers: Promise<typeof import("../ids/arguments.ts")> | undefined;
const parseCall = () => (parsers ??= import("../ids/arguments.ts"));

/** `client.unlink(primary, secondary)` as the arguments parser reads it: a full id, or `{ provider, user_id }`. */
function parseUnlinkCall(
  parseUnlinkArguments: typeof import("../ids/arguments.ts").parseUnlinkArguments,
  primary: unknown,
  secondary: unknown,
) {
  return typeof secondary === "object" && secondary !== null
    ? parseUnlinkArguments({
        primary,
        provider: (secondary as { provider?: unknown }).provider,
        user_id: (secondary as { user_id?: unknown }).user_id,
      })
    : parseUnlinkArguments({ primary, secondary });
}

function isTimeout(error: unknown): boolean {
  return typeof error === "object" && error !== null && "name" in error && error.name === "TimeoutError";
}

function invalidBody(ctx: CallContext, status: number): ManagementApiError {
  return new ManagementApiError({
    ...ctx,
    status,
    error: "invalid_response",
    message: "Auth0 answered with a body that is not the JSON expected",
  });
}

function toApiError(
  ctx: CallContext & { subject?: Subject | undefined },
  response: Response,
  body: unknown,
): ManagementApiError {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? redactText(v) : undefined);
  const message =
    text(fields.message) ??
    text(fields.error_description) ??
    (typeof body === "string" && body.trim().startsWith("<")
      ? "Auth0 answered with an HTML page"
      : undefined) ??
    (response.statusText || "no message");
  return new ManagementApiError({
    ...ctx,
    status: response.status,
    error: text(fields.error) ?? response.statusText ?? "error",
    errorCode: text(fields.errorCode),
    message,
    retryAfter:
      response.status === 429 ? Math.ceil((retryDelay(response.headers, Date.now()) ?? 0) / 1000) : undefined,
  });
}
