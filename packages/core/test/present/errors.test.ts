import { describe, expect, test } from "vitest";
import {
  BlockedPlanError,
  ExportError,
  IdlinkError,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  ValidationError,
} from "../../src/present/errors.ts";

const apiError = (init: Partial<ConstructorParameters<typeof ManagementApiError>[0]> = {}) =>
  new ManagementApiError({
    operation: "Get user",
    status: 404,
    error: "Not Found",
    errorCode: "inexistent_user",
    message: "The user does not exist.",
    method: "GET",
    path: "/api/v2/users/{id}",
    ...init,
  });

describe("idlink's errors", () => {
  test("every one is an IdlinkError with its own name, ExportError included", () => {
    const errors = [
      new ValidationError([{ path: "x", message: "m" }]),
      apiError(),
      new OutcomeUnknownError({ operation: "Link", method: "POST", path: "/p", reason: "r" }),
      new NetworkError({ operation: "Get user", method: "GET", path: "/p", reason: "r" }),
      new BlockedPlanError("link", []),
      new ExportError("Export job job_1 expired"),
    ];
    expect(errors.map((e) => e instanceof IdlinkError && e instanceof Error)).toEqual(errors.map(() => true));
    expect(errors.map((e) => e.name)).toEqual([
      "ValidationError",
      "ManagementApiError",
      "OutcomeUnknownError",
      "NetworkError",
      "BlockedPlanError",
      "ExportError",
    ]);
  });

  test("a ValidationError says what was invalid and every issue", () => {
    const error = new ValidationError(
      [
        { path: "primary", message: "primary must not be empty" },
        { path: "provider", message: "provider is required" },
      ],
      "link request",
    );
    expect(error.message).toBe("Invalid link request: primary must not be empty; provider is required");
    expect(new ValidationError([{ path: "x", message: "m" }]).message).toBe("Invalid request: m");
  });

  test("a ManagementApiError says the operation, Auth0's status, code and words, and the path template", () => {
    const error = apiError({ status: 400, error: "Bad Request", errorCode: undefined, message: "bad" });
    expect(error.message).toBe("Get user failed (400 Bad Request): bad — GET /api/v2/users/{id}");
    expect(error).toMatchObject({ status: 400, error: "Bad Request", apiMessage: "bad", subject: undefined });
  });

  test("a 404 names the account it was about; about() makes that error from one that did not", () => {
    const error = apiError();
    expect(error.message).not.toContain("(primary");
    const about = error.about({ role: "primary", id: "auth0|gone" });
    expect(about).toBeInstanceOf(ManagementApiError);
    expect(about.message).toBe(
      "Get user failed (404 inexistent_user): The user does not exist. (primary auth0|gone) — GET /api/v2/users/{id}",
    );
    expect(about).toMatchObject({
      status: 404,
      errorCode: "inexistent_user",
      subject: { role: "primary", id: "auth0|gone" },
    });
    // Only a 404 is about the account's existence.
    expect(apiError({ status: 403 }).about({ role: "primary", id: "auth0|1" }).message).not.toContain(
      "auth0|1",
    );
  });

  test("an unknown outcome says it may have been applied and what to read", () => {
    const error = new OutcomeUnknownError({
      operation: "Link",
      method: "POST",
      path: "/p",
      reason: "503 from Auth0",
      status: 503,
    });
    expect(error.message).toBe(
      "Link outcome unknown (503 from Auth0) — POST /p. It may have been applied: read the primary user's identities before trying again.",
    );
    expect(error.status).toBe(503);
  });

  test("a network error keeps its cause", () => {
    const cause = new TypeError("fetch failed");
    const error = new NetworkError({
      operation: "Get user",
      method: "GET",
      path: "/p",
      reason: "connection failed",
      cause,
    });
    expect(error.message).toBe("Get user could not reach Auth0 (connection failed) — GET /p");
    const named = new NetworkError({
      operation: "Get user",
      method: "GET",
      path: "/p",
      reason: "r",
      host: "t.auth0.com",
    });
    expect(named.message).toBe("Get user could not reach t.auth0.com (r) — GET /p");
    expect(named.host).toBe("t.auth0.com");
    expect(error.cause).toBe(cause);
    expect(new NetworkError({ operation: "o", method: "GET", path: "/p", reason: "r" })).not.toHaveProperty(
      "cause",
    );
  });

  test("a blocked plan says nothing was sent, and why", () => {
    const error = new BlockedPlanError("link", [
      { path: "secondary", message: "the secondary is the primary itself" },
    ]);
    expect(error.message).toBe("Cannot link — nothing was sent: the secondary is the primary itself");
    expect(error.action).toBe("link");
  });

  test("an ExportError keeps the line at fault", () => {
    const error = new ExportError("Line 2 of the export is malformed: not JSON", {
      line: 2,
      message: "not JSON",
    });
    expect(error.issue).toEqual({ line: 2, message: "not JSON" });
  });
});
