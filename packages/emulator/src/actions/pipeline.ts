import { compileFunction } from "node:vm";
import type { Worker } from "node:worker_threads";
import type { AuthorizeRequest, LoginState } from "../login-state.ts";
import type { Client, User } from "../seed.ts";
import { fullId, presentIdentities, type Store } from "../store.ts";
import { claimRefusal } from "./claims.ts";
import { continueState } from "./continue-state.ts";
import { runHandler } from "./run.ts";
import type {
  ActionCommands,
  ActionLogEntry,
  CacheEntries,
  HandlerName,
  PostLoginAction,
  WorkerInput,
} from "./types.ts";

/** Auth0's limit on one execution of a trigger: 20 seconds (limitations.mdx, "Executions"). */
export const defaultActionTimeoutMs = 20_000;
/** `event.tenant.id`: the tenant's name. */
export const emulatorTenantName = "idlink-emulator";
/**
 * How long a redirect waits for `/continue`: an hour, Auth0's maximum lifetime of a login transaction in the
 * authorization-code flows (community.auth0.com thread 117674, "Maximum Expiration Time for Login Transactions").
 */
const suspendedTtlMs = 60 * 60 * 1000;
/** Auth0's description when an execution runs past its time limit (community.auth0.com thread 104471). */
export const actionTimeoutDescription = "Request to Webtask exceeded allowed execution time";

const moduleParameters = ["exports", "require", "module", "__filename", "__dirname"];

