import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, test } from "vitest";
import { Journal, loadJournal } from "../src/bulk/journal.ts";
import { acquireLock, LockedError } from "../src/bulk/lock.ts";
import { detectFormat, parseRows } from "../src/bulk/rows.ts";
import { tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());

describe("parseRows", () => {
  test("reads quoted CSV cells holding commas and enterprise ids", () => {
    const { rows, issues } = parseRows(
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

  test("names the row, line and field of JSONL problems", () => {
    const { issues, total } = parseRows(
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

  test("rejects a chain: a primary linked away by another row", () => {
    const { issues } = parseRows("auth0|1,github|2\ngithub|2,github|3\n", "csv");
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
  test("ignores a torn last line and keeps the last state of each pair", async () => {
    const path = join(dir.path, "j.jsonl");
    const journal = new Journal(path);
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
    expect(Object.fromEntries(loadJournal(path))).toEqual({
      a: "unknown",
      b: "unknown",
      c: "done",
      d: "failed",
    });
    expect(loadJournal(join(dir.path, "missing.jsonl")).size).toBe(0);
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
    expect(taken.takenOverFrom).toBe(Number(dead));
    taken.release();
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
