import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSeed, seedUsers } from "@idlink/emulator";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import {
  expectNoSecrets,
  idlink,
  idlinkBin,
  journalRecords,
  json,
  pairIds,
  pairSeed,
  pairsFile,
  startIdlink,
  startTenant,
  type Tenant,
  tempDir,
  waitFor,
  writeJournal,
  writes,
} from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());

/** Every pair linked exactly once, read from the emulator's state: each primary holds exactly its secondary. */
function expectAllLinked(tenant: Tenant, count: number): void {
  const users = tenant.emu.state.listUsers();
  expect(users).toHaveLength(count);
  for (let i = 0; i < count; i++) {
    const { primary, secondary } = pairIds(i);
    const ids = (tenant.emu.state.getUser(primary)?.identities ?? []).map(
      (x) => `${x.provider}|${x.user_id}`,
    );
    expect(ids).toEqual([primary, secondary]);
  }
  // A second link of the same pair would have met Auth0's 409.
  expect(tenant.emu.state.requests.filter((r) => r.status === 409)).toEqual([]);
}

describe("idlink bulk: validation", () => {
  let tenant: Tenant;
  beforeAll(async () => {
    tenant = await startTenant({ rateLimit: false });
  });
  afterAll(() => tenant.stop());
  afterEach(() => tenant.emu.state.reset());

  const badCsv = () => {
    const path = join(dir.path, "bad.csv");
    writeFileSync(
      path,
      [
        "primary,secondary,connection_id",
        "auth0|64f1a2b3c4d5e6f708192a3b,google-oauth2|108234567890123456789,",
        "auth0|64f1a2b3c4d5e6f708192a4c,,",
        "auth0|64f1a2b3c4d5e6f708192a4c,gogle|1,",
        "auth0|65a0b1c2d3e4f5061728394a,samlp|acme-saml|jdoe@acme.example,con_short",
        "auth0|66ff0011aa22bb33cc44dd55,google-oauth2|108234567890123456789,",
        "auth0|66ff0011aa22bb33cc44dd55,auth0|66ff0011aa22bb33cc44dd55,",
      ].join("\n"),
    );
    return path;
  };

  test("refuses a file with bad rows, naming row, line and field; sends nothing", async () => {
    const result = await idlink(["bulk", badCsv(), "--yes"], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("5 invalid rows");
    expect(result.stderr).toContain("row 2 (line 3) secondary: secondary must not be empty");
    expect(result.stderr).toContain("row 3 (line 4) secondary:");
    expect(result.stderr).toContain("row 4 (line 5) connection_id:");
    expect(result.stderr).toContain("row 5 (line 6) secondary:");
    expect(result.stderr).toContain("already on row 1");
    expect(result.stderr).toContain("row 6 (line 7) secondary:");
    expect(tenant.emu.state.requests).toEqual([]);
  });

  test("--dry-run prints the counts and the invalid rows", async () => {
    const result = await idlink(["bulk", badCsv(), "--dry-run", "--json"], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(json(result)).toMatchObject({ dryRun: true, rows: 6, valid: 1, toLink: 1, alreadyDone: 0 });
    expect(tenant.emu.state.requests).toEqual([]);
  });

  test("--skip-invalid links the valid rows and exits 3", async () => {
    const file = badCsv();
    const result = await idlink(
      ["bulk", file, "--skip-invalid", "--yes", "--json", "--journal", join(dir.path, "skip.journal.jsonl")],
      {
        env: tenant.env,
      },
    );
    expect(result.code).toBe(3);
    expect(json(result)).toMatchObject({ linked: 1, failed: [], interrupted: false });
    expect((json(result).invalid as unknown[]).length).toBe(5);
  });

  test("counts a pair already linked as such, unsent; other failures with reasons", async () => {
    const path = join(dir.path, "mixed.jsonl");
    writeFileSync(
      path,
      [
        { primary: seedUsers.frank, secondary: seedUsers.frankGithub },
        { primary: seedUsers.alice, secondary: seedUsers.aliceGoogle },
        { primary: "auth0|nobody", secondary: seedUsers.bobGithub },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n"),
    );
    const result = await idlink(["bulk", path, "--yes", "--json"], { env: tenant.env });
    expect(result.code).toBe(3);
    const doc = json(result);
    expect(doc).toMatchObject({ linked: 1, alreadyLinked: 1, blocked: 0 });
    expect(doc.failed).toEqual([
      expect.objectContaining({ row: 3, status: "failed", reason: "404 The user does not exist." }),
    ]);
    // The pair already linked was read, not sent.
    expect(writes(tenant.emu)).toEqual([
      `POST /api/v2/users/${encodeURIComponent(seedUsers.alice)}/identities`,
      `POST /api/v2/users/${encodeURIComponent("auth0|nobody")}/identities`,
    ]);
    expectNoSecrets(result, tenant.secrets);
  });

  test("blocks, never sends, a row whose link Auth0 would answer by moving a whole user", async () => {
    // Auth0 answers 201 to linking an identity already linked into another user, and moves that user with all its
    // identities into the primary (community thread 132916; the emulator's fidelity corpus:
    // link-identity-already-linked-elsewhere). Bulk reads each secondary first, with core's checkLink.
    const path = join(dir.path, "unsafe.csv");
    writeFileSync(
      path,
      [
        "primary,secondary",
        `${seedUsers.jane},${seedUsers.frankGithub}`, // an identity linked into frank
        `${seedUsers.erin},${seedUsers.frank}`, // frank holds github|7700123
        `${seedUsers.bob},github|404404`, // no such user
        `${seedUsers.carol},${seedUsers.carolGoogle}`, // unverified email
        `${seedUsers.alice},${seedUsers.aliceGoogle}`, // fine
      ].join("\n"),
    );
    // Everyone but the fine row's pair, as stored: the blocked rows must leave them exactly so.
    const others = () =>
      JSON.stringify(
        tenant.emu.state
          .listUsers()
          .filter((u) => u.user_id !== seedUsers.alice && u.user_id !== seedUsers.aliceGoogle),
      );
    const before = others();
    const result = await idlink(["bulk", path, "--yes", "--json"], { env: tenant.env });
    expect(result.code).toBe(3);
    const doc = json(result);
    expect(doc).toMatchObject({ linked: 1, blocked: 4 });
    expect(doc.failed).toEqual([
      expect.objectContaining({
        row: 1,
        status: "blocked",
        reason: expect.stringContaining(`is linked into ${seedUsers.frank}`),
      }),
      expect.objectContaining({
        row: 2,
        status: "blocked",
        reason: expect.stringContaining(`holds linked identities (${seedUsers.frankGithub})`),
      }),
      expect.objectContaining({
        row: 3,
        status: "blocked",
        reason: expect.stringContaining("does not exist"),
      }),
      expect.objectContaining({ row: 4, status: "blocked", reason: expect.stringContaining("not verified") }),
    ]);
    expect(result.stdout).toContain("blocked");
    // Only the fine row was sent; frank still holds github|7700123, nobody moved.
    expect(writes(tenant.emu)).toEqual([
      `POST /api/v2/users/${encodeURIComponent(seedUsers.alice)}/identities`,
    ]);
    expect(others()).toBe(before);
    expect(tenant.emu.state.getUser(seedUsers.frank)?.identities).toHaveLength(2);
    // Blocked rows are journalled as such, never `started`; a resume checks them again.
    const records = journalRecords(`${path}.journal.jsonl`);
    expect(records.filter((r) => r.type === "started")).toHaveLength(1);
    expect(records.filter((r) => r.status === "blocked").map((r) => r.via)).toEqual([
      "check",
      "check",
      "check",
      "check",
    ]);
    const dry = json(await idlink(["bulk", path, "--dry-run", "--json"], { env: tenant.env }));
    expect(dry).toMatchObject({ alreadyDone: 1, toRetry: 4 });
  });

  test("a token that may link but not read fails every row at the check, naming the scope; nothing sent", async () => {
    const token = await tenant.emu.mintToken({ scopes: ["update:users"] });
    const path = join(dir.path, "noread.csv");
    writeFileSync(path, `${seedUsers.alice},${seedUsers.aliceGoogle}\n`);
    const result = await idlink(["bulk", path, "--yes", "--json"], {
      env: { AUTH0_DOMAIN: tenant.emu.url, AUTH0_TOKEN: token },
    });
    expect(result.code).toBe(3);
    expect(json(result).failed).toEqual([
      expect.objectContaining({ row: 1, status: "failed", reason: expect.stringContaining("read:users") }),
    ]);
    expect(writes(tenant.emu)).toEqual([]);
    expectNoSecrets(result, [...tenant.secrets, token]);
  });

  test("needs --yes when not on a terminal", async () => {
    const result = await idlink(["bulk", pairsFile(dir.path, 3)], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(writes(tenant.emu)).toEqual([]);
  });
});

describe("idlink bulk: runs", () => {
  test("links 2,000 pairs exactly once through 5xx and dropped connections", async () => {
    const count = 2000;
    const tenant = await startTenant({
      seed: pairSeed(defaultSeed(), count),
      rateLimit: { burst: 500, perSecond: 4000 },
      faults: { errorRate: 0.03, dropAfterRate: 0.03, dropBeforeRate: 0.01, seed: 42 },
    });
    try {
      const file = pairsFile(dir.path, count);
      const result = await idlink(["bulk", file, "--yes", "--json", "--concurrency", "8"], {
        env: tenant.env,
      });
      expect(result.code).toBe(0);
      const doc = json(result);
      expect((doc.linked as number) + (doc.alreadyLinked as number)).toBe(count);
      expect(doc.failed).toEqual([]);
      // The faults really happened, and were reconciled by reading the primary.
      expect(
        tenant.emu.state.requests.filter((r) => r.status === 0 || r.status >= 500).length,
      ).toBeGreaterThan(50);
      expect(doc.alreadyLinked as number).toBeGreaterThan(0);
      expectAllLinked(tenant, count);
      // Not a terminal: no progress, not a line a row (the summary and the journal say every row).
      expect(result.stderr).not.toMatch(/^row |\r/m);
      expectNoSecrets(result, tenant.secrets);
      // The journal has an outcome for every pair.
      const outcomes = journalRecords(`${file}.journal.jsonl`).filter(
        (r) => r.type === "outcome" && r.status !== "unknown",
      );
      expect(new Set(outcomes.map((r) => r.key)).size).toBe(count);
      // A second run skips everything.
      const again = await idlink(["bulk", file, "--yes", "--json"], { env: tenant.env });
      expect(again.code).toBe(0);
      expect(json(again)).toMatchObject({ linked: 0, alreadyDoneInJournal: count });
    } finally {
      await tenant.stop();
    }
  }, 120_000);

  test("paces itself under a tight rate limit: few answers of 429, every pair linked once", async () => {
    // A bucket whose refill spans seconds: x-ratelimit-reset is in whole seconds, so that is what it can tell.
    const count = 50;
    const tenant = await startTenant({
      seed: pairSeed(defaultSeed(), count),
      rateLimit: { burst: 10, perSecond: 10 },
    });
    try {
      const result = await idlink(
        ["bulk", pairsFile(dir.path, count, "jsonl"), "--yes", "--json", "--concurrency", "8"],
        {
          env: tenant.env,
        },
      );
      expect(result.code).toBe(0);
      expect(json(result)).toMatchObject({ linked: count, failed: [] });
      // 8 workers and 50 pairs — 100 requests, each secondary read before its link through the same pacer — through
      // a bucket of 10: unpaced, they ran into it (core's pacer spends the burst, then sends at the refill rate). The pause after a 429 is covered by core's transport tests.
      // x-ratelimit-reset is in whole seconds, and this bucket refills whole in one: the pacer reads it slow and
      // keeps a request in hand (there were up to 10 answers of 429 when an answer the tenant counted early was read
      // as the newest word; bench/RESULTS.md 2b). On a loaded CI machine one has been seen during the burst (the
      // bench's repeated runs, 0 of 1,703, hold the target), so at most one here.
      expect(tenant.emu.state.requests.filter((r) => r.status === 429).length).toBeLessThanOrEqual(1);
      expect(tenant.emu.state.requests.filter((r) => r.method === "GET" && r.status === 200)).toHaveLength(
        count,
      );
      expectAllLinked(tenant, count);
    } finally {
      await tenant.stop();
    }
  }, 60_000);

  test("a run killed with SIGKILL at a random point resumes to the same state", async () => {
    const count = 600;
    const tenant = await startTenant({
      seed: pairSeed(defaultSeed(), count),
      rateLimit: false,
      faults: { latencyMs: 3 },
    });
    try {
      const file = pairsFile(dir.path, count);
      const journal = `${file}.journal.jsonl`;
      const killAfter = 20 + Math.floor(Math.random() * 400);
      const run = startIdlink(["bulk", file, "--yes", "--concurrency", "6"], { env: tenant.env });
      await waitFor(() => journalRecords(journal).filter((r) => r.type === "outcome").length >= killAfter);
      run.child.kill("SIGKILL");
      const killed = await run.done;
      expect(killed.signal).toBe("SIGKILL");
      expect(existsSync(`${journal}.lock`)).toBe(true);
      const before = tenant.emu.state.listUsers().length;
      expect(before).toBeGreaterThan(count);
      expect(before).toBeLessThan(2 * count);

      const resumed = await idlink(["bulk", file, "--yes", "--json"], { env: tenant.env });
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toContain("Took over the lock");
      const doc = json(resumed);
      expect(doc.alreadyDoneInJournal as number).toBeGreaterThanOrEqual(killAfter);
      expectAllLinked(tenant, count);
      // Never sent twice: each pair got exactly one successful POST across both runs.
      const created = tenant.emu.state.requests.filter((r) => r.method === "POST" && r.status === 201);
      expect(created).toHaveLength(count);
      expect(existsSync(`${journal}.lock`)).toBe(false);
    } finally {
      await tenant.stop();
    }
  }, 60_000);

  test("Ctrl-C finishes in-flight links, flushes the journal, exits 130, and the run resumes", async () => {
    const count = 300;
    const tenant = await startTenant({
      seed: pairSeed(defaultSeed(), count),
      rateLimit: false,
      faults: { latencyMs: 10 },
    });
    try {
      const file = pairsFile(dir.path, count);
      const journal = `${file}.journal.jsonl`;
      const run = startIdlink(["bulk", file, "--yes", "--json", "--concurrency", "4"], { env: tenant.env });
      await waitFor(() => journalRecords(journal).filter((r) => r.type === "outcome").length >= 20);
      run.child.kill("SIGINT");
      const result = await run.done;
      expect(result.code).toBe(130);
      expect(json(result)).toMatchObject({ interrupted: true, failed: [] });
      const records = journalRecords(journal);
      expect(records.at(-1)).toMatchObject({ type: "end", interrupted: true });
      const started = new Set(records.filter((r) => r.type === "started").map((r) => r.key));
      const settled = new Set(records.filter((r) => r.type === "outcome").map((r) => r.key));
      expect([...started].filter((k) => !settled.has(k))).toEqual([]);
      expect(settled.size).toBeLessThan(count);
      expect(existsSync(`${journal}.lock`)).toBe(false);
      const resumed = await idlink(["bulk", file, "--yes"], { env: tenant.env });
      expect(resumed.code).toBe(0);
      expectAllLinked(tenant, count);
    } finally {
      await tenant.stop();
    }
  }, 60_000);

  test("takes over a lock that names no owner, saying which file and why", async () => {
    const tenant = await startTenant({ seed: pairSeed(defaultSeed(), 2), rateLimit: false });
    try {
      const file = pairsFile(dir.path, 2);
      const lock = `${file}.journal.jsonl.lock`;
      writeFileSync(lock, "");
      const result = await idlink(["bulk", file, "--yes", "--json"], { env: tenant.env });
      expect(result.code).toBe(0);
      expect(result.stderr).toContain(
        `warning: Took over the lock ${lock}: it was empty, so it named no owner`,
      );
      expect(json(result)).toMatchObject({ linked: 2, lockTakenOver: [{ path: lock, why: "empty" }] });
      expect(existsSync(lock)).toBe(false);
    } finally {
      await tenant.stop();
    }
  });

  test("refuses a second run while the lock's owner is alive", async () => {
    const tenant = await startTenant({ seed: pairSeed(defaultSeed(), 3), rateLimit: false });
    try {
      const file = pairsFile(dir.path, 3);
      writeFileSync(`${file}.journal.jsonl.lock`, JSON.stringify({ pid: process.pid }));
      // End to end: the built bin is another process than the live owner (this one).
      const result = await idlinkBin(["bulk", file, "--yes", "--json"], { env: tenant.env });
      expect(result.code).toBe(6);
      expect(json(result)).toMatchObject({ ok: false, exitCode: 6 });
      expect(result.stderr).toContain(`pid ${process.pid}`);
      expect(writes(tenant.emu)).toEqual([]);
      expect(existsSync(`${file}.journal.jsonl.lock`)).toBe(true);
    } finally {
      await tenant.stop();
    }
  });

  test("reconciles a started row without outcome by reading the primary instead of linking", async () => {
    const tenant = await startTenant({ seed: pairSeed(defaultSeed(), 2), rateLimit: false });
    try {
      const file = pairsFile(dir.path, 2);
      const { primary, secondary } = pairIds(0);
      // As if a run crashed right after Auth0 applied the link, before its outcome was written.
      const token = tenant.adminToken;
      const response = await fetch(
        `${tenant.emu.url}/api/v2/users/${encodeURIComponent(primary)}/identities`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ provider: "google-oauth2", user_id: secondary.split("|")[1] }),
        },
      );
      expect(response.status).toBe(201);
      await writeJournal(`${file}.journal.jsonl`, tenant.emu.url, [
        { type: "started", key: `${primary} ${secondary}`, row: 1, primary, secondary, at: "" },
      ]);
      appendFileSync(`${file}.journal.jsonl`, '{"type":"outc');
      tenant.emu.state.requests.length = 0;
      const dry = json(await idlink(["bulk", file, "--dry-run", "--json"], { env: tenant.env }));
      expect(dry).toMatchObject({ toReconcile: 1, toLink: 1 });
      const result = await idlink(["bulk", file, "--yes", "--json"], { env: tenant.env });
      expect(result.code).toBe(0);
      expect(json(result)).toMatchObject({ linked: 1, alreadyLinked: 1 });
      expect(writes(tenant.emu)).toEqual(["POST /api/v2/users/auth0%7Cp000001/identities"]);
      expectAllLinked(tenant, 2);
    } finally {
      await tenant.stop();
    }
  });
});