/** The HTTP request an execution starts from: /authorize (or the login page after it), or /continue. */
export interface ActionRequest {
  ip: string;
  /** The Host the browser used (`127.0.0.1:PORT`): the emulator's tenant domain. */
  hostname: string;
  userAgent: string | undefined;
  language: string | undefined;
  method: string;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** A login the post-login trigger runs for, after the user signed in and before the code is issued. */
export interface LoginContext {
  /** `event.transaction.id`. */
  transactionId: string;
  request: AuthorizeRequest;
  client: Client;
  /** The `auth0` session cookie of the sign-in. */
  sessionId: string;
  /** The identity used to sign in, `provider|user_id` (a linked identity signs in its primary). */
  identity: string;
  /** The user it signs in. */
  userId: string;
  authTime: number;
  promptNone: boolean;
  http: ActionRequest;
}

export type PipelineResult =
  | {
      kind: "issue";
      login: LoginContext;
      userId: string;
      idTokenClaims: Record<string, unknown>;
      accessTokenClaims: Record<string, unknown>;
    }
  | { kind: "redirect"; login: LoginContext; location: string }
  | { kind: "fail"; login: LoginContext; error: string; description: string };

interface Run {
  login: LoginContext;
  /** The Actions bound when the login started (a change of the list does not affect a suspended login). */
  actions: readonly PostLoginAction[];
  connection: { id: string; name: string; strategy: string };
  /** `event.user`: the login's user, or the primary once an Action called setPrimaryUser. */
  subject: string;
  lastUser: User;
  loginsCount: number;
  primaryUserId: string | undefined;
  idTokenClaims: Record<string, unknown>;
  accessTokenClaims: Record<string, unknown>;
  /** Metadata changes by user, applied at once when the flow completes (or is denied). */
  pending: Map<string, { app: Record<string, unknown>; user: Record<string, unknown> }>;
  transactionMetadata: Record<string, string | number | boolean>;
}

export interface PostLoginActionsDeps {
  store: Store;
  logins: LoginState;
  /** The tenant's host (`127.0.0.1:PORT`), known once the server listens. */
  tenantHost: () => string;
  managementAudience: () => string;
  timeoutMs: number;
  onLog?: ((entry: ActionLogEntry) => void) | undefined;
}

/** Throws unless every Action has a name, compiles as CommonJS, and keeps Auth0's secret limits. */
export function checkActions(actions: readonly PostLoginAction[]): void {
  for (const action of actions) {
    if (typeof action?.name !== "string" || action.name.trim() === "") {
      throw new Error("A post-login Action needs a name");
    }
    if (typeof action.code !== "string") throw new Error(`Action "${action.name}": code must be a string`);
    try {
      compileFunction(action.code, moduleParameters, { filename: filenameOf(action) });
    } catch (error) {
      throw new Error(
        `Action "${action.name}" does not compile: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    for (const [key, value] of Object.entries(action.secrets ?? {})) {
      // Auth0's limits (limitations.mdx, "Secrets"); the value is never named.
      if (key === "" || key.length > 128) {
        throw new Error(`Action "${action.name}": a secret key must have 1 to 128 characters`);
      }
      if (typeof value !== "string")
        throw new Error(`Action "${action.name}": the secret ${key} must be a string`);
      if (value.length > 4096) {
        throw new Error(`Action "${action.name}": the secret ${key} is longer than 4096 characters`);
      }
    }
  }
}

const filenameOf = (action: PostLoginAction) => `${action.name.replace(/[^\w.-]+/g, "_")}.js`;

function applyChanges(target: Record<string, unknown>, changes: Record<string, unknown>) {
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete target[key];
    else target[key] = value;
  }
  return target;
}

/**
 * The post-login trigger: runs the bound Actions in order for each login, each handler in a fresh context of its
 * own worker thread, suspends the login on `api.redirect.sendUserTo` until `/continue`, and answers what the login
 * comes to: a code for a user (with the custom claims), a redirect, or an error for the application's callback.
 */
export class PostLoginActions {
  private actions: readonly PostLoginAction[] = [];
  private secretValues = new Set<string>();
  private cache = new Map<string, { value: string; expires_at: number }>();
  private suspended = new Map<string, { run: Run; index: number; expiresAt: number }>();
  private live = new Set<Worker>();
  readonly log: ActionLogEntry[] = [];

  constructor(private readonly deps: PostLoginActionsDeps) {}

  /** Binds these Actions (in order) to the trigger, after checking them; logins already suspended keep theirs. */
  set(actions: readonly PostLoginAction[]): void {
    checkActions(actions);
    this.actions = actions.map((action) => ({
      name: action.name,
      code: action.code,
      secrets: { ...(action.secrets ?? {}) },
    }));
    for (const action of this.actions) {
      for (const value of Object.values(action.secrets ?? {})) if (value !== "") this.secretValues.add(value);
    }
  }

  get configured(): boolean {
    return this.actions.length > 0;
  }

  /** Forgets suspended logins, the cache and the log, and stops any Action still running. */
  reset(): void {
    this.suspended.clear();
    this.cache.clear();
    this.log.length = 0;
    for (const worker of this.live) void worker.terminate();
    this.live.clear();
  }

  async stop(): Promise<void> {
    const running = [...this.live];
    this.live.clear();
    await Promise.all(running.map((worker) => worker.terminate()));
  }

  /** Replaces every secret value in `text` (as is, URL-encoded or JSON-escaped) with `[secret]`. */
  redact(text: string): string {
    let out = text;
    const values = [...this.secretValues].sort((a, b) => b.length - a.length);
    for (const value of values) {
      for (const form of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])) {
        out = out.replaceAll(form, "[secret]");
      }
    }
    return out;
  }

  /** Runs the trigger for a login that just signed in. */
  async start(login: LoginContext): Promise<PipelineResult> {
    const user = this.deps.store.getUser(login.userId);
    if (!user)
      return { kind: "fail", login, error: "access_denied", description: "The user does not exist." };
    const identity = user.identities.find((i) => fullId(i) === login.identity) ?? user.identities[0];
    const connectionName = identity?.connection ?? "";
    const known = this.deps.store.connections.find((c) => c.name === connectionName);
    const run: Run = {
      login,
      actions: this.actions,
      connection: known
        ? { id: known.id, name: known.name, strategy: known.strategy }
        : { id: "", name: connectionName, strategy: identity?.provider ?? "" },
      subject: user.user_id,
      lastUser: user,
      // The count including this login, as Auth0's event.stats shows it (the emulator does not store it).
      loginsCount: (typeof user.logins_count === "number" ? user.logins_count : 0) + 1,
      primaryUserId: undefined,
      idTokenClaims: {},
      accessTokenClaims: {},
      pending: new Map(),
      transactionMetadata: {},
    };
    return this.execute(run, 0, undefined);
  }

  /**
   * Resumes the login a redirect suspended, from `/continue` with this state: `onContinuePostLogin` of the Action
   * that redirected, then the Actions after it. Undefined for a state that is unknown, expired or already used.
   */
  async resume(
    state: string,
    http: ActionRequest,
    params: Record<string, unknown>,
  ): Promise<PipelineResult | undefined> {
    const entry = this.suspended.get(state);
    if (!entry) return undefined;
    this.suspended.delete(state);
    if (entry.expiresAt < Date.now()) return undefined;
    // A new event.request for the resumed execution (limitations.mdx, "Executions").
    entry.run.login = { ...entry.run.login, http };
    return this.execute(entry.run, entry.index, { state, params });
  }

  private record(action: string, level: string, text: string): void {
    const entry: ActionLogEntry = { at: Date.now(), action, level, message: this.redact(text) };
    this.log.push(entry);
    this.deps.onLog?.(entry);
  }

  private fail(run: Run, error: string, description: string): PipelineResult {
    return { kind: "fail", login: run.login, error, description };
  }

  private async execute(
    run: Run,
    from: number,
    continued: { state: string; params: Record<string, unknown> } | undefined,
  ): Promise<PipelineResult> {
    // Each execution has its own time limit: a redirect separates the one before it from the one after
    // (limitations.mdx, "Executions").
    const deadline = Date.now() + this.deps.timeoutMs;
    for (let index = from; index < run.actions.length; index++) {
      const action = run.actions[index];
      if (!action) continue;
      const resuming = continued !== undefined && index === from;
      const handler: HandlerName = resuming ? "onContinuePostLogin" : "onExecutePostLogin";
      const outcome = await runHandler(
        this.input(run, action, handler, resuming ? continued : undefined),
        deadline - Date.now(),
        (level, text) => this.record(action.name, level, text),
        this.live,
      );
      if (outcome.kind === "timeout") {
        this.record(
          action.name,
          "emulator",
          `${handler} ran past the time limit (${this.deps.timeoutMs} ms): the login fails`,
        );
        return this.fail(run, "access_denied", actionTimeoutDescription);
      }
      if (outcome.kind === "error") {
        const message = this.redact(outcome.message);
        this.record(action.name, "emulator", `${handler} failed: ${message}`);
        return this.fail(run, "access_denied", message);
      }
      this.cache = new Map(outcome.cache);
      const stop = this.apply(run, action, outcome.commands, index);
      if (stop) return stop;
    }
    return this.complete(run);
  }

  /** Applies what one Action asked for; answers the result when it ends the execution (deny, redirect). */
  private apply(
    run: Run,
    action: PostLoginAction,
    commands: ActionCommands,
    index: number,
  ): PipelineResult | undefined {
    const { login } = run;
    const setsPrimary = commands.primaryUser !== undefined;
    this.queueMetadata(run, run.subject, "app", commands.appMetadata);
    // "Any userMetadata set in the same Action as setPrimaryUser is discarded" (limitations.mdx, "Account Linking").
    if (setsPrimary && commands.userMetadata.length > 0) {
      this.record(
        action.name,
        "emulator",
        "user metadata set beside setPrimaryUser is discarded, as on Auth0",
      );
    } else {
      this.queueMetadata(run, run.subject, "user", commands.userMetadata);
    }
    const auth0Api = login.request.audience === this.deps.managementAudience();
    for (const [kind, claims, target] of [
      ["id", commands.idTokenClaims, run.idTokenClaims],
      ["access", commands.accessTokenClaims, run.accessTokenClaims],
    ] as const) {
      for (const [key, value] of claims) {
        const refusal = claimRefusal(key, kind, auth0Api);
        if (refusal)
          this.record(action.name, "emulator", `custom claim not added to the ${kind} token: ${refusal}`);
        else target[key] = value;
      }
    }
    for (const [key, value] of commands.transactionMetadata) {
      if (value === null) delete run.transactionMetadata[key];
      else run.transactionMetadata[key] = value;
    }
    for (const url of commands.methods) {
      this.deps.logins.recordMethod(login.sessionId, { name: url, url, timestamp: new Date().toISOString() });
    }
    if (commands.primaryUser !== undefined) {
      run.primaryUserId = commands.primaryUser;
      const primary = this.deps.store.getUser(commands.primaryUser);
      // "Subsequent Actions within the same transaction will retain userMetadata on the new primary user."
      if (primary) {
        run.subject = primary.user_id;
        run.lastUser = primary;
      }
    }
    if (commands.deny !== undefined) {
      // A denial does not cancel the metadata changes asked for (post-login-api-object.mdx, api.access.deny).
      this.persist(run);
      this.record(action.name, "emulator", "the login is denied (api.access.deny)");
      return this.fail(run, "access_denied", this.redact(commands.deny));
    }
    if (commands.redirect) {
      if (login.promptNone) {
        // redirect-with-actions.mdx, "Flows where prompt=none".
        this.record(action.name, "emulator", "a redirect with prompt=none: interaction_required");
        return this.fail(run, "interaction_required", "Interaction required");
      }
      const state = continueState(login.transactionId, login.client.client_id);
      this.suspended.set(state, { run, index, expiresAt: Date.now() + suspendedTtlMs });
      const target = new URL(commands.redirect.url);
      for (const [key, value] of Object.entries(commands.redirect.query)) target.searchParams.set(key, value);
      target.searchParams.set("state", state);
      this.record(
        action.name,
        "emulator",
        `the login is suspended: redirect to ${target.origin}${target.pathname}`,
      );
      return { kind: "redirect", login, location: target.toString() };
    }
    return undefined;
  }

  private complete(run: Run): PipelineResult {
    const { store, logins } = this.deps;
    let userId: string;
    if (run.primaryUserId !== undefined) {
      // "The identity used to authenticate the login must be among the secondary identities of the user
      // referenced by primary_user_id. The login will fail and tokens will not be issued otherwise."
      const primary = store.getUser(run.primaryUserId);
      const holds = primary?.identities.slice(1).some((identity) => fullId(identity) === run.login.identity);
      if (!primary || !holds) {
        const description = `setPrimaryUser: the identity used to log in (${run.login.identity}) is not a secondary identity of ${run.primaryUserId}`;
        this.record("(trigger)", "emulator", description);
        return this.fail(run, "access_denied", description);
      }
      userId = primary.user_id;
    } else {
      const user = store.getUser(run.login.userId);
      if (!user) {
        const description = `The user of this login (${run.login.userId}) no longer exists: an Action that links it into another user must call api.authentication.setPrimaryUser`;
        this.record("(trigger)", "emulator", description);
        return this.fail(run, "access_denied", description);
      }
      userId = user.user_id;
    }
    this.persist(run);
    logins.updateSessionUser(run.login.sessionId, userId);
    return {
      kind: "issue",
      login: run.login,
      userId,
      idTokenClaims: run.idTokenClaims,
      accessTokenClaims: run.accessTokenClaims,
    };
  }

  private queueMetadata(run: Run, userId: string, kind: "app" | "user", changes: [string, unknown][]): void {
    if (changes.length === 0) return;
    const entry = run.pending.get(userId) ?? { app: {}, user: {} };
    for (const [key, value] of changes) entry[kind][key] = value;
    run.pending.set(userId, entry);
  }

  /** "The engine will aggregate the changes and update the metadata at once before the flow is completed." */
  private persist(run: Run): void {
    for (const [userId, changes] of run.pending) {
      if (!this.deps.store.getUser(userId)) continue;
      const app = Object.keys(changes.app).length > 0 ? { app_metadata: changes.app } : {};
      const user = Object.keys(changes.user).length > 0 ? { user_metadata: changes.user } : {};
      this.deps.store.patchUser(userId, { attributes: {}, ...app, ...user });
    }
    run.pending.clear();
  }

  private liveCache(): CacheEntries {
    const now = Date.now();
    return [...this.cache].filter(([, entry]) => entry.expires_at > now);
  }

  private input(
    run: Run,
    action: PostLoginAction,
    handler: HandlerName,
    continued: { state: string; params: Record<string, unknown> } | undefined,
  ): WorkerInput {
    return {
      name: action.name,
      filename: filenameOf(action),
      code: action.code,
      handler,
      event: JSON.stringify(this.event(run, action)),
      cache: this.liveCache(),
      canRedirect: !run.login.promptNone,
      tenantHost: this.deps.tenantHost(),
      ip: run.login.http.ip,
      userId: run.subject,
      primaryUserSet: run.primaryUserId !== undefined,
      ...(continued ? { continued } : {}),
    };
  }

  /** The documented post-login `event` (post-login-event-object.mdx), as far as the emulator knows it. */
  private event(run: Run, action: PostLoginAction): Record<string, unknown> {
    const { login } = run;
    const { request, http } = login;
    const stored = this.deps.store.getUser(run.subject);
    if (stored) run.lastUser = stored;
    const user: User = structuredClone(run.lastUser);
    const pending = run.pending.get(run.subject);
    const appMetadata = applyChanges({ ...(user.app_metadata ?? {}) }, pending?.app ?? {});
    const userMetadata = applyChanges({ ...(user.user_metadata ?? {}) }, pending?.user ?? {});
    const session = this.deps.logins.session(login.sessionId);
    return {
      authentication: { methods: session?.methods ?? [] },
      authorization: { roles: [] },
      client: { client_id: login.client.client_id, name: login.client.name, metadata: {} },
      connection: run.connection,
      request: {
        ip: http.ip,
        hostname: http.hostname,
        user_agent: http.userAgent,
        method: http.method,
        query: http.query,
        body: http.body,
        language: http.language,
        geoip: {},
      },
      ...(request.audience ? { resource_server: { identifier: request.audience } } : {}),
      secrets: { ...(action.secrets ?? {}) },
      stats: { logins_count: run.loginsCount },
      tenant: { id: emulatorTenantName },
      transaction: {
        id: login.transactionId,
        locale: "en",
        protocol: "oidc-basic-profile",
        redirect_uri: request.redirectUri,
        requested_scopes: request.scope,
        response_mode: request.responseMode,
        response_type: ["code"],
        state: request.state,
        login_hint: request.loginHint,
        prompt: request.prompt === undefined ? undefined : request.prompt.split(" ").filter(Boolean),
        ui_locales: [],
        acr_values: [],
        metadata: run.transactionMetadata,
      },
      user: {
        ...user,
        // IdP tokens are not given to Actions (limitations.mdx, "Upstream tokens from external IdPs").
        identities: presentIdentities(user.identities, false),
        app_metadata: appMetadata,
        user_metadata: userMetadata,
        logins_count: run.subject === login.userId ? run.loginsCount : user.logins_count,
      },
    };
  }
}
