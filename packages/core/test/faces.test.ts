import { describe, expect, test } from "vitest";
import {
  createManagementClient,
  describeError,
  findLinkCandidates,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  parseLinkArguments,
  ValidationError,
} from "../src/index.ts";
import { createRecordingFetch, json, TOKEN } from "./fetch-recorder.ts";

describe("parseLinkArguments", () => {
  const primary = "auth0|p1";
  test("splits a full-id secondary on its first |", () => {
    expect(parseLinkArguments({ primary, secondary: "samlp|acme|jdoe" })).toEqual({
      ok: true,
      value: { primary, notes: [], variant: "identity", body: { provider: "samlp", user_id: "acme|jdoe" } },
    });
  });

  test("keeps a connection_id given beside a full id", () => {
    const result = parseLinkArguments({
      primary,
      secondary: "auth0|abc",
      connection_id: "con_0123456789abcdef",
    });
    expect(result.ok && result.value.body).toEqual({
      provider: "auth0",
      user_id: "abc",
      connection_id: "con_0123456789abcdef",
    });
  });

  test("refuses a full id together with provider", () => {
    expect(parseLinkArguments({ primary, secondary: "github|1", provider: "github" })).toEqual({
      ok: false,
      issues: [
        { path: "secondary", message: "give the secondary either as a full id or as provider, not both" },
      ],
    });
  });

  test("names the secondary when it is not a full id", () => {
    const result = parseLinkArguments({ primary, secondary: "108" });
    expect(!result.ok && result.issues[0]?.message).toContain("secondary must be a full user id");
  });

  test("rejects a full id equal to the primary", () => {
    const result = parseLinkArguments({ primary: "auth0|1", secondary: "auth0|1" });
    expect(!result.ok && result.issues[0]?.path).toBe("secondary");
  });

  test("passes the body fields through parseLinkRequest", () => {
    expect(parseLinkArguments({ primary, link_with: "a.b.c" })).toEqual({
      ok: true,
      value: { primary, notes: [], variant: "token", body: { link_with: "a.b.c" } },
    });
    expect(parseLinkArguments({ primary, provider: "", user_id: "1" }).ok).toBe(false);
  });
});

const people = [
  {
    user_id: "auth0|1",
    email: "jo@example.com",
    email_verified: true,
    created_at: "2024-01-01T00:00:00Z",
    identities: [],
  },
  {
    user_id: "github|2",
    email: "jo@example.com",
    email_verified: true,
    created_at: "2025-01-01T00:00:00Z",
    identities: [],
  },
  {
    user_id: "google-oauth2|3",
    email: "jo@example.com",
    email_verified: false,
    created_at: "2023-01-01T00:00:00Z",
    identities: [],
  },
];

function directory() {
  return createRecordingFetch(
    Array.from({ length: 4 }, () => (r: { url: string }) => {
      const url = new URL(r.url);
      if (url.pathname === "/api/v2/users-by-email") return json(200, people);
      const id = decodeURIComponent(url.pathname.split("/").pop() ?? "");
      return json(
        200,
        people.find((p) => p.user_id === id),
      );
    }),
  );
}

describe("findLinkCandidates", () => {
  test("suggests verified matches of an email under the oldest verified account", async () => {
    const { fetch } = directory();
    const client = createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch });
    const found = await findLinkCandidates(client, "jo@example.com");
    expect(found.primary?.user_id).toBe("auth0|1");
    expect(found.candidates.map((c) => c.user_id)).toEqual(["github|2"]);
    expect(found.unverified.map((u) => u.account.user_id)).toEqual(["google-oauth2|3"]);
    expect(found.unverified[0]?.reason).toContain("its email is not verified");
  });

  test("uses a given user as the primary", async () => {
    const { fetch } = directory();
    const client = createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch });
    const found = await findLinkCandidates(client, "github|2");
    expect(found.primary?.user_id).toBe("github|2");
    expect(found.candidates.map((c) => c.user_id)).toEqual(["auth0|1"]);
  });

  test("suggests nothing for a user whose own email is unverified", async () => {
    const { fetch } = directory();
    const client = createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch });
    const found = await findLinkCandidates(client, "google-oauth2|3");
    expect(found.candidates).toEqual([]);
    expect(found.unverified).toHaveLength(2);
  });
});

describe("clientCredentials", () => {
  test("gets a token with the client-credentials grant and sends it", async () => {
    const { fetch, requests } = createRecordingFetch([
      json(200, { access_token: "m2m-token", token_type: "Bearer", expires_in: 3600 }),
      json(200, { user_id: "auth0|x" }),
    ]);
    const client = createManagementClient({
      domain: "cc-test.auth0.com",
      clientCredentials: { clientId: "cid", clientSecret: "cs" },
      fetch,
    });
    await client.getUser("auth0|x");
    expect(requests.map((r) => new URL(r.url).pathname)).toEqual(["/oauth/token", "/api/v2/users/auth0%7Cx"]);
    expect(requests[1]?.headers.get("authorization")).toBe("Bearer m2m-token");
  });
});

describe("describeError", () => {
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

  test("keeps the issues of a validation error", () => {
    const d = describeError(
      new ValidationError([{ path: "provider", message: "provider must not be empty" }]),
    );
    expect(d.title).toContain("nothing was sent");
    expect(d.issues).toEqual([{ path: "provider", message: "provider must not be empty" }]);
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

  test("redacts a JWT inside an unexpected error", () => {
    expect(describeError(new Error(`boom ${TOKEN.split("-")[0]}`)).message).not.toContain("eyJ");
  });
});
