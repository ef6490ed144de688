/** A post-login Action as pasted into Auth0's editor: CommonJS source exporting `onExecutePostLogin` (and, for a
 * redirect, `onContinuePostLogin`), with the secrets Auth0 stores beside it (`event.secrets`). */
export interface PostLoginAction {
  /** Shown in the action log and in stack traces (`<name>.js`). */
  name: string;
  /** The JavaScript source: `exports.onExecutePostLogin = async (event, api) => { … }`. */
  code: string;
  /** `event.secrets`: keys of at most 128 characters, values of at most 4096 (Auth0's limits). */
  secrets?: Record<string, string>;
}

/** One line of an Action's `console` (or of the emulator about an Action), secret values redacted. */
export interface ActionLogEntry {
  /** Epoch milliseconds. */
  at: number;
  action: string;
  /** `log`, `info`, `warn`, `error`, `debug`, `stdout`, `stderr`, or `emulator` for the emulator's own lines. */
  level: string;
  message: string;
}

export type HandlerName = "onExecutePostLogin" | "onContinuePostLogin";

/** `api.cache` entries: Auth0's record shape (`value`, `expires_at` in epoch ms). */
export type CacheEntries = [string, { value: string; expires_at: number }][];

/** What the worker thread needs to run one handler of one Action. */
export interface WorkerInput {
  name: string;
  filename: string;
  code: string;
  handler: HandlerName;
  /** The event, as JSON (parsed inside the Action's context, so its objects belong to that realm). */
  event: string;
  cache: CacheEntries;
  canRedirect: boolean;
  /** `iss` of `api.redirect.encodeToken` (the tenant's host). */
  tenantHost: string;
  /** `ip` of `encodeToken`: the address of the login's request. */
  ip: string;
  /** The user the login is for (`sub` of `encodeToken`; what `validateToken` expects in `sub`). */
  userId: string;
  /** `setPrimaryUser` was already called earlier in this transaction. */
  primaryUserSet: boolean;
  /** In `onContinuePostLogin`: the `/continue` state and the parameters `validateToken` reads. */
  continued?: { state: string; params: Record<string, unknown> };
}

/** The API calls an Action made, recorded by the worker and applied by the pipeline once the Action is done. */
export interface ActionCommands {
  deny?: string;
  redirect?: { url: string; query: Record<string, string> };
  primaryUser?: string;
  appMetadata: [string, unknown][];
  userMetadata: [string, unknown][];
  idTokenClaims: [string, unknown][];
  accessTokenClaims: [string, unknown][];
  methods: string[];
  transactionMetadata: [string, string | number | boolean | null][];
}

export type WorkerMessage =
  | { type: "log"; level: string; text: string }
  | { type: "done"; commands: ActionCommands; cache: CacheEntries }
  | { type: "error"; message: string };

export type HandlerOutcome =
  | { kind: "done"; commands: ActionCommands; cache: CacheEntries }
  | { kind: "error"; message: string }
  | { kind: "timeout" };
