import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { generatedTenant } from "@idlink/emulator";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fileSource } from "../src/commands/duplicates.ts";
import { readEnv } from "../src/env.ts";
import type { Io } from "../src/io.ts";
import { runCli } from "../src/program.ts";
import { expectNoSecrets, hermetic, idlink, json, startTenant, type Tenant, tempDir } from "./helpers.ts";

const generate = { users: 400, duplicateRate: 0.3, seed: 11 };
const dir = tempDir();
let tenant: Tenant;
beforeAll(async () => {
  tenant = await startTenant({ rateLimit: false, generate });
});
afterAll(async () => {
  await tenant.stop();
  dir.cleanup();
});

const ids = (identities: { provider: string; user_id: string | number }[] | undefined) =>
  (identities ?? []).map((i) => `${i.provider}|${i.user_id}`);

describe("export → duplicates → bulk → undo, against the emulator", () => {
  test("links every proposed pair, then undo gives each secondary back as a user", async () => {
    const cwd = dir.path;
    const found = await idlink(["duplicates", "--out", "pairs.jsonl", "--json"], { env: tenant.env, cwd });
    expect(found.code).toBe(0);
    // Notes only on a pipe: the job named once, no progress.
    expect(found.stderr).toMatch(/Export job_[A-Za-z0-9]{16} started\./);
    expect(found.stderr).not.toMatch(/reading:|\r/);
    const summary = json(found);
    expect(summary).toMatchObject({ ok: true, users: 12 + generate.users });
    const pairs = readFileSync(join(cwd, "pairs.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { primary: string; secondary: string });
    expect(pairs.length).toBe(summary.pairs);
    expect(pairs.length).toBeGreaterThan(20);
    const report = JSON.parse(readFileSync(join(cwd, "pairs.report.json"), "utf8"));
    expect(report.groups.length).toBe(summary.groups);
    // Every proposed account has a verified email equal to its primary's, case aside.
    const before = new Map(tenant.emu.state.listUsers().map((u) => [u.user_id, u]));
    for (const { primary, secondary } of pairs) {
      const p = before.get(primary);
      const s = before.get(secondary);
      expect(p?.email_verified && s?.email_verified).toBe(true);
      expect(p?.email?.toLowerCase()).toBe(s?.email?.toLowerCase());
    }
    expect(report.skippedCounts.unverified).toBeGreaterThan(0);
    expectNoSecrets(found, tenant.secrets);

    const linked = await idlink(["bulk", "pairs.jsonl", "--yes", "--json"], { env: tenant.env, cwd });
    expect(linked.code).toBe(0);
    expect(json(linked)).toMatchObject({ ok: true, linked: pairs.length });
    for (const { primary, secondary } of pairs) {
      expect(tenant.emu.state.getUser(secondary)).toBeUndefined();
      expect(ids(tenant.emu.state.getUser(primary)?.identities)).toContain(secondary);
    }

    const plan = await idlink(["bulk", "--undo", "pairs.jsonl.journal.jsonl", "--dry-run"], {
      env: tenant.env,
      cwd,
    });
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`${pairs.length} pairs the run linked`);
    expect(plan.stdout).toContain("writes back the user_metadata and app_metadata");

    // Another live run holds the undo journal (pid 1 is alive in any container or machine): nothing is sent.
    const lockPath = join(cwd, "pairs.jsonl.journal.undo.jsonl.lock");
    writeFileSync(
      lockPath,
      `${JSON.stringify({ pid: 1, host: hostname(), at: new Date().toISOString() })}\n`,
    );
    const requestsBefore = tenant.emu.state.requests.length;
    const locked = await idlink(["bulk", "--undo", "pairs.jsonl.journal.jsonl", "--yes", "--json"], {
      env: tenant.env,
      cwd,
    });
    expect(locked.code).toBe(6);
    expect(json(locked)).toMatchObject({ ok: false, error: { title: "Journal locked" } });
    expect(locked.stderr).toContain("Wait for it to finish");
    expect(tenant.emu.state.requests.length).toBe(requestsBefore);
    rmSync(lockPath);

    const undone = await idlink(["bulk", "--undo", "pairs.jsonl.journal.jsonl", "--yes", "--json"], {
      env: tenant.env,
      cwd,
    });
    expect(undone.code).toBe(0);
    expect(json(undone)).toMatchObject({ ok: true, unlinked: pairs.length, failed: [] });
    for (const { primary, secondary } of pairs) {
      expect(ids(tenant.emu.state.getUser(primary)?.identities)).toEqual(
        ids(before.get(primary)?.identities),
      );
      const back = tenant.emu.state.getUser(secondary);
      expect(back?.user_id).toBe(secondary);
      // Given back by undo, from what the run's journal kept.
      expect(back?.user_metadata).toEqual(before.get(secondary)?.user_metadata);
    }

    // Again: the undo journal says everything is done; nothing is sent.
    const sent = tenant.emu.state.requests.length;
    const again = await idlink(["bulk", "--undo", "pairs.jsonl.journal.jsonl", "--yes", "--json"], {
      env: tenant.env,
      cwd,
    });
    expect(json(again)).toMatchObject({ ok: true, alreadyUndone: pairs.length, toUnlink: 0 });
    expect(tenant.emu.state.requests.length).toBe(sent);
    tenant.emu.state.reset();
  }, 60_000);
});

describe("idlink duplicates --from FILE", () => {
  const source = generatedTenant(generate);
  const lines = Array.from({ length: source.size }, (_, i) => JSON.stringify(source.at(i)));

  test("reads a gzipped JSON-lines export without a tenant", async () => {
    const file = join(dir.path, "users.json.gz");
    writeFileSync(file, gzipSync(`${lines.join("\n")}\n`));
    const result = await idlink([
      "duplicates",
      "--from",
      file,
      "--out",
      join(dir.path, "from.jsonl"),
      "--json",
    ]);
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ ok: true, users: generate.users, malformedLines: 0 });
  });

  test("stops at a malformed line, naming it; --skip-malformed reports it and goes on", async () => {
    const file = join(dir.path, "broken.json");
    writeFileSync(file, [lines[0], "{not json", ...lines.slice(1)].join("\n"));
    const stopped = await idlink(["duplicates", "--from", file, "--out", join(dir.path, "b.jsonl")]);
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toContain("Line 2 of the export is malformed");
    expect(stopped.stderr).toContain("--skip-malformed");
    const skipped = await idlink([
      "duplicates",
      "--from",
      file,
      "--skip-malformed",
      "--out",
      join(dir.path, "b.jsonl"),
      "--json",
    ]);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain("line 2 skipped: not JSON");
    expect(json(skipped)).toMatchObject({ users: generate.users, malformedLines: 1 });
  });

  test("reads a CSV export", async () => {
    const file = join(dir.path, "users.csv");
    const rows = [0, 1, 2].map((i) => source.at(i));
    const extra = { ...rows[0], user_id: "facebook|10999", email: rows[0]?.email?.toUpperCase() };
    writeFileSync(
      file,
      ["user_id,email,email_verified", ...[...rows, extra].map((u) => `${u.user_id},${u.email},true`)].join(
        "\n",
      ),
    );
    const result = await idlink([
      "duplicates",
      "--from",
      file,
      "--out",
      join(dir.path, "csv.jsonl"),
      "--json",
    ]);
    expect(json(result)).toMatchObject({ users: 4, groups: 1, pairs: 1 });
  });

  test.each([
    [["--from", "nope.json.gz"], "Cannot read nope.json.gz."],
    [
      ["--from", "x.json", "--connection-id", "con_AAAAAAAAAAAAAAAA"],
      "--connection-id selects what an export job reads",
    ],
    [["--from", "x.json", "--policy", "newest"], "--policy newest: unknown criterion newest."],
    [["--from", "x.json", "--max-group", "1"], "--max-group 1: give a whole number ≥ 2."],
  ])("refuses %j", async (args, message) => {
    const result = await idlink(["duplicates", ...args], { cwd: dir.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  test("bulk --undo refuses a pairs file beside the journal, and a missing journal", async () => {
    const both = await idlink(["bulk", "pairs.jsonl", "--undo", "j.jsonl"], { cwd: dir.path });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--undo takes a journal, not a pairs file");
    const missing = await idlink(["bulk", "--undo", "missing.jsonl", "--dry-run"], { cwd: dir.path });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Cannot read missing.jsonl.");
  });
});

describe("idlink duplicates: progress and the two reads", () => {
  const source = generatedTenant({ users: 3000, duplicateRate: 0.2, seed: 5 });
  const file = join(dir.path, "progress.json.gz");
  beforeAll(() => {
    const lines = Array.from({ length: source.size }, (_, i) => JSON.stringify(source.at(i)));
    writeFileSync(file, gzipSync(`${lines.join("\n")}\n`));
  });

  /** Runs idlink in-process with stderr a terminal (or not), as a person at a shell would. */
  async function run(args: string[], tty: boolean) {
    let stdout = "";
    let stderr = "";
    const io: Io = {
      env: readEnv({ ...hermetic }),
      writeOut: (t) => {
        stdout += t;
      },
      writeErr: (t) => {
        stderr += t;
      },
      readStdin: async () => "",
      prompt: async () => "",
      interactive: tty,
      stderrIsTTY: tty,
      colorOut: false,
      colorErr: false,
      errColumns: tty ? 200 : undefined,
      interrupt: new AbortController().signal,
      cwd: dir.path,
      pid: process.pid,
    };
    const code = await runCli(["duplicates", "--from", file, "--out", "progress.jsonl", ...args], io);
    return { code, stdout, stderr };
  }

  test("on a terminal: a redrawn line with the pass, done/total, rate and time left", async () => {
    const { code, stderr } = await run([], true);
    expect(code).toBe(0);
    expect(stderr).toContain("\r\u001b[K");
    expect(stderr).toMatch(
      /reading: pass 1 of 2 · [\d,]+ lines · [\d.]+\/[\d.]+ MB( · [\d.]+ MB\/s · \d+:\d\d left)?/,
    );
    expect(stderr).toMatch(/reading: pass 2 of 2 · /);
    expect(stderr.endsWith("\n")).toBe(true);
  });

  test.each([
    ["on a pipe", [], false],
    ["with --json", ["--json"], true],
    ["with --quiet", ["--quiet"], true],
  ])("no progress %s", async (_name, args, tty) => {
    const { code, stderr } = await run(args as string[], tty as boolean);
    expect(code).toBe(0);
    expect(stderr).toBe("");
  });

  test("a file that changes between the two reads is refused, naming it", async () => {
    const copy = join(dir.path, "changing.json.gz");
    writeFileSync(copy, readFileSync(file));
    const read = { bytes: [0, 0], size: undefined as number | undefined };
    const found = await fileSource(copy, "changing.json.gz", undefined, read);
    expect(found.format).toBe("json");
    for await (const _ of found.open(1)) {
    }
    expect(read.bytes[0]).toBe(readFileSync(copy).length);
    appendFileSync(copy, gzipSync('{"user_id":"auth0|new"}\n'));
    const again = (async () => {
      for await (const _ of found.open(2)) {
      }
    })();
    await expect(again).rejects.toThrow("changing.json.gz changed while it was read.");
  });

  test("the report lists malformed lines and their count", async () => {
    const broken = join(dir.path, "broken-report.json");
    writeFileSync(broken, ["{oops", JSON.stringify(source.at(0)), "[]"].join("\n"));
    const result = await idlink([
      "duplicates",
      "--from",
      broken,
      "--skip-malformed",
      "--out",
      join(dir.path, "br.jsonl"),
      "--json",
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir.path, "br.report.json"), "utf8"));
    expect(report).toMatchObject({ malformedLineCount: 2, users: 1, groups: [], skipped: [] });
    expect(report.malformedLines.map((m: { line: number }) => m.line)).toEqual([1, 3]);
  });
});
