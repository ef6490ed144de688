import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, test } from "vitest";
import { Journal, loadJournal } from "../src/bulk/journal.ts";
import { loadJournalKey } from "../src/bulk/journal-key.ts";
import { KeyIndex } from "../src/bulk/key-index.ts";
import { acquireLock, describeTakeover, LockedError } from "../src/bulk/lock.ts";
import { createProgress } from "../src/bulk/progress.ts";
import {
  detectFormat,
  type Format,
  type Row,
  type Source,
  textSource,
  validateRows,
  validRows,
} from "../src/bulk/rows.ts";
import { readEnv } from "../src/env.ts";
import { createOutput } from "../src/output.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());

/** Validates and then streams the valid rows, as a run does. */
async function parseRows(text: string | Source, format: Format) {
  const source = typeof text === "string" ? textSource(text) : text;
  const validation = await validateRows(source, format);
  const rows: Row[] = [];
  for await (const row of validRows(source, format, validation)) rows.push(row);
  return { ...validation, rows };
}

/** The text one character a chunk: every quote, CR and line end falls on a chunk boundary somewhere. */
const trickle = (text: string): Source =>
  async function* () {
    yield* text;
  };

describe("rows", () => {
  test("reads quoted CSV cells holding commas and enterprise ids", async () => {
    const { rows, issues } = await parseRows(
      'primary,secondary,connection_id\r\n"auth0|a,b","samlp|acme-saml|jdoe@acme.example",con_AcmeSaml7Hk2Pq9e\r\n',
      "csv",
    );
    expect(issues).toEqual([]);
    expect(rows[0]).toMatchObject({
      primary: "auth0|a,b",
      body: {
        provider: "samlp",
        user_id: "acme-saml|jdoe@acme.example",
        connection_id: "con_AcmeSaml7Hk2Pq9e",
      },
    });
  });

  test.each([
    [
      "semicolons (a spreadsheet's CSV where the decimal mark is a comma)",
      '\ufeffprimary;secondary\r\nauth0|a;github|1\r\n"auth0|b;c";github|2\r\n',
    ],
    ["tabs (a sheet copied as text)", 'primary\tsecondary\nauth0|a\tgithub|1\n"auth0|b;c"\tgithub|2\n'],
    [
      "commas, after a comment holding a semicolon",
      '# exported; by hand\nauth0|a,github|1\n"auth0|b;c",github|2\n',
    ],
  ])("reads a file separated by %s", async (_what, text) => {
    for (const source of [textSource(text), trickle(text)]) {
      const { rows, issues } = await parseRows(source, "csv");
      expect(issues).toEqual([]);
      expect(rows.map((r) => [r.primary, r.secondary])).toEqual([
        ["auth0|a", "github|1"],
        ["auth0|b;c", "github|2"],
      ]);
    }
  });

  test("reads the same rows whatever the chunks' boundaries", async () => {
    const csv =
      'primary,secondary,connection_id\r\n"auth0|a,""b""",github|2,\r\n\r\nauth0|c,"samlp|acme-saml|x\ny",con_AcmeSaml7Hk2Pq9e\rauth0|d,github|4';
    const jsonl =
      '{"primary":"auth0|1","secondary":"github|2"}\r\n\nnot json\n{"primary":"auth0|3","secondary":"github|4"}';
    for (const [text, format] of [
      [csv, "csv"],
      [jsonl, "jsonl"],
    ] as const) {
      const whole = await parseRows(text, format);
      const trickled = await parseRows(trickle(text), format);
      expect(trickled).toEqual(whole);
    }
    // The quoted newline of row 2 (an invalid id) counts as a line: row 3 starts on line 6.
    const { rows, issues } = await parseRows(trickle(csv), "csv");
    expect(rows.map((r) => [r.row, r.line, r.primary, r.secondary])).toEqual([
      [1, 2, 'auth0|a,"b"', "github|2"],
      [3, 6, "auth0|d", "github|4"],
    ]);
    expect(issues.map((i) => [i.row, i.line, i.path])).toEqual([[2, 4, "secondary"]]);
    expect((await parseRows(trickle(jsonl), "jsonl")).issues).toEqual([
      expect.objectContaining({ row: 2, line: 3, path: "line" }),
    ]);
  });

  test("names the row, line and field of JSONL problems", async () => {
    const { issues, total } = await parseRows(
      '{"primary":"auth0|1","secondary":"github|2"}\n\nnot json\n{"primary":"auth0|1","secondary":"github|3","connection_id":""}\n{"primary":"auth0|1","secondary":"github|4","extra":1}\n',
      "jsonl",
    );
    expect(total).toBe(4);
    expect(issues.map((i) => [i.row, i.line, i.path])).toEqual([
      [2, 3, "line"],
      [3, 4, "connection_id"],
      [4, 5, "extra"],
    ]);
  });

  test("rejects a chain: a primary linked away by another row", async () => {
    const { issues } = await parseRows("auth0|1,github|2\ngithub|2,github|3\n", "csv");
    expect(issues).toEqual([expect.objectContaining({ row: 2, path: "primary" })]);
  });

  test("detects the format from the extension, else the content", () => {
    expect(detectFormat("a.CSV", "{", undefined)).toBe("csv");
    expect(detectFormat("a.ndjson", "", undefined)).toBe("jsonl");
    expect(detectFormat("pairs", ' {"primary"', undefined)).toBe("jsonl");
    expect(detectFormat("pairs", "{", "csv")).toBe("csv");
  });
});

