// Attacks on the files idlink writes: a symbolic link planted at each output path, pointing at a file of the user's
// (a victim), must be refused and the victim left as it was; an existing file with a loose mode ends 0600 with the
// new content; an interrupted write never leaves a half-written file in place of a good one.
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { defaultSeed, generatedTenant } from "@idlink/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createAtomic, writeFileAtomic } from "../src/files.ts";
import {
  idlink,
  json,
  pairSeed,
  pairsFile,
  startIdlink,
  startTenant,
  type Tenant,
  tempDir,
  writes,
} from "./helpers.ts";

const dir = tempDir();
let tenant: Tenant;
beforeAll(async () => {
  tenant = await startTenant({ seed: pairSeed(defaultSeed(), 3), rateLimit: false });
});
afterAll(async () => {
  await tenant.stop();
  dir.cleanup();
});
beforeEach(() => tenant.emu.state.reset());

const victimText = "the user's own file: must stay as it is\n";
let seq = 0;
/** A fresh folder holding a victim file, and `link` at `name` pointing at it. */
function planted(name: string): { folder: string; link: string; victim: string } {
  seq += 1;
  const folder = join(dir.path, `case-${seq}`);
  mkdirSync(folder);
  const victim = join(folder, "victim.txt");
  writeFileSync(victim, victimText, { mode: 0o644 });
  const link = join(folder, name);
  symlinkSync(victim, link);
  return { folder, link, victim };
}

function expectVictimIntact(victim: string, link: string): void {
  expect(readFileSync(victim, "utf8")).toBe(victimText);
  expect(statSync(victim).mode & 0o777).toBe(0o644);
  expect(lstatSync(link).isSymbolicLink()).toBe(true);
}

const export1 = generatedTenant({ users: 40, duplicateRate: 0.3, seed: 3 });
function exportFile(folder: string): string {
  const path = join(folder, "users.json");
  writeFileSync(
    path,
    `${Array.from({ length: export1.size }, (_, i) => JSON.stringify(export1.at(i))).join("\n")}\n`,
  );
  return path;
}

