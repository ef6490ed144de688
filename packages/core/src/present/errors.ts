/** One problem with an input: the field it concerns and what to do about it. */
export interface Issue {
  /** The field, in the request's own words (`link_with`, `provider`, `user_id`, `connection_id`, `primary`, `secondary`, `body`). */
  path: string;
  message: string;
}

/** What every parser returns: the typed value, or the issues that name each field and its fix. Never throws. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/**
 * The base of every error idlink throws (core's and the faces' own), so a face maps them with one function.
 * Anything else reaching a face is a bug or the platform's (an abort, a programming error).
 */
export abstract class IdlinkError extends Error {
  abstract override readonly name: string;
}

/** Thrown (or returned as issues) when an input is invalid; nothing was sent. */
export class ValidationError extends IdlinkError {
  override name = "ValidationError" as const;
  readonly issues: Issue[];
  constructor(issues: Issue[], what = "request") {
    super(`Invalid ${what}: ${issues.map((i) => i.message).join("; ")}`);
    this.issues = issues;
  }
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Unix time in seconds at which the bucket is full again. */
  reset: number;
}

/** The user an identity is linked into: who holds it, when it is no user of its own. */
export interface IdentityOwner {
  user_id: string;
  email: string | undefined;
}

/** Which account a request named, so a 404 can say which one does not exist, or where it lives. */
export interface Subject {
  role: "primary" | "secondary" | "user";
  id: string;
  /** The user this id is linked into, when a search found it: a linked identity is no user of its own (404). */
  linkedInto?: IdentityOwner | undefined;
}

/** `auth0|abc (bob@example.com)`: an owner as messages name it. */
export function ownerText(owner: IdentityOwner): string {
  return owner.email ? `${owner.user_id} (${owner.email})` : owner.user_id;
}

/** Auth0 answered with an error status. Carries Auth0's status, error, errorCode and message; never a token. */
export class ManagementApiError extends IdlinkError {
  override name = "ManagementApiError" as const;
  readonly status: number;
  readonly error: string;
  readonly errorCode: string | undefined;
  readonly apiMessage: string;
  readonly method: string;
  /** The path template (`/api/v2/users/{id}/identities`), not the concrete path. */
  readonly path: string;
  readonly operation: string;
  /** Seconds to wait before trying again, for a 429. */
  readonly retryAfter: number | undefined;
  /** The account the request named (a 404's message says it). */
  readonly subject: Subject | undefined;
  constructor(init: {
    operation: string;
    status: number;
    error: string;
    errorCode?: string | undefined;
    message: string;
    method: string;
    path: string;
    retryAfter?: number | undefined;
    subject?: Subject | undefined;
  }) {
    const code = init.errorCode ?? init.error;
    const { subject } = init;
    const where = subject?.linkedInto ? `, linked into ${ownerText(subject.linkedInto)}` : "";
    const which = subject && init.status === 404 ? ` (${subject.role} ${subject.id}${where})` : "";
    super(
      `${init.operation} failed (${init.status} ${code}): ${init.message}${which} — ${init.method} ${init.path}`,
    );
    this.subject = init.subject;
    this.status = init.status;
    this.error = init.error;
    this.errorCode = init.errorCode;
    this.apiMessage = init.message;
    this.method = init.method;
    this.path = init.path;
    this.operation = init.operation;
    this.retryAfter = init.retryAfter;
  }

  /** The same error, naming the account the request was about. */
  about(subject: Subject): ManagementApiError {
    return new ManagementApiError({
      operation: this.operation,
      status: this.status,
      error: this.error,
      errorCode: this.errorCode,
      message: this.apiMessage,
      method: this.method,
      path: this.path,
      retryAfter: this.retryAfter,
      subject,
    });
  }
}

/**
 * A write (link, unlink, metadata update) got no definite answer: a 5xx, a timeout or a dropped connection.
 * It may have been applied; it is never retried blindly. Read the primary's identities to find out.
 */
export class OutcomeUnknownError extends IdlinkError {
  override name = "OutcomeUnknownError" as const;
  readonly method: string;
  readonly path: string;
  readonly operation: string;
  readonly status: number | undefined;
  constructor(init: {
    operation: string;
    method: string;
    path: string;
    reason: string;
    status?: number | undefined;
  }) {
    super(
      `${init.operation} outcome unknown (${init.reason}) — ${init.method} ${init.path}. ` +
        "It may have been applied: read the primary user's identities before trying again.",
    );
    this.method = init.method;
    this.path = init.path;
    this.operation = init.operation;
    this.status = init.status;
  }
}

/**
 * A read could not reach Auth0 (network error or timeout) after its retries. Keeps the operation, the host it tried
 * and the cause.
 */
export class NetworkError extends IdlinkError {
  override name = "NetworkError" as const;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** The host (and port) the request went to, so a typo or a look-alike is visible. */
  readonly host: string | undefined;
  constructor(init: {
    operation: string;
    method: string;
    path: string;
    reason: string;
    host?: string | undefined;
    cause?: unknown;
  }) {
    super(
      `${init.operation} could not reach ${init.host ?? "Auth0"} (${init.reason}) — ${init.method} ${init.path}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.operation = init.operation;
    this.method = init.method;
    this.path = init.path;
    this.host = init.host;
  }
}

/** `executeLink` / `executeUnlink` were handed a plan with blockers: nothing was sent. */
export class BlockedPlanError extends IdlinkError {
  override name = "BlockedPlanError" as const;
  readonly action: "link" | "unlink";
  readonly issues: Issue[];
  constructor(action: "link" | "unlink", issues: Issue[]) {
    super(`Cannot ${action} — nothing was sent: ${issues.map((i) => i.message).join("; ")}`);
    this.action = action;
    this.issues = issues;
  }
}

/**
 * A user export could not be read or its job did not finish: a malformed line (with its number), a file that is
 * not gzip, a job that failed or expired.
 */
export class ExportError extends IdlinkError {
  override name = "ExportError" as const;
  constructor(
    message: string,
    /** The line at fault, for a malformed line. */
    readonly issue?: { line: number; message: string },
  ) {
    super(message);
  }
}