describe("journal", () => {
  const key = () =>
    loadJournalKey({ IDLINK_CONFIG: join(dir.path, "units-config", "config.json") }, dir.path);
  const tenant = { origin: "http://127.0.0.1:1", audience: "http://127.0.0.1:1/api/v2/" };

  test("ignores a torn last line and keeps the last state of each pair", async () => {
    const path = join(dir.path, "j.jsonl");
    const target = { path, name: "j.jsonl" };
    const empty = await loadJournal({ target, use: "append", key });
    const journal = new Journal(target, key(), empty.journal, { kind: "bulk", run: "r1", tenant });
    const base = { at: "", row: 1, primary: "p", secondary: "s" };
    await Promise.all([
      journal.append({ type: "started", key: "a", ...base }),
      journal.append({ type: "started", key: "b", ...base }),
      journal.append({ type: "outcome", key: "b", ...base, status: "unknown", via: "link" }),
      journal.append({ type: "started", key: "c", ...base }),
      journal.append({ type: "outcome", key: "c", ...base, status: "linked", via: "link" }),
      journal.append({ type: "started", key: "d", ...base }),
      journal.append({ type: "outcome", key: "d", ...base, status: "failed", via: "link", reason: "400" }),
    ]);
    journal.close();
    writeFileSync(path, `${readFileSync(path, "utf8")}{"type":"outcome","key":"a","sta`);
    const loaded = await loadJournal({ target, use: "append", key });
    expect(Object.fromEntries(loaded.state)).toEqual({
      a: "unknown",
      b: "unknown",
      c: "done",
      d: "failed",
    });
    expect(loaded.journal.header).toMatchObject({ kind: "bulk", run: "r1", tenant, key: key().id });
    // Appending again drops the torn line, and the chain goes on.
    const again = new Journal(target, key(), loaded.journal, { kind: "bulk", run: "r1", tenant });
    await again.append({ type: "outcome", key: "a", ...base, status: "linked", via: "reconcile" });
    again.close();
    expect((await loadJournal({ target, use: "append", key })).state.get("a")).toBe("done");
    expect(readFileSync(path, "utf8")).not.toContain('"sta\n');
    expect(
      (
        await loadJournal({
          target: { path: join(dir.path, "missing.jsonl"), name: "m" },
          use: "append",
          key,
        })
      ).state.size,
    ).toBe(0);
  });
});

describe("lock", () => {
  test("refuses a live owner, takes over a dead one, and releases", () => {
    const path = join(dir.path, "run.lock");
    const held = acquireLock(path, process.pid);
    expect(() => acquireLock(path, 1_000_000_000 - 1, () => true)).toThrow(LockedError);
    held.release();
    expect(existsSync(path)).toBe(false);

    const dead = spawnSync(process.execPath, [
      "-e",
      "process.stdout.write(String(process.pid))",
    ]).stdout.toString();
    writeFileSync(path, JSON.stringify({ pid: Number(dead) }));
    const taken = acquireLock(path, process.pid);
    expect(taken.takenOver).toEqual([{ path, why: "dead", owner: { pid: Number(dead), host: hostname() } }]);
    taken.release();
  });
});

