import { describe, expect, test } from "vitest";
import { collectReport, DuplicateFinder } from "../../src/export/duplicates.ts";
import { findExportDuplicates, maxLineBytes, type OpenExport } from "../../src/export/export-duplicates.ts";
import { type MalformedLine, userFromJsonLine } from "../../src/export/export-reader.ts";
import { ExportError } from "../../src/present/errors.ts";

/** The text in pieces of `size` bytes (lines and characters cut anywhere), as a download arrives. */
async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
const twice =
  (text: string, size = 4096): OpenExport =>
  () =>
    pieces(text, size);

/**
 * The same users grouped in memory, one object at a time: the answer the two passes must give. `alreadyLinked` is
 * counted, as the two passes count it, over the accounts that share an email.
 */
function inMemory(lines: string[]) {
  const finder = new DuplicateFinder();
  for (const line of lines) {
    if (line.trim() === "") continue;
    const user = userFromJsonLine(line);
    if (typeof user !== "string") finder.add(user);
  }
  const report = finder.finish();
  const accounts = [
    ...report.groups.flatMap((g) => [g.primary, ...g.secondaries, ...g.unverified]),
    ...report.skipped.flatMap((s) => s.accounts),
  ];
  return { ...report, alreadyLinked: accounts.filter((a) => a.linked > 0).length };
}

const at = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString();

/** Users of every shape grouping meets, in the order and writing an export could hold them. */
function exportLines(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const person = i % 150;
    const email = [`p${person}@example.com`, `P${person}@Example.com`, ` p${person}@example.com `][i % 3];
    lines.push(
      JSON.stringify({
        user_id: [`auth0|${i}`, `google-oauth2|${i}`, `github|${i}`][i % 3],
        email,
        email_verified: i % 7 !== 0,
        created_at: at(i),
        last_login: i % 5 === 0 ? null : at(i + 10),
        logins_count: i % 11,
        identities: i % 13 === 0 ? [{ provider: "auth0" }, { provider: "github" }] : [{ provider: "x" }],
      }),
    );
  }
  // Addresses that need decoding, alike once normalised; written with escapes; a key with an escape (read by
  // JSON.parse).
  lines.push('{"user_id":"auth0|e1","email":"ZOË@example.com","email_verified":true}');
  lines.push('{"user_id":"auth0|e2","email":"zo\\u00cb@example.com","email_verified":true}');
  lines.push('{"user_\\u0069d":"auth0|e3","email":"zoë@example.com","email_verified":true}');
  // Times and counts in every writing, read from the bytes as JSON.parse and Date.parse would read them.
  const writings: [unknown, unknown][] = [
    ["2020-02-29T10:00:00Z", 1.5e2],
    ["2020-01-05T10:00:00.123Z", -3],
    ["2020-01-05T10:00:00+02:00", 12_345_678_901_234_568],
    ["garbage", 0],
    ["0099-01-05T10:00:00Z", 7],
    ["2020-13-05T10:00:00Z", 8],
  ];
  for (const [i, [time, logins]] of writings.entries()) {
    lines.push(
      JSON.stringify({
        user_id: `auth0|t${i}`,
        email: `t${i % 2}@example.com`,
        email_verified: true,
        created_at: time,
        last_login: time,
        logins_count: logins,
      }),
    );
  }
  lines.push("", "  ", '{"user_id":"sms|1","email":null}', '{"user_id":"sms|2","email":"  "}');
  lines.push('{"user_id":"sms|3"}\r');
  return lines;
}

