import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, test } from "vitest";
import { createEmulator, type Emulator } from "../src/index.ts";
import { alice, aliceGoogle, call, databaseConnectionId, useEmulator } from "./helpers.ts";

const emulator = useEmulator();
const exportsPath = "/api/v2/jobs/users-exports";
const wide = { burst: 1_000_000, perSecond: 1_000_000 };

async function readerToken(em: Emulator): Promise<string> {
  return em.mintToken({ scopes: ["read:users"] });
}

/** Creates an export job, polls it until it is no longer pending/processing, and answers every status seen. */
async function runExport(em: Emulator, body: unknown) {
  const token = await readerToken(em);
  const created = await call(em, "POST", exportsPath, { token, body });
  expect(created.status).toBe(200);
  const id = (created.body as { id: string }).id;
  const statuses = [(created.body as { status: string }).status];
  for (;;) {
    const job = await call(em, "GET", `/api/v2/jobs/${id}`, { token });
    expect(job.status).toBe(200);
    const value = job.body as { status: string; location?: string };
    statuses.push(value.status);
    if (value.status !== "pending" && value.status !== "processing") return { created, job: value, statuses };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function download(location: string): Promise<string> {
  const res = await fetch(location);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/gzip");
  return gunzipSync(Buffer.from(await res.arrayBuffer())).toString("utf8");
}

describe("user export job", () => {
  test("runs pending → completed and serves a gzipped JSON-lines file at location", async () => {
    const em = emulator();
    const { created, job, statuses } = await runExport(em, { format: "json" });
    expect(created.body).toMatchObject({ type: "users_export", status: "pending", format: "json" });
    expect(created.body).not.toHaveProperty("location");
    expect(statuses.at(-1)).toBe("completed");
    expect(job.location).toMatch(
      new RegExp(`^${em.url}/emulator/exports/job_[A-Za-z0-9]{16}\\.json\\.gz\\?`),
    );
    const lines = (await download(job.location ?? "")).trimEnd().split("\n");
    expect(lines).toHaveLength(em.state.listUsers().length);
    const first = JSON.parse(lines[0] ?? "{}");
    expect(first).toMatchObject({ user_id: alice, email: "alice.martin@example.com", email_verified: true });
    // Identity-provider tokens never leave the tenant.
    expect(lines.join("\n")).not.toContain("emulator-only-idp");
    expect(first.identities[0]).toEqual({
      connection: "Username-Password-Authentication",
      provider: "auth0",
      user_id: "64f1a2b3c4d5e6f708192a3b",
      isSocial: false,
    });
  });

  test("exports the requested fields under their export_as names, as CSV", async () => {
    const em = emulator();
    const { job } = await runExport(em, {
      format: "csv",
      fields: [
        { name: "user_id" },
        { name: "email" },
        { name: "identities[0].connection", export_as: "provider" },
      ],
    });
    const lines = (await download(job.location ?? "")).trimEnd().split("\n");
    expect(lines[0]).toBe("user_id,email,provider");
    expect(lines).toContain(`${aliceGoogle},alice.martin@example.com,google-oauth2`);
  });

  test("filters by connection_id and stops at limit", async () => {
    const em = emulator();
    const { created, job } = await runExport(em, {
      connection_id: databaseConnectionId,
      limit: 2,
      fields: [{ name: "user_id" }],
    });
    expect(created.body).toMatchObject({
      connection_id: databaseConnectionId,
      connection: "Username-Password-Authentication",
      limit: 2,
      fields: [{ name: "user_id" }],
    });
    const lines = (await download(job.location ?? "")).trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(JSON.parse(line).user_id).toMatch(/^auth0\|/);
  });

  test.each([
    [
      { format: "xml" },
      "Payload validation error: 'No enum match for: \"xml\"' on property format (Format of the file. Must be `json` or `csv`).",
    ],
    [
      { limit: 0 },
      "Payload validation error: 'Value 0 is less than minimum 1' on property limit (Limit the number of records).",
    ],
    [
      { limit: "5" },
      "Payload validation error: 'Expected type integer but found type string' on property limit (Limit the number of records).",
    ],
    [{ nope: 1 }, "Payload validation error: 'Additional properties not allowed: nope'."],
    [
      { connection_id: "con_short" },
      "Payload validation error: 'String does not match pattern ^con_[A-Za-z0-9]{16}$: con_short' on property connection_id (connection_id of the connection from which users will be exported).",
    ],
    [{ fields: [{}] }, "Payload validation error: 'Missing required property: name' on property fields[0]."],
    [
      { fields: [{ name: "email", as: "x" }] },
      "Payload validation error: 'Additional properties not allowed: as' on property fields[0].",
    ],
    [
      { fields: [{ name: "x".repeat(101) }] },
      "Payload validation error: 'String is too long (101 chars), maximum 100' on property fields[0].name.",
    ],
    [{ connection_id: "con_AAAAAAAAAAAAAAAA" }, "The connection does not exist."],
  ])("answers 400 for %j", async (body, message) => {
    const em = emulator();
    const res = await call(em, "POST", exportsPath, { token: await readerToken(em), body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: "Bad Request", message });
  });

  test("answers 400 for a body that is not JSON", async () => {
    const em = emulator();
    const res = await call(em, "POST", exportsPath, { token: await readerToken(em), rawBody: "{" });
    expect(res.body).toMatchObject({ statusCode: 400, message: "Invalid request payload JSON format" });
  });

  test("needs read:users to create and to read a job", async () => {
    const em = emulator();
    const weak = await em.mintToken({ scopes: ["update:users"] });
    const post = await call(em, "POST", exportsPath, { token: weak, body: {} });
    expect(post.status).toBe(403);
    expect(post.body).toMatchObject({ message: "Insufficient scope, expected any of: read:users" });
    const { created } = await runExport(em, {});
    const get = await call(em, "GET", `/api/v2/jobs/${(created.body as { id: string }).id}`, { token: weak });
    expect(get.status).toBe(403);
    expect(get.body).toMatchObject({
      message: "Insufficient scope, expected any of: create:users,read:users",
    });
    const anonymous = await call(em, "POST", exportsPath, { body: {} });
    expect(anonymous.status).toBe(401);
  });

  test("answers 404 for an unknown job and 400 for a malformed id", async () => {
    const em = emulator();
    const token = await readerToken(em);
    const missing = await call(em, "GET", "/api/v2/jobs/job_0000000000000000", { token });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, message: "Job not found." });
    const malformed = await call(em, "GET", "/api/v2/jobs/nope", { token });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ errorCode: "invalid_uri" });
  });

  test("refuses a location whose signature was changed", async () => {
    const em = emulator();
    const { job } = await runExport(em, {});
    const forged = (job.location ?? "").replace(/signature=[0-9a-f]/, "signature=x");
    const res = await fetch(forged);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("AccessDenied");
  });
});

