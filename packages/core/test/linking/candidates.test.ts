import { describe, expect, test } from "vitest";
import { createManagementClient } from "../../src/http/client.ts";
import { findLinkCandidates, UNVERIFIED_EMAIL_WARNING } from "../../src/linking/candidates.ts";
import { ValidationError } from "../../src/present/errors.ts";
import { createRecordingFetch, json, TOKEN } from "../fetch-recorder.ts";

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

/** A tenant of `people`: GET /users/{id} and /users-by-email. */
function directory(everyone: Record<string, unknown>[] = people) {
  const recorder = createRecordingFetch(
    Array.from({ length: 4 }, () => (r: { url: string }) => {
      const url = new URL(r.url);
      if (url.pathname === "/api/v2/users-by-email") return json(200, everyone);
      const id = decodeURIComponent(url.pathname.split("/").pop() ?? "");
      return json(
        200,
        everyone.find((p) => p.user_id === id),
      );
    }),
  );
  const client = createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch: recorder.fetch });
  return { client, requests: recorder.requests };
}

describe("findLinkCandidates", () => {
  test("suggests verified matches of an email under the oldest verified account", async () => {
    const { client } = directory();
    const found = await findLinkCandidates(client, "jo@example.com");
    expect(found.primary?.user_id).toBe("auth0|1");
    expect(found.candidates.map((c) => c.user_id)).toEqual(["github|2"]);
    expect(found.unverified.map((u) => u.account.user_id)).toEqual(["google-oauth2|3"]);
    expect(found.unverified[0]?.reason).toContain("its email is not verified");
  });

  test("uses a given user as the primary", async () => {
    const { client } = directory();
    const found = await findLinkCandidates(client, "github|2");
    expect(found.primary?.user_id).toBe("github|2");
    expect(found.candidates.map((c) => c.user_id)).toEqual(["auth0|1"]);
  });

  test("suggests nothing for a user whose own email is unverified", async () => {
    const { client } = directory();
    const found = await findLinkCandidates(client, "google-oauth2|3");
    expect(found.candidates).toEqual([]);
    expect(found.unverified).toHaveLength(2);
    expect(found.unverified[0]?.reason).toBe(
      `the email of google-oauth2|3 is not verified. ${UNVERIFIED_EMAIL_WARNING}`,
    );
  });

  test("reads a user by id, then the accounts sharing its email; an email is looked up directly", async () => {
    const byId = directory();
    await findLinkCandidates(byId.client, "github|2");
    expect(byId.requests.map((r) => new URL(r.url).pathname)).toEqual([
      "/api/v2/users/github%7C2",
      "/api/v2/users-by-email",
    ]);
    expect(new URL(byId.requests[1]?.url ?? "").searchParams.get("email")).toBe("jo@example.com");
    const byEmail = directory();
    await findLinkCandidates(byEmail.client, "jo@example.com");
    expect(byEmail.requests.map((r) => new URL(r.url).pathname)).toEqual(["/api/v2/users-by-email"]);
  });

  test("an email whose accounts are all unverified has no primary and no candidate", async () => {
    const { client } = directory(people.map((p) => ({ ...p, email_verified: false })));
    const found = await findLinkCandidates(client, "jo@example.com");
    expect(found.primary).toBeUndefined();
    expect(found.candidates).toEqual([]);
    expect(found.unverified).toHaveLength(3);
  });

  test("a user without an email cannot be matched", async () => {
    const { client } = directory([{ user_id: "sms|1", identities: [] }]);
    const error = await findLinkCandidates(client, "sms|1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: "user", message: "sms|1 has no email address to match on" },
    ]);
  });
});