describe("findExportDuplicates", () => {
  test("gives the report of grouping every user in memory, however the bytes arrive", async () => {
    const lines = exportLines();
    const expected = inMemory(lines);
    expect(expected.groups.length).toBeGreaterThan(10);
    expect(expected.alreadyLinked).toBeGreaterThan(0);
    for (const size of [1, 7, 333, 1 << 20]) {
      for (const ending of ["\n", ""]) {
        const found = await findExportDuplicates(twice(lines.join("\n") + ending, size));
        expect(collectReport(found)).toEqual(expected);
        expect(found.malformedLines).toBe(0);
      }
    }
  });

  test("reads last_login when the policy asks for it, as the object reader does", async () => {
    const lines = exportLines();
    const policy = { policy: ["latest_login" as const] };
    const finder = new DuplicateFinder(policy);
    for (const line of lines) {
      const user = line.trim() === "" ? "" : userFromJsonLine(line);
      if (typeof user !== "string") finder.add(user);
    }
    const found = await findExportDuplicates(twice(lines.join("\n")), policy);
    expect([...found.groups()]).toEqual(finder.finish().groups);
  });

  test("reads the export twice, once each pass", async () => {
    const passes: number[] = [];
    await findExportDuplicates((pass) => {
      passes.push(pass);
      return pieces(exportLines().join("\n"), 100);
    });
    expect(passes).toEqual([1, 2]);
  });

  test("holds the accounts of shared emails only: one entry a shared email, none for the rest", async () => {
    const lines = Array.from({ length: 5000 }, (_, i) =>
      JSON.stringify({ user_id: `auth0|${i}`, email: `u${i < 10 ? 0 : i}@x`, email_verified: true }),
    );
    const found = await findExportDuplicates(twice(lines.join("\n")));
    expect(found.summary).toMatchObject({ users: 5000, distinctEmails: 4991, groups: 0, pairs: 0 });
    expect(found.summary.skippedCounts.too_many_accounts).toBe(1);
    expect([...found.skipped()].map((s) => s.accounts.length)).toEqual([10]);
  });

  test("a malformed line is fatal by default, naming it", async () => {
    const lines = exportLines();
    lines.splice(3, 0, '{"user_id": ');
    const error = await findExportDuplicates(twice(lines.join("\n"))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as ExportError).message).toMatch(/^Line 4 of the export is malformed: not JSON/);
    expect((error as ExportError).issue?.line).toBe(4);
  });

  test("with malformed: skip, bad lines are reported once, counted, and left out", async () => {
    const lines = exportLines();
    lines.splice(0, 0, "[1,2]", '{"email":"p1@example.com"}');
    // Malformed past its email, and grouped: found when the second pass reads it in full.
    lines.push('{"user_id":"a","email":"p1@example.com","email_verified":"yes"}');
    lines.push('{"user_id":"b","email":"p2@example.com","email":"p3@example.com"}');
    const issues: MalformedLine[] = [];
    const found = await findExportDuplicates(twice(lines.join("\n")), {
      malformed: "skip",
      onMalformed: (issue) => issues.push(issue),
    });
    expect(issues).toEqual([
      { line: 1, message: "expected a JSON object, found array" },
      { line: 2, message: "user_id is missing — export the user_id field" },
      { line: lines.length - 1, message: "email_verified must be a boolean, found string" },
      { line: lines.length, message: "email is given twice — export each field once" },
    ]);
    expect(found.malformedLines).toBe(4);
    expect(collectReport(found)).toEqual(inMemory(exportLines()));
  });

  test("checks in full only the lines it groups: a bad field of an account with its own email passes", async () => {
    const lines = [...exportLines(), '{"user_id":"a","email":"alone@example.com","email_verified":"yes"}'];
    const found = await findExportDuplicates(twice(lines.join("\n")));
    expect(found.malformedLines).toBe(0);
    expect(found.summary.users).toBe(inMemory(exportLines()).users + 1);
  });

  test.each([
    ["a line cut short", (lines: string[]) => lines.map((l, i) => (i === 5 ? l.slice(0, 30) : l))],
    ["a line more", (lines: string[]) => [...lines, lines[0] ?? ""]],
    ["a line less", (lines: string[]) => lines.slice(1)],
  ])("an export that changes between its two reads is refused: %s", async (_name, change) => {
    const lines = exportLines();
    const error = await findExportDuplicates((pass) =>
      pieces((pass === 1 ? lines : change(lines)).join("\n"), 512),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toMatch(/^The export changed between its two reads \(line \d+/);
  });

  test("a grouped line malformed past its email is fatal by default, in the second pass", async () => {
    const lines = exportLines().map((l, i) =>
      i === 0 ? l.replace('"logins_count":0', '"logins_count":x') : l,
    );
    const error = await findExportDuplicates(twice(lines.join("\n"), 512)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toMatch(/^Line 1 of the export is malformed: not JSON/);
  });

  test("more unusual lines than it notes: the second pass reads every line in full, same report", async () => {
    // Keys written with escapes: valid, but each one left to JSON.parse.
    const lines = Array.from(
      { length: 100_010 },
      (_, i) => `{"user_\\u0069d":"auth0|${i}","email":"u${i % 50_000}@x","email_verified":true}`,
    );
    const found = await findExportDuplicates(twice(lines.join("\n"), 1 << 20));
    expect(found.summary).toMatchObject({ users: 100_010, distinctEmails: 50_000, groups: 50_000 });
    expect(collectReport(found)).toEqual(inMemory(lines));
  });

  test("a line past the size limit is malformed and never held, even split over many chunks", async () => {
    const piece = new Uint8Array(1 << 20).fill(0x78);
    const rest = new TextEncoder().encode(`\n${exportLines().join("\n")}`);
    async function* file() {
      for (let i = 0; i <= maxLineBytes / piece.length; i++) yield piece;
      yield rest;
    }
    const issues: MalformedLine[] = [];
    const found = await findExportDuplicates(() => file(), {
      malformed: "skip",
      onMalformed: (issue) => issues.push(issue),
    });
    expect(issues).toEqual([{ line: 1, message: "longer than 64 MiB: not a user" }]);
    expect(collectReport(found)).toEqual(inMemory(exportLines()));
    await expect(findExportDuplicates(() => file())).rejects.toThrow(
      "Line 1 of the export is malformed: longer than 64 MiB: not a user",
    );
  });

  test("reads CSV, twice", async () => {
    const csv = ["user_id,email,email_verified", "auth0|1,A@x,true", "github|2,a@x,true", "auth0|3,b@x,true"];
    const found = await findExportDuplicates(twice(csv.join("\r\n"), 5), { format: "csv" });
    expect(found.summary).toMatchObject({ users: 3, distinctEmails: 2, groups: 1, pairs: 1 });
    const changed = await findExportDuplicates(
      (pass) => pieces((pass === 1 ? csv : csv.slice(0, 3)).join("\n"), 5),
      { format: "csv" },
    ).catch((e: unknown) => e);
    expect((changed as Error).message).toMatch(/^The export changed between its two reads/);
  });

  test("reports progress in each pass: lines and bytes read so far", async () => {
    const text = `${exportLines().join("\n")}\n`;
    const seen: { pass: number; lines: number; bytes: number }[] = [];
    await findExportDuplicates(twice(text, 1000), { onProgress: (p) => seen.push(p) });
    const total = new TextEncoder().encode(text).length;
    const lines = exportLines().length;
    expect(seen.filter((p) => p.pass === 1).at(-1)).toEqual({ pass: 1, lines, bytes: total });
    expect(seen.at(-1)).toEqual({ pass: 2, lines, bytes: total });
  });

  test("refuses a bad policy before reading anything", async () => {
    let opened = 0;
    const run = findExportDuplicates(
      () => {
        opened++;
        return pieces("", 1);
      },
      { maxGroupSize: 1 },
    );
    await expect(run).rejects.toThrow("maxGroupSize must be a whole number ≥ 2");
    expect(opened).toBe(0);
  });
});
