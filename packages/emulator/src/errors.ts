const reasons: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** The HTTP reason phrase Auth0 puts in `error` for a status. */
export function reasonPhrase(status: number): string {
  return reasons[status] ?? "Error";
}

/** A Management API error, answered as Auth0's `{statusCode, error, message, errorCode?}` body. */
export class ApiError extends Error {
  override name = "ApiError" as const;
  constructor(
    readonly status: number,
    message: string,
    readonly errorCode?: string,
    /** Fields Auth0 adds after `errorCode` (the 401s of token validation carry `attributes`). */
    readonly extra: Record<string, unknown> = {},
    /** Response headers of this answer (e.g. `www-authenticate`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): { statusCode: number; error: string; message: string; errorCode?: string } {
    const body = { statusCode: this.status, error: reasonPhrase(this.status), message: this.message };
    return this.errorCode === undefined
      ? { ...body, ...this.extra }
      : { ...body, errorCode: this.errorCode, ...this.extra };
  }
}

/** An Authentication API (`/oauth/token`) error, answered as `{error, error_description}`. */
export class OAuthError extends Error {
  override name = "OAuthError" as const;
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

/** A seed file that does not describe a tenant the emulator can serve. */
export class SeedError extends Error {
  override name = "SeedError" as const;
}

export const badRequest = (message: string, errorCode?: string): ApiError =>
  new ApiError(400, message, errorCode);
