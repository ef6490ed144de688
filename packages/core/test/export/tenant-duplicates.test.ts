import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { duplicateExportFields, findTenantDuplicates } from "../../src/export/tenant-duplicates.ts";
import { createManagementClient } from "../../src/http/client.ts";
import { ExportError } from "../../src/present/errors.ts";
import { createRecordingFetch, json, TOKEN } from "../fetch-recorder.ts";

const location = "https://exports.example/tenant/users.json.gz?X-Amz-Signature=abc";
const location2 = "https://exports.example/tenant/users.json.gz?X-Amz-Signature=def";
const job = (status: string, extra = {}) => ({
  id: "job_Duplicates01",
  type: "users_export",
  status,
  ...extra,
});

const lines = [
  { user_id: "auth0|1", email: "Ada@example.com", email_verified: true, created_at: "2020-01-01T00:00:00Z" },
  { user_id: "github|2", email: "ada@example.com", email_verified: true, created_at: "2021-01-01T00:00:00Z" },
  { user_id: "auth0|3", email: "bob@example.com", email_verified: true },
].map((u) => JSON.stringify(u));

/**
 * A tenant whose export job completes on its first poll, then gives a fresh link for the second read, and a storage
 * that serves `file` at both.
 */
function setup(
  file: Uint8Array,
  jobs = [json(200, job("pending")), json(200, job("completed", { location }))],
) {
  const api = createRecordingFetch([...jobs, json(200, job("completed", { location: location2 }))]);
  const storage = createRecordingFetch([
    new Response(file as Uint8Array<ArrayBuffer>, { status: 200 }),
    new Response(file as Uint8Array<ArrayBuffer>, { status: 200 }),
  ]);
  const client = createManagementClient({ domain: "dup.example.auth0.com", token: TOKEN, fetch: api.fetch });
  return { client, api: api.requests, storage };
}

describe("findTenantDuplicates", () => {
  test("exports the fields grouping needs, downloads the file and groups the users by email", async () => {
    const { client, api, storage } = setup(gzipSync(`${lines.join("\n")}\n`));
    const report = await findTenantDuplicates(client, { fetch: storage.fetch, pollMs: 1 });
    expect(report).toMatchObject({ jobId: "job_Duplicates01", malformedLines: 0, users: 3, pairs: 1 });
    expect(report.groups.map((g) => [g.primary.user_id, g.secondaries.map((s) => s.user_id)])).toEqual([
      ["auth0|1", ["github|2"]],
    ]);
    expect(JSON.parse(api[0]?.body ?? "")).toEqual({ format: "json", fields: duplicateExportFields });
    // Read twice, the second time from a fresh link (a link lasts 60 seconds), never with the token.
    expect(storage.requests.map((r) => r.url)).toEqual([location, location2]);
    expect(storage.requests.some((r) => r.headers.has("authorization"))).toBe(false);
  });

  test("asks only for the fields the grouping and the primary policy read", () => {
    expect(duplicateExportFields.map((f) => f.name)).toEqual([
      "user_id",
      "email",
      "email_verified",
      "created_at",
      "last_login",
      "logins_count",
      "identities",
    ]);
  });

  test("exports one connection when asked", async () => {
    const { client, api, storage } = setup(gzipSync(`${lines[0]}\n`));
    await findTenantDuplicates(client, {
      fetch: storage.fetch,
      pollMs: 1,
      connectionId: "con_0123456789abcdef",
    });
    expect(JSON.parse(api[0]?.body ?? "")).toMatchObject({ connection_id: "con_0123456789abcdef" });
  });

  test("skips and counts malformed lines instead of failing", async () => {
    const { client, storage } = setup(gzipSync([lines[0], "{oops", "[]", lines[1]].join("\n")));
    const report = await findTenantDuplicates(client, { fetch: storage.fetch, pollMs: 1 });
    expect(report.malformedLines).toBe(2);
    expect(report.pairs).toBe(1);
  });

  test("reports the job's progress, then the lines read", async () => {
    const { client, storage } = setup(gzipSync(lines.join("\n")), [
      json(200, job("pending")),
      json(200, job("processing", { percentage_done: 50 })),
      json(200, job("completed", { location })),
    ]);
    const progress: unknown[] = [];
    await findTenantDuplicates(client, {
      fetch: storage.fetch,
      pollMs: 1,
      onProgress: (p) => progress.push(p),
    });
    expect(progress.slice(0, 3)).toEqual([
      { status: "pending" },
      { status: "processing", percentage: 50 },
      { status: "completed" },
    ]);
    // Then the lines read so far, once per chunk of the file, in each of its two reads.
    expect(progress.slice(3).every((p) => (p as { status: string }).status === "reading")).toBe(true);
    expect(progress).toContainEqual({ status: "reading", pass: 1, lines: 3 });
    expect(progress.at(-1)).toEqual({ status: "reading", pass: 2, lines: 3 });
  });

  test("a file that is not gzip is an ExportError", async () => {
    const { client, storage } = setup(new TextEncoder().encode(lines.join("\n")));
    await expect(findTenantDuplicates(client, { fetch: storage.fetch, pollMs: 1 })).rejects.toBeInstanceOf(
      ExportError,
    );
  });

  test("changes nothing on the tenant: one export job and its polls", async () => {
    const { client, api, storage } = setup(gzipSync(lines.join("\n")));
    await findTenantDuplicates(client, { fetch: storage.fetch, pollMs: 1 });
    expect(api.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      "POST /api/v2/jobs/users-exports",
      "GET /api/v2/jobs/job_Duplicates01",
      "GET /api/v2/jobs/job_Duplicates01",
    ]);
  });
});
