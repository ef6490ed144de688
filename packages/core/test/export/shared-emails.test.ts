import { describe, expect, test } from "vitest";
import { normalizeEmail } from "../../src/export/duplicates.ts";
import { hashBytes, hashString, lastHash, SharedEmails } from "../../src/export/shared-emails.ts";

const hashOfBytes = (text: string) => {
  const b = new TextEncoder().encode(text);
  const ok = hashBytes(b, 0, b.length);
  return ok ? [lastHash.a, lastHash.b] : undefined;
};
const hashOfString = (text: string) => {
  hashString(text);
  return [lastHash.a, lastHash.b];
};

describe("hashBytes and hashString", () => {
  test("an ASCII address hashes alike as raw bytes and as its normalised string", () => {
    for (const raw of ["Ada@Example.COM", "  bob@x.org ", "z@y", "A B@c"]) {
      expect(hashOfBytes(raw)).toEqual(hashOfString(normalizeEmail(raw)));
    }
  });

  test("different addresses, and nearby ones, hash apart", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(String(hashOfString(`user.${i}@example.com`)));
    expect(seen.size).toBe(20_000);
  });

  test("nothing left once trimmed is no email", () => {
    expect(hashOfBytes("   ")).toBeUndefined();
    expect(hashOfBytes("")).toBeUndefined();
  });
});

describe("SharedEmails", () => {
  test("tells the hashes observed twice from those observed once", () => {
    const shared = new SharedEmails();
    const key = (i: number) => hashOfString(`user.${i}@example.com`) as [number, number];
    // 50,000 once, every tenth of them a second time: the set outgrows its first table.
    for (let i = 0; i < 50_000; i++) shared.observe(...key(i));
    for (let i = 0; i < 50_000; i += 10) shared.observe(...key(i));
    expect(shared.size).toBeGreaterThanOrEqual(5_000);
    for (let i = 0; i < 50_000; i += 10) expect(shared.isShared(...key(i))).toBe(true);
    let wrong = 0;
    for (let i = 1; i < 50_000; i++) if (i % 10 !== 0 && shared.isShared(...key(i))) wrong++;
    // The filter's false positives: rare (none expected at this size).
    expect(wrong).toBeLessThan(5);
    expect(shared.isShared(0, 0)).toBe(false);
    shared.observe(0, 0);
    shared.observe(0, 0);
    expect(shared.isShared(0, 0)).toBe(true);
  });
});