describe("progress", () => {
  /** A session whose stderr is a terminal or not, in the given output mode, on a clock the test moves. */
  function session(tty: boolean, mode: { json?: boolean; quiet?: boolean } = {}) {
    let err = "";
    const io = {
      env: readEnv({}),
      writeOut: () => {},
      writeErr: (t: string) => {
        err += t;
      },
      readStdin: async () => "",
      prompt: async () => "",
      interactive: tty,
      stderrIsTTY: tty,
      colorOut: false,
      colorErr: false,
      errColumns: 120,
      interrupt: new AbortController().signal,
      cwd: dir.path,
      pid: process.pid,
    };
    const output = createOutput(io, { json: mode.json ?? false, quiet: mode.quiet ?? false, noColor: true });
    let t = 0;
    const progress = createProgress(io, output, 400, () => t);
    const counts = { linked: 0, already_linked: 0, blocked: 0, failed: 0, unknown: 0 };
    /** `n` rows more, over `seconds`. */
    const run = (n: number, seconds: number) => {
      for (let i = 0; i < n; i++) {
        t += (seconds * 1000) / n;
        counts.linked++;
        progress.update(counts, { limit: 50, remaining: 3, reset: 0 });
      }
    };
    return { run, progress, stderr: () => err };
  }

  test("on a terminal: one redrawn line with done/total, rate and time left", () => {
    const s = session(true);
    s.run(100, 48);
    s.progress.done();
    const last = s.stderr().split("\r\u001b[K").at(-1);
    expect(last).toBe(
      "100/400 rows · 2.1 rows/s · 2:24 left · linked 100 · already 0 · failed 0 · limit 50 (3 left)\n",
    );
    // Redrawn at most every 100 ms: 100 rows over 48 s, one redraw each.
    expect(s.stderr().split("\r").length - 1).toBe(100);
  });

  test.each([
    ["on a pipe", false, {}],
    ["with --quiet", true, { quiet: true }],
    ["with --json", true, { json: true }],
  ] as const)("nothing %s", (_, tty, mode) => {
    const s = session(tty, mode);
    s.run(10, 5);
    s.progress.done();
    expect(s.stderr()).toBe("");
  });
});