describe("export job expiry, start delay and rate limit", () => {
  let em: Emulator | undefined;
  afterEach(async () => {
    await em?.stop();
    em = undefined;
  });

  test("a job stays pending for the start delay, then completes; it expires with its location", async () => {
    // A start delay a loaded machine does not sleep through between the job's creation and the first poll.
    em = await createEmulator({ rateLimit: wide, exportJobs: { startDelayMs: 1500, ttlSeconds: 3 } });
    const started = performance.now();
    const { job, statuses } = await runExport(em, {});
    expect(statuses.filter((s) => s === "pending").length).toBeGreaterThan(1);
    // Not a speed check: the job must not complete before its delay, however fast the machine (timers keep whole
    // milliseconds, hence the few taken off).
    expect(performance.now() - started).toBeGreaterThanOrEqual(1500 - 5);
    expect(job.status).toBe("completed");
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const res = await fetch(job.location ?? "");
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("Request has expired");
    const token = await em.mintToken({ scopes: ["read:users"] });
    const again = await call(em, "GET", `/api/v2/jobs/${(job as unknown as { id: string }).id}`, { token });
    expect(again.body).toMatchObject({ status: "expired" });
    expect(again.body).not.toHaveProperty("location");
  });

  test("job calls count against the rate limit; the download does not", async () => {
    em = await createEmulator({ rateLimit: { burst: 2, perSecond: 0.01 } });
    const token = await em.mintToken({ scopes: ["read:users"] });
    const created = await call(em, "POST", exportsPath, { token, body: {} });
    expect(created.status).toBe(200);
    const id = (created.body as { id: string }).id;
    let job = await call(em, "GET", `/api/v2/jobs/${id}`, { token });
    expect(job.headers.get("x-ratelimit-remaining")).toBe("0");
    const limited = await call(em, "GET", `/api/v2/jobs/${id}`, { token });
    expect(limited.status).toBe(429);
    em.setRateLimit(wide);
    do job = await call(em, "GET", `/api/v2/jobs/${id}`, { token });
    while ((job.body as { status: string }).status !== "completed");
    em.setRateLimit({ burst: 1, perSecond: 0.01 });
    for (let i = 0; i < 3; i++) {
      const res = await fetch((job.body as { location: string }).location);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });
});
