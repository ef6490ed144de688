// restoreMetadata's answers to what Auth0 may say, on a client whose fetch is a table of replies (the happy paths
// and the users compared before and after run end to end on the emulator: bulk-undo.test.ts).
import { createManagementClient } from "@idlink/core";
import { describe, expect, test } from "vitest";
import { digest, restoreMetadata, TransientRestoreError } from "../src/bulk/restore.ts";

const primary = "auth0|p1";
const secondary = "google-oauth2|s1";
const kept = { user_metadata: { theme: "dark" }, app_metadata: { plan: "pro" } };

/** A client whose requests are answered from `replies` ("GET auth0|p1": status and body), in order per key. */
function tenant(replies: Record<string, { status: number; body?: unknown }[]>) {
  const sent: string[] = [];
  const client = createManagementClient({
    domain: "tenant.example.auth0.com",
    token: "t",
    retry: { maxRetries: 0, sleep: async () => {} },
    pacer: false,
    fetch: async (request: Request) => {
      const id = decodeURIComponent(new URL(request.url).pathname.split("/").at(-1) ?? "");
      const key = `${request.method} ${id}`;
      sent.push(`${key}${request.method === "PATCH" ? ` ${await request.text()}` : ""}`);
      const reply = replies[key]?.shift() ?? { status: 500 };
      const body = reply.body ?? { statusCode: reply.status, error: "x", message: `answer ${reply.status}` };
      return new Response(JSON.stringify(body), {
        status: reply.status,
        headers: { "content-type": "application/json" },
      });
    },
  });
  return { client, sent };
}

describe("restoreMetadata", () => {
  test("writes back only what the recreated user lacks; a key it holds with another value is kept and said", async () => {
    const { client, sent } = tenant({
      [`GET ${secondary}`]: [
        { status: 200, body: { user_id: secondary, app_metadata: { plan: "free" }, user_metadata: {} } },
      ],
      [`PATCH ${secondary}`]: [{ status: 200, body: { user_id: secondary } }],
    });
    const report = await restoreMetadata(client, { primary, secondary, kept });
    expect(report).toEqual({
      restored: ["user_metadata.theme"],
      removed: [],
      notRestored: [
        { what: "app_metadata.plan", why: "changed since: the user holds another value now, kept" },
      ],
    });
    expect(sent).toEqual([`GET ${secondary}`, `PATCH ${secondary} {"user_metadata":{"theme":"dark"}}`]);
  });

  test.each([
    [400, "Payload validation error: the user profile is too large", "Auth0 refused it: 400"],
    [403, "Insufficient scope, expected any of: update:users", "Auth0 refused it: 403"],
    [404, "The user does not exist.", `${secondary} no longer exists (deleted since?)`],
  ])("a PATCH answered %i is reported for each key, not tried again", async (status, message, why) => {
    const { client, sent } = tenant({
      [`GET ${secondary}`]: [{ status: 200, body: { user_id: secondary } }],
      [`PATCH ${secondary}`]: [{ status, body: { statusCode: status, error: "x", message } }],
    });
    const report = await restoreMetadata(client, { primary, secondary, kept });
    expect(report.restored).toEqual([]);
    expect(report.notRestored.map((n) => n.what)).toEqual(["user_metadata.theme", "app_metadata.plan"]);
    for (const n of report.notRestored) expect(n.why).toContain(why);
    expect(sent).toHaveLength(2);
  });

  test("a read Auth0 refuses is reported for each key; a merged key on a primary gone too", async () => {
    const { client } = tenant({
      [`GET ${secondary}`]: [{ status: 403, body: { statusCode: 403, error: "x", message: "no scope" } }],
      [`GET ${primary}`]: [{ status: 404, body: { statusCode: 404, error: "x", message: "gone" } }],
    });
    const report = await restoreMetadata(client, {
      primary,
      secondary,
      kept,
      merged: { theme: digest("dark") },
    });
    expect(report.notRestored).toEqual([
      { what: "user_metadata.theme", why: "Auth0 refused it: 403 no scope" },
      { what: "app_metadata.plan", why: "Auth0 refused it: 403 no scope" },
      { what: `user_metadata.theme on ${primary}`, why: `${primary} no longer exists (deleted since?)` },
    ]);
  });

  test("a 5xx or a lost answer is thrown as transient, for the caller to try again", async () => {
    const { client } = tenant({ [`GET ${secondary}`]: [{ status: 503 }] });
    await expect(restoreMetadata(client, { primary, secondary, kept })).rejects.toBeInstanceOf(
      TransientRestoreError,
    );
    const lost = tenant({
      [`GET ${secondary}`]: [{ status: 200, body: { user_id: secondary } }],
      [`PATCH ${secondary}`]: [{ status: 502 }],
    });
    await expect(restoreMetadata(lost.client, { primary, secondary, kept })).rejects.toBeInstanceOf(
      TransientRestoreError,
    );
  });

  test("removes a merged key only while it holds the value written (by digest, whatever the key order)", async () => {
    const { client, sent } = tenant({
      [`PATCH ${primary}`]: [{ status: 200, body: { user_id: primary } }],
    });
    const report = await restoreMetadata(
      client,
      {
        primary,
        secondary,
        kept: { user_metadata: {}, app_metadata: {} },
        merged: { prefs: digest({ a: 1, b: [2] }), theme: digest("dark"), gone: digest(1) },
      },
      { user_id: primary, user_metadata: { prefs: { b: [2], a: 1 }, theme: "light" } },
    );
    expect(report).toEqual({
      restored: [],
      removed: ["user_metadata.gone", "user_metadata.prefs"],
      notRestored: [
        {
          what: `user_metadata.theme on ${primary}`,
          why: "changed since the run merged it: the primary's value now is kept",
        },
      ],
    });
    expect(sent).toEqual([`PATCH ${primary} {"user_metadata":{"prefs":null}}`]);
  });
});
