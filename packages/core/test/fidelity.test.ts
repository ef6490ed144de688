import { describe, expect, test } from "vitest";
import { retryDelay } from "../src/http/transport.ts";
import { createManagementClient, describeError, ManagementApiError, parseLinkRequest } from "../src/index.ts";
import { createRecordingFetch, json, TOKEN } from "./fetch-recorder.ts";

// Core against what real Auth0 answers show (the fidelity corpus of @idlink/emulator, with its sources).

describe("a full id in user_id", () => {
  test("is accepted, as Auth0 accepts it, and sent as its bare part with a note", () => {
    const parsed = parseLinkRequest({ provider: "auth0", user_id: "auth0|63d17c6b77d74b740960460a" });
    expect(parsed).toEqual({
      ok: true,
      value: {
        variant: "identity",
        body: { provider: "auth0", user_id: "63d17c6b77d74b740960460a" },
        notes: [{ path: "user_id", message: expect.stringContaining('sent "63d17c6b77d74b740960460a"') }],
      },
    });
  });

  test("keeps the connection_id beside it", () => {
    const parsed = parseLinkRequest({
      provider: "auth0",
      user_id: "auth0|63d17c6b77d74b740960460a",
      connection_id: "con_ftSSLHb0O7rcUGmF",
    });
    expect(parsed.ok && parsed.value.body).toEqual({
      provider: "auth0",
      user_id: "63d17c6b77d74b740960460a",
      connection_id: "con_ftSSLHb0O7rcUGmF",
    });
  });

  test("leaves an enterprise id that may be bare as given, without a note", () => {
    const parsed = parseLinkRequest({ provider: "samlp", user_id: "samlp|acme|jdoe" });
    expect(parsed).toEqual({
      ok: true,
      value: { variant: "identity", body: { provider: "samlp", user_id: "samlp|acme|jdoe" }, notes: [] },
    });
  });

  test("still refuses linking the primary into itself", () => {
    const parsed = parseLinkRequest(
      { provider: "auth0", user_id: "auth0|64f1a2b3c4d5e6f708192a3b" },
      { primary: "auth0|64f1a2b3c4d5e6f708192a3b" },
    );
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues[0]?.path).toBe("secondary");
  });

  test("is sent bare by unlink, where Auth0 would answer 200 and remove nothing", async () => {
    const recorder = createRecordingFetch([json(200, [])]);
    const client = createManagementClient({
      domain: "tenant.example.auth0.com",
      token: TOKEN,
      fetch: recorder.fetch,
    });
    await client.unlink("auth0|1", { provider: "auth0", user_id: "auth0|2" });
    expect(recorder.requests[0]?.url).toBe(
      "https://tenant.example.auth0.com/api/v2/users/auth0%7C1/identities/auth0/2",
    );
  });
});

describe("x-ratelimit-reset", () => {
  test("is read as the time the bucket is full again: a 429 waits one refill", () => {
    // ruby-auth0's recording: limit 100, remaining 97, reset − Date = 2593 s = 3 × 864 s (100 a day).
    const now = Date.parse("Fri, 03 Sep 2021 20:16:12 GMT");
    const headers = new Headers({
      "x-ratelimit-limit": "100",
      "x-ratelimit-remaining": "97",
      "x-ratelimit-reset": "1630702765",
    });
    expect(retryDelay(headers, now)).toBeCloseTo(864_333, -3);
  });

  test("falls back to the whole span without a limit header", () => {
    const headers = new Headers({ "x-ratelimit-reset": "1700000003" });
    expect(retryDelay(headers, 1_700_000_000_000)).toBe(3000);
  });

  test("never asks for less than a quarter second", () => {
    const headers = new Headers({
      "x-ratelimit-limit": "50",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": "1700000001",
    });
    expect(retryDelay(headers, 1_700_000_000_000)).toBe(250);
  });
});

describe("describeError on Auth0's real answers", () => {
  const apiError = (status: number, message: string, errorCode?: string) =>
    new ManagementApiError({
      operation: "Get user",
      method: "GET",
      path: "/users/{id}",
      status,
      error: "x",
      errorCode,
      message,
    });

  test.each([
    [400, "Bad HTTP authentication header format", "Bearer", "Authorization: Bearer <token>"],
    [401, "Missing authentication", undefined, "Authorization: Bearer <token>"],
    [401, "Expired token received for JSON Web Token validation", undefined, "expired"],
    [401, "Invalid token", undefined, "not a Management API token of this tenant"],
    [401, "Bad audience: https://myaudience.com/api/v2", undefined, "not on a custom domain"],
    [404, "The user does not exist.", "inexistent_user", "Check the user id"],
    [
      403,
      "Insufficient scope, expected any of: read:users",
      "insufficient_scope",
      "Grant the application the scopes",
    ],
  ])("gives a hint for %i %s", (status, message, code, hint) => {
    const description = describeError(apiError(status, message, code));
    expect(description.message).toContain(message);
    expect(description.hint).toContain(hint);
  });
});
