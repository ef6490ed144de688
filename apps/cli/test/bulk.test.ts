import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSeed } from "@idlink/emulator";
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

  test("counts a 409 whose secondary is in the primary as already linked; other failures with reasons", async () => {
    const path = join(dir.path, "mixed.jsonl");
    writeFileSync(
      path,
      [
        { primary: "auth0|6600aa11bb22cc33dd44ee55", secondary: "github|7700123" },
        { primary: "auth0|64f1a2b3c4d5e6f708192a3b", secondary: "google-oauth2|108234567890123456789" },
        { primary: "auth0|64f1a2b3c4d5e6f708192a4c", secondary: "github|404404" },
        { primary: "auth0|nobody", secondary: "github|5812345" },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n"),
    );
    const result = await idlink(["bulk", path, "--yes", "--json"], { env: tenant.env });
    expect(result.code).toBe(3);
    const doc = json(result);
    expect(doc).toMatchObject({ linked: 1, alreadyLinked: 1 });
    expect(doc.failed).toEqual([
      expect.objectContaining({ row: 3, reason: "400 Provided secondary account not found." }),
      expect.objectContaining({ row: 4, reason: "404 The user does not exist." }),
    ]);
    expect(tenant.emu.state.requests.some((r) => r.status === 409)).toBe(true);
    expectNoSecrets(result, tenant.secrets);
  });

  test("a secondary linked to another user moves that user, as Auth0 does, unseen by bulk", async () => {
    // Auth0 answers 201 and moves frank, github|7700123 included, into jane (the emulator's fidelity corpus:
    // link-identity-already-linked-elsewhere). Bulk does not read the secondary before linking, so it reports a link.
    const path = join(dir.path, "other.csv");
    writeFileSync(path, "auth0|65a0b1c2d3e4f5061728394a,github|7700123\n");
    const result = await idlink(["bulk", path, "--yes", "--json"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ linked: 1 });
    expect(tenant.emu.state.getUser("auth0|6600aa11bb22cc33dd44ee55")).toBeUndefined();
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
      expect(result.stderr.split("\n").filter((l) => l.startsWith("row ")).length).toBe(count);
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

  test("pauses on 429 and still links every pair once under a tight rate limit", async () => {
    const count = 80;
    const tenant = await startTenant({
      seed: pairSeed(defaultSeed(), count),
      rateLimit: { burst: 20, perSecond: 40 },
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
      expect(tenant.emu.state.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
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
      writeFileSync(
        `${file}.journal.jsonl`,
        `${JSON.stringify({ type: "started", key: `${primary} ${secondary}`, row: 1, primary, secondary, at: "" })}\n{"type":"outc`,
      );
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
