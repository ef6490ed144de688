import { describe, expect, test } from "vitest";
import { describeError } from "../../src/present/describe-error.ts";
import {
  BlockedPlanError,
  ExportError,
  IdlinkError,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  ValidationError,
} from "../../src/present/errors.ts";
import { TOKEN } from "../fetch-recorder.ts";

const api = (status: number, message: string, retryAfter?: number) =>
  new ManagementApiError({
    operation: "Link",
    status,
    error: "e",
    message,
    method: "POST",
    path: "/p",
    retryAfter,
  });

describe("describeError", () => {
  test.each([
    [
      api(403, "Insufficient scope; expected: update:users, update:current_user_identities."),
      "Not allowed",
      "Grant the application",
    ],
    [
      api(403, "User to be acted on does not match subject in bearer token."),
      "Not allowed",
      "A user's own token",
    ],
    [api(409, "Specified identity already exists."), "Already linked", "already linked"],
    [api(429, "Too many", 3), "Rate limited", "Wait 3 seconds"],
    [
      api(400, "Main identity and the new one are the same."),
      "Auth0 rejected the request",
      "two different accounts",
    ],
    [api(401, "Invalid token."), "The token was not accepted", "Get a new token"],
  ])("explains %s", (error, title, hint) => {
    const d = describeError(error);
    expect(d.title).toBe(title);
    expect(d.hint).toContain(hint);
    expect(d.status).toBe(error.status);
  });

  test.each([
    ["Main identity cannot be removed.", "Name a linked secondary identity"],
    ["Payload validation error: 'Invalid link_with'", "Sign the secondary in again"],
    ["secondary account not found", "Check the secondary's provider and user_id"],
    ["anything else", "Check the request against the messages above."],
  ])("gives a 400's hint from Auth0's words: %s", (message, hint) => {
    expect(describeError(api(400, message)).hint).toContain(hint);
  });

  test("names the account of a 404, and says what to check", () => {
    const primary = api(404, "The user does not exist.").about({ role: "primary", id: "auth0|gone" });
    expect(describeError(primary)).toMatchObject({
      title: "Not found",
      hint: "Check the primary's id (auth0|gone): provider|id, exactly as Auth0 shows it.",
    });
    const user = api(404, "The user does not exist.").about({ role: "user", id: "github|7" });
    expect(describeError(user).hint).toContain("Check the user's id (github|7)");
    expect(describeError(api(404, "The user does not exist.")).hint).toBe("Check the user id (provider|id).");
  });

  test("a 429 without Retry-After still says to wait", () => {
    expect(describeError(api(429, "Too many")).hint).toBe(
      "Wait a few seconds and retry, or lower the concurrency.",
    );
  });

  test("an unlisted status keeps Auth0's status and code, with no hint", () => {
    expect(describeError(api(418, "teapot"))).toEqual({
      title: "Auth0 answered 418",
      message: "Link failed (418 e): teapot — POST /p",
      status: 418,
      code: "e",
      hint: undefined,
    });
  });

  test("keeps the issues of a validation error", () => {
    const d = describeError(
      new ValidationError([{ path: "provider", message: "provider must not be empty" }]),
    );
    expect(d.title).toContain("nothing was sent");
    expect(d.issues).toEqual([{ path: "provider", message: "provider must not be empty" }]);
  });

  test("keeps the issues of a blocked plan, and says which action was refused", () => {
    const d = describeError(new BlockedPlanError("unlink", [{ path: "secondary", message: "not linked" }]));
    expect(d).toMatchObject({
      title: "Cannot unlink — nothing was sent",
      issues: [{ path: "secondary", message: "not linked" }],
      hint: "Fix the points above, then plan again.",
    });
  });

  test("tells how to recover from an unknown outcome and a network error", () => {
    const unknown = new OutcomeUnknownError({ operation: "Link", method: "POST", path: "/p", reason: "503" });
    expect(describeError(unknown).hint).toContain("Read the primary user's identities");
    const network = new NetworkError({
      operation: "Get user",
      method: "GET",
      path: "/p",
      reason: "ENOTFOUND",
    });
    expect(describeError(network).title).toBe("Auth0 could not be reached");
  });

  test("an unknown outcome keeps the status that made it unknown", () => {
    const with503 = new OutcomeUnknownError({
      operation: "Link",
      method: "POST",
      path: "/p",
      reason: "x",
      status: 503,
    });
    expect(describeError(with503).status).toBe(503);
    const dropped = new OutcomeUnknownError({ operation: "Link", method: "POST", path: "/p", reason: "x" });
    expect(describeError(dropped)).not.toHaveProperty("status");
  });

  test("an export error says what to do, for a malformed line and for the rest", () => {
    const jwt = TOKEN.split("-")[0] ?? "";
    const expired = describeError(new ExportError(`Export job job_1 expired ${jwt}`));
    expect(expired).toMatchObject({
      title: "The user export could not be used",
      message: "Export job job_1 expired [redacted]",
      hint: expect.stringContaining("Start a new export"),
    });
    const line = describeError(new ExportError("Line 7 is malformed", { line: 7, message: "not JSON" }));
    expect(line.hint).toMatch(/^Line 7 is not a user as Auth0 exports them/);
  });

  test("any other idlink error (a face's own) is titled by its name, its message redacted", () => {
    class FaceError extends IdlinkError {
      override name = "FaceError";
    }
    const jwt = TOKEN.split("-")[0] ?? "";
    expect(describeError(new FaceError(`bad flag ${jwt}`))).toEqual({
      title: "FaceError",
      message: "bad flag [redacted]",
    });
  });

  test("redacts a JWT inside an unexpected error", () => {
    expect(describeError(new Error(`boom ${TOKEN.split("-")[0]}`)).message).not.toContain("eyJ");
    expect(describeError("a thrown string")).toEqual({
      title: "Unexpected error",
      message: "a thrown string",
    });
  });
});

describe("describeError on a custom domain", () => {
  const error = (status: number, message: string, path = "/api/v2/users/{id}") =>
    new ManagementApiError({ operation: "Get user", status, error: "e", message, method: "GET", path });

  test.each([
    [error(401, "Bad audience: https://login.example.com/api/v2/")],
    [error(403, "Service not enabled within domain: https://login.example.com/api/v2/", "/oauth/token")],
  ])("says a custom domain may be in use for %s", (e) => {
    const hint = describeError(e).hint ?? "";
    expect(hint).toContain("canonical domain");
    expect(hint).toContain("AUTH0_AUDIENCE");
  });

  test("tells what to check when Auth0 refuses a client assertion", () => {
    const e = new ManagementApiError({
      operation: "Get Management token",
      status: 401,
      error: "invalid_client",
      message: "Invalid client assertion signature",
      method: "POST",
      path: "/oauth/token",
    });
    expect(describeError(e).hint).toContain("public key is registered on the application");
  });

  test("tells which credentials to check when the token request is refused otherwise", () => {
    const e = new ManagementApiError({
      operation: "Get Management token",
      status: 401,
      error: "access_denied",
      message: "Unauthorized",
      method: "POST",
      path: "/oauth/token",
    });
    expect(describeError(e).hint).toContain("AUTH0_CLIENT_ID with AUTH0_CLIENT_SECRET");
  });
});