describe("a symbolic link at an output path is refused, not followed; the file it points at is untouched", () => {
  test("the bulk journal: refused before anything is sent", async () => {
    const { folder, link, victim } = planted("pairs.csv.journal.jsonl");
    const file = join(folder, "pairs.csv");
    writeFileSync(file, readFileSync(pairsFile(dir.path, 3)));
    for (const args of [["--yes"], ["--dry-run"]]) {
      const result = await idlink(["bulk", file, ...args], { env: tenant.env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`journal ${file}.journal.jsonl is a symbolic link`);
      expect(result.stderr).toContain("Remove the link");
      expectVictimIntact(victim, link);
    }
    expect(tenant.emu.state.requests).toEqual([]);
  });

  test("the journal's lock: refused, nothing sent", async () => {
    const { folder, link, victim } = planted("pairs.csv.journal.jsonl.lock");
    const file = join(folder, "pairs.csv");
    writeFileSync(file, readFileSync(pairsFile(dir.path, 3)));
    const result = await idlink(["bulk", file, "--yes"], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The lock ${file}.journal.jsonl.lock is a symbolic link`);
    expectVictimIntact(victim, link);
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("bulk --csv: refused before anything is sent, with and without --dry-run", async () => {
    const { link, victim } = planted("results.csv");
    for (const args of [["--yes"], ["--dry-run"]]) {
      const result = await idlink(["bulk", pairsFile(dir.path, 3), "--csv", link, ...args], {
        env: tenant.env,
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--csv ${link} is a symbolic link`);
      expectVictimIntact(victim, link);
    }
    expect(tenant.emu.state.requests).toEqual([]);
  });

  test("the undo journal: refused before anything is sent", async () => {
    const file = pairsFile(dir.path, 3);
    expect((await idlink(["bulk", file, "--yes"], { env: tenant.env })).code).toBe(0);
    const { link, victim } = planted("undo.jsonl");
    tenant.emu.state.requests.length = 0;
    const result = await idlink(["bulk", "--undo", `${file}.journal.jsonl`, "--journal", link, "--yes"], {
      env: tenant.env,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--journal ${link} is a symbolic link`);
    expectVictimIntact(victim, link);
    expect(tenant.emu.state.requests).toEqual([]);
  });

  test.each([
    ["--out", "pairs.jsonl", (l: string) => ["--out", l]],
    ["--report", "report.json", (l: string) => ["--out", join(l, "..", "p.jsonl"), "--report", l]],
    ["report", "p.report.json", (l: string) => ["--out", join(l, "..", "p.jsonl")]],
    ["--csv", "groups.csv", (l: string) => ["--out", join(l, "..", "p.jsonl"), "--csv", l]],
  ])("duplicates %s: refused before the export is read", async (flag, name, args) => {
    const { folder, link, victim } = planted(name);
    const result = await idlink(["duplicates", "--from", exportFile(folder), ...args(link)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${flag} ${link} is a symbolic link`);
    expectVictimIntact(victim, link);
    // Nothing else was written either: the pairs file of the same run is not there.
    expect(readdirSync(folder).sort()).toEqual(["users.json", "victim.txt", name].sort());
  });

  test("duplicates --out against a tenant: refused before an export job is started", async () => {
    const { link, victim } = planted("pairs.jsonl");
    const result = await idlink(["duplicates", "--out", link], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--out ${link} is a symbolic link`);
    expectVictimIntact(victim, link);
    expect(tenant.emu.state.requests).toEqual([]);
  });

  test("emulator --env-out: refused before the emulator starts; the secret is written nowhere", async () => {
    const { link, victim } = planted("emu.env");
    const result = await idlink(["emulator", "--env-out", link]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--env-out ${link} is a symbolic link`);
    expect(result.stdout).not.toContain("Emulator running");
    expectVictimIntact(victim, link);
    expect(readFileSync(victim, "utf8")).not.toContain("emulator-only-secret");
  });

  test("a directory or a device at an output path is refused as not a regular file", async () => {
    const folder = join(dir.path, "not-files");
    mkdirSync(join(folder, "out.csv"), { recursive: true });
    const asDir = await idlink([
      "bulk",
      pairsFile(dir.path, 3),
      "--dry-run",
      "--csv",
      join(folder, "out.csv"),
    ]);
    expect(asDir.code).toBe(2);
    expect(asDir.stderr).toContain("out.csv is a directory, not a regular file");
    const asDevice = await idlink(["duplicates", "--from", exportFile(folder), "--out", "/dev/null"]);
    expect(asDevice.code).toBe(2);
    expect(asDevice.stderr).toContain("--out /dev/null is a device, pipe or socket, not a regular file");
  });

  test("an output path that is also the input is refused", async () => {
    const file = pairsFile(dir.path, 3);
    const result = await idlink(["bulk", file, "--dry-run", "--csv", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--csv ${file} is the pairs file`);
    const asJournal = await idlink(["bulk", file, "--dry-run", "--journal", file]);
    expect(asJournal.code).toBe(2);
    expect(asJournal.stderr).toContain(`--journal ${file} is the pairs file`);
    const folder = join(dir.path, "same-path");
    mkdirSync(folder);
    const from = exportFile(folder);
    const dup = await idlink(["duplicates", "--from", from, "--out", from]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain(`--out ${from} is also --from ${from}`);
  });
});

describe("an existing file at an output path keeps its data until replaced, and ends 0600", () => {
  const loose = (path: string, text = "old,content\n") => {
    writeFileSync(path, text, { mode: 0o644 });
    chmodSync(path, 0o644);
  };

  test("bulk --csv and the journal", async () => {
    const folder = join(dir.path, "loose-bulk");
    mkdirSync(folder);
    const file = join(folder, "pairs.csv");
    writeFileSync(file, readFileSync(pairsFile(dir.path, 3)));
    const csv = join(folder, "results.csv");
    loose(csv);
    expect((await idlink(["bulk", file, "--yes", "--csv", csv], { env: tenant.env })).code).toBe(0);
    expect(statSync(csv).mode & 0o777).toBe(0o600);
    expect(readFileSync(csv, "utf8")).toMatch(/^row,line,primary,secondary,status,via,reason\r\n1,2,/);
    const journal = `${file}.journal.jsonl`;
    expect(statSync(journal).mode & 0o777).toBe(0o600);
    // A journal loosened since (a copy, a umask) is tightened when a run appends to it.
    chmodSync(journal, 0o644);
    expect((await idlink(["bulk", file, "--yes"], { env: tenant.env })).code).toBe(0);
    expect(statSync(journal).mode & 0o777).toBe(0o600);
    expect(readdirSync(folder).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("duplicates --out, --report and --csv", async () => {
    const folder = join(dir.path, "loose-dup");
    mkdirSync(folder);
    const out = join(folder, "p.jsonl");
    const report = join(folder, "r.json");
    const csv = join(folder, "g.csv");
    for (const path of [out, report, csv]) loose(path);
    const result = await idlink([
      "duplicates",
      "--from",
      exportFile(folder),
      "--out",
      out,
      "--report",
      report,
      "--csv",
      csv,
      "--json",
    ]);
    expect(result.code).toBe(0);
    const pairs = json(result).pairs as number;
    expect(pairs).toBeGreaterThan(0);
    for (const path of [out, report, csv]) {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, "utf8")).not.toContain("old,content");
    }
    expect(readFileSync(out, "utf8").trimEnd().split("\n")).toHaveLength(pairs);
    expect(JSON.parse(readFileSync(report, "utf8"))).toMatchObject({ pairsFile: out });
    expect(readdirSync(folder).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("emulator --env-out", async () => {
    const folder = join(dir.path, "loose-env");
    mkdirSync(folder);
    const envOut = join(folder, "emu.env");
    loose(envOut, "export AUTH0_DOMAIN=http://old\n");
    const run = startIdlink(["emulator", "--json", "--env-out", envOut]);
    try {
      const end = Date.now() + 15_000;
      while (!run.stdout.includes('"url"') && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
      const doc = JSON.parse(run.stdout) as { url: string };
      expect(statSync(envOut).mode & 0o777).toBe(0o600);
      expect(readFileSync(envOut, "utf8")).toContain(`export AUTH0_DOMAIN=${doc.url}\n`);
    } finally {
      run.child.kill("SIGINT");
    }
    expect((await run.done).code).toBe(0);
  });
});

describe("files.ts: a write that fails leaves the old file whole and no temporary file", () => {
  test("a stream that breaks midway: the target keeps its old content", async () => {
    const folder = join(dir.path, "broken-stream");
    mkdirSync(folder);
    const target = { path: join(folder, "pairs.jsonl"), name: "--out pairs.jsonl" };
    writeFileSync(target.path, "good\n", { mode: 0o600 });
    async function* lines() {
      for (let i = 0; i < 50_000; i++)
        yield `${JSON.stringify({ primary: `auth0|${i}`, secondary: `x|${i}` })}\n`;
      throw new Error("interrupted");
    }
    await expect(writeFileAtomic(target, lines())).rejects.toThrow("interrupted");
    expect(readFileSync(target.path, "utf8")).toBe("good\n");
    expect(readdirSync(folder)).toEqual(["pairs.jsonl"]);
  });

  test("an aborted file leaves nothing; a committed one replaces the target whole", async () => {
    const folder = join(dir.path, "abort");
    mkdirSync(folder);
    const target = { path: join(folder, "out.csv"), name: "--csv out.csv" };
    const aborted = await createAtomic(target);
    await aborted.write("half");
    await aborted.abort();
    expect(existsSync(target.path)).toBe(false);
    expect(readdirSync(folder)).toEqual([]);
    const file = await createAtomic(target);
    await file.write("whole\n");
    // Until the commit the target is not there: a reader never sees a half file.
    expect(existsSync(target.path)).toBe(false);
    await file.commit();
    expect(readFileSync(target.path, "utf8")).toBe("whole\n");
    expect(statSync(target.path).mode & 0o777).toBe(0o600);
  });

  test("a link planted after the check is replaced by the rename, never written through", async () => {
    const { folder, link, victim } = planted("late.csv");
    const target = { path: join(folder, "late-target.csv"), name: "--csv late-target.csv" };
    const file = await createAtomic(target);
    await file.write("new\n");
    symlinkSync(victim, target.path);
    await file.commit();
    expect(lstatSync(target.path).isSymbolicLink()).toBe(false);
    expect(readFileSync(target.path, "utf8")).toBe("new\n");
    expectVictimIntact(victim, link);
  });
});
