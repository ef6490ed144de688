/** One problem with an input: the field it concerns and what to do about it. */
export interface Issue {
  /** The field, in the request's own words (`link_with`, `provider`, `user_id`, `connection_id`, `primary`, `secondary`, `body`). */
  path: string;
  message: string;
}

/** Thrown (or returned as issues) when an input is invalid; nothing was sent. */
export class ValidationError extends Error {
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

/** Auth0 answered with an error status. Carries Auth0's status, error, errorCode and message; never a token. */
export class ManagementApiError extends Error {
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
  constructor(init: {
    operation: string;
    status: number;
    error: string;
    errorCode?: string | undefined;
    message: string;
    method: string;
    path: string;
    retryAfter?: number | undefined;
  }) {
    const code = init.errorCode ?? init.error;
    super(`${init.operation} failed (${init.status} ${code}): ${init.message} — ${init.method} ${init.path}`);
    this.status = init.status;
    this.error = init.error;
    this.errorCode = init.errorCode;
    this.apiMessage = init.message;
    this.method = init.method;
    this.path = init.path;
    this.operation = init.operation;
    this.retryAfter = init.retryAfter;
  }
}

/**
 * A write (link, unlink, metadata update) got no definite answer: a 5xx, a timeout or a dropped connection.
 * It may have been applied; it is never retried blindly. Read the primary's identities to find out.
 */
export class OutcomeUnknownError extends Error {
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

/** A read could not reach Auth0 (network error or timeout) after its retries. */
export class NetworkError extends Error {
  override name = "NetworkError" as const;
  readonly method: string;
  readonly path: string;
  constructor(init: { operation: string; method: string; path: string; reason: string }) {
    super(`${init.operation} could not reach Auth0 (${init.reason}) — ${init.method} ${init.path}`);
    this.method = init.method;
    this.path = init.path;
  }
}