describe("lock takeovers are said", () => {
  test.each([
    ["empty", "", "it was empty, so it named no owner"],
    ["unreadable", "not json {", "it names no owner idlink can read"],
    ["unreadable", JSON.stringify({ host: hostname() }), "it names no owner idlink can read"],
  ] as const)("a lock %s (%j) is taken over, naming the file and why", (why, text, said) => {
    const path = join(dir.path, `stale-${why}-${text.length}.lock`);
    writeFileSync(path, text);
    const lock = acquireLock(path, process.pid);
    expect(lock.takenOver).toEqual([{ path, why }]);
    const [takeover] = lock.takenOver;
    expect(takeover && describeTakeover(takeover)).toBe(
      `Took over the lock ${path}: ${said}${why === "empty" ? " (idlink writes its owner into a lock before the lock appears: this one was cut short, or made by something else)." : ' (not the {"pid","host"} idlink writes), so none can be running.'}`,
    );
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  test("a dead run's lock is taken over naming its pid; a stale takeover guard is said too", () => {
    const path = join(dir.path, "guarded.lock");
    const dead = Number(
      spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString(),
    );
    writeFileSync(path, JSON.stringify({ pid: dead, host: hostname() }));
    // A run that died while taking a stale lock over left its guard.
    writeFileSync(`${path}.takeover`, JSON.stringify({ pid: dead, host: hostname() }));
    const lock = acquireLock(path, process.pid);
    expect(lock.takenOver).toEqual([
      { path: `${path}.takeover`, why: "dead", owner: { pid: dead, host: hostname() } },
      { path, why: "dead", owner: { pid: dead, host: hostname() } },
    ]);
    expect(lock.takenOver.map(describeTakeover)).toEqual([
      `Took over the lock ${path}.takeover of pid ${dead} on this host: that process is no longer running.`,
      `Took over the lock ${path} of pid ${dead} on this host: that process is no longer running.`,
    ]);
    lock.release();
    expect(existsSync(`${path}.takeover`)).toBe(false);
  });

  test("a lock this user cannot read is refused, naming it: whether a run holds it cannot be told", () => {
    // A folder another user may write into, as /tmp (the tests' own is private).
    const folder = mkdtempSync(join(tmpdir(), "idlink-lock-"));
    chmodSync(folder, 0o1777);
    const path = join(folder, "theirs.lock");
    writeFileSync(path, JSON.stringify({ pid: 1, host: hostname() }), { mode: 0o600 });
    const bundle = join(folder, "lock.mjs");
    buildSync({
      entryPoints: [fileURLToPath(new URL("../src/bulk/lock.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "esm",
      conditions: ["@idlink/source"],
      outfile: bundle,
      logLevel: "silent",
    });
    chmodSync(bundle, 0o644);
    const script = `const { acquireLock } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      try { acquireLock(${JSON.stringify(path)}, process.pid); process.stdout.write("taken"); }
      catch (e) { process.stdout.write(e.message); }`;
    // Another user: as root, run it as nobody; otherwise make the lock unreadable to this one.
    const root = process.getuid?.() === 0;
    if (!root) chmodSync(path, 0o000);
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      ...(root ? { uid: 65534, gid: 65534 } : {}),
      cwd: folder,
    });
    expect(run.stderr.toString()).toBe("");
    expect(run.stdout.toString()).toBe(
      `Cannot read the lock ${path} (EACCES): idlink cannot tell whether a run holds it.`,
    );
    chmodSync(path, 0o600);
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ pid: 1 });
    rmSync(folder, { recursive: true, force: true });
  });
});

describe("lock under contention", () => {
  test("eight runs started at the same instant: exactly one proceeds", async () => {
    const bundle = join(dir.path, "lock.mjs");
    buildSync({
      entryPoints: [fileURLToPath(new URL("../src/bulk/lock.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "esm",
      conditions: ["@idlink/source"],
      outfile: bundle,
      logLevel: "silent",
    });
    const path = join(dir.path, "contended.lock");
    // Each run loads, says "ready", and tries the lock when told "go": all eight are told at once. They stay alive
    // until the test ends, so none can take another's lock over as stale.
    const script = `
      const { acquireLock } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      process.stdout.write("ready\\n");
      process.stdin.once("data", () => {
        let result = "locked";
        try { acquireLock(${JSON.stringify(path)}, process.pid); result = "got"; } catch (e) { if (e.name !== "LockedError") result = e.message; }
        process.stdout.write(result + "\\n");
      });
    `;
    const children = Array.from({ length: 8 }, () => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script]);
      const lines: string[] = [];
      const waiters: (() => void)[] = [];
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        lines.push(...d.split("\n").filter(Boolean));
        for (const w of waiters.splice(0)) w();
      });
      const line = (n: number) =>
        new Promise<string>((resolve) => {
          const check = () => (lines.length > n ? resolve(lines[n] ?? "") : waiters.push(check));
          check();
        });
      return { child, line };
    });
    await Promise.all(children.map((c) => c.line(0)));
    for (const { child } of children) child.stdin.write("go\n");
    const results = await Promise.all(children.map((c) => c.line(1)));
    for (const { child } of children) child.stdin.end();
    expect(results.filter((r) => r === "got")).toHaveLength(1);
    expect(results.filter((r) => r === "locked")).toHaveLength(7);
    const owner = JSON.parse(readFileSync(path, "utf8"));
    expect(owner).toMatchObject({ pid: expect.any(Number), host: hostname() });
  }, 60_000);
});

describe("KeyIndex", () => {
  test("maps 200,000 distinct pair keys to their rows through its growth, and misses others", () => {
    const index = new KeyIndex();
    const key = (i: number) => `auth0|p${String(i).padStart(6, "0")} google-oauth2|s${i}`;
    for (let i = 0; i < 200_000; i++) index.set(key(i), i + 1);
    expect(index.size).toBe(200_000);
    for (let i = 0; i < 200_000; i++) expect(index.get(key(i))).toBe(i + 1);
    expect(index.get(key(200_000))).toBeUndefined();
    index.set(key(7), 0);
    expect([index.get(key(7)), index.size]).toEqual([0, 200_000]);
    expect(() => index.set("x", -1)).toThrow(RangeError);
  });
});
