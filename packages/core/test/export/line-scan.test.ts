import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { userFromJsonLine } from "../../src/export/export-reader.ts";
import { createLineFacts, scanJsonUser, scanKeyFields } from "../../src/export/line-scan.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const decode = (b: Uint8Array, start: number, end: number) =>
  new TextDecoder().decode(b.subarray(start, end));

/** Scans `text` placed inside other bytes, so a scanner that reads past its line would be caught. */
function scan(text: string) {
  const b = bytes(`{"x":1}\n${text}\n"tail"`);
  const start = 8;
  const end = start + bytes(text).length;
  const facts = createLineFacts();
  const ok = scanJsonUser(b, start, end, facts);
  return { ok, facts, b, span: (s: number, e: number) => (s === -1 ? undefined : decode(b, s, e)) };
}

describe("scanJsonUser", () => {
  test("reads the fields grouping needs from a line's bytes", () => {
    const line = JSON.stringify({
      user_id: "auth0|1",
      email: "Ada@Example.com",
      email_verified: true,
      created_at: "2020-01-01T00:00:00.000Z",
      last_login: null,
      logins_count: 12,
      identities: [
        { provider: "auth0", user_id: "1" },
        { provider: "github", user_id: "9", profileData: { email: "x@y", nested: [1, { a: [] }] } },
      ],
      user_metadata: { a: [true, false, null, -1.5e3, "é"] },
    });
    const { ok, facts, span } = scan(line);
    expect(ok).toBe(true);
    expect(span(facts.userIdStart, facts.userIdEnd)).toBe("auth0|1");
    expect(span(facts.emailStart, facts.emailEnd)).toBe("Ada@Example.com");
    expect(facts.emailPlain).toBe(true);
    expect(facts.verified).toBe(1);
    expect(span(facts.createdStart, facts.createdEnd)).toBe("2020-01-01T00:00:00.000Z");
    expect(facts.lastLoginStart).toBe(-1);
    expect(span(facts.loginsStart, facts.loginsEnd)).toBe("12");
    expect(facts.identities).toBe(2);
  });

  test("says when the email needs decoding: an escape or a byte above 0x7f", () => {
    expect(scan('{"user_id":"a","email":"z\\u00e9@x"}').facts.emailPlain).toBe(false);
    expect(scan('{"user_id":"a","email":"zé@x"}').facts.emailPlain).toBe(false);
    expect(scan('{"user_id":"a","email":null}').facts.emailStart).toBe(-1);
    expect(scan(' { "user_id" : "a" , "email" : "b@c" } ').facts.emailPlain).toBe(true);
  });

  test.each([
    ["not JSON", '{"user_id": '],
    ["a truncated string", '{"user_id":"a'],
    ["an array", "[1,2]"],
    ["no user_id", '{"email":"x@example.com"}'],
    ["an empty user_id", '{"user_id":""}'],
    ["a null user_id", '{"user_id":null}'],
    ["email_verified as a string", '{"user_id":"a","email_verified":"yes"}'],
    ["email as a number", '{"user_id":"a","email":5}'],
    ["logins_count as a string", '{"user_id":"a","logins_count":"5"}'],
    ["identities null", '{"user_id":"a","identities":null}'],
    ["identities an object", '{"user_id":"a","identities":{}}'],
    ["a trailing comma", '{"user_id":"a",}'],
    ["text after the object", '{"user_id":"a"} x'],
    ["a raw control character in a string", '{"user_id":"a\tb"}'],
    ["a bad escape", '{"user_id":"a\\x"}'],
    ["a bad number", '{"user_id":"a","n":01}'],
    ["a bad literal", '{"user_id":"a","n":tru}'],
    ["a field given twice", '{"user_id":"a","email":"x@y","email":"z@y"}'],
    ["a key written with an escape", '{"user_\\u0069d":"a"}'],
    ["deep nesting", `{"user_id":"a","n":${"[".repeat(70)}${"]".repeat(70)}}`],
    ["a blank line", "   "],
  ])("leaves %s to JSON.parse (answers false)", (_name, line) => {
    expect(scan(line).ok).toBe(false);
  });

  test("agrees with JSON.parse and the reader's checks on any object (fast-check)", () => {
    const field = fc.oneof(
      fc.constantFrom("user_id", "email", "email_verified", "created_at", "last_login", "logins_count"),
      fc.constantFrom("identities", "name", "app_metadata"),
    );
    const value = fc.oneof(
      fc.jsonValue(),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.jsonValue()),
    );
    const record = fc.dictionary(field, value, { maxKeys: 8 });
    fc.assert(
      fc.property(record, fc.boolean(), (object, spaced) => {
        const line = JSON.stringify(object, null, spaced ? 1 : undefined).replace(/\n/g, " ");
        const { ok, facts, span } = scan(line);
        const user = userFromJsonLine(line);
        if (!ok) return; // Left to the slow path, which decides.
        expect(typeof user).toBe("object");
        if (typeof user !== "object") return;
        expect(span(facts.userIdStart, facts.userIdEnd)).toBe(JSON.stringify(user.user_id).slice(1, -1));
        if (typeof user.email === "string") {
          expect(JSON.parse(`"${span(facts.emailStart, facts.emailEnd)}"`)).toBe(user.email);
        } else expect(facts.emailStart).toBe(-1);
        expect(facts.identities).toBe(user.identities?.length ?? -1);
      }),
      { numRuns: 500 },
    );
  });

  test("reads every valid user line of plain shape (fast-check)", () => {
    const user = fc.record({
      user_id: fc.string({ minLength: 1 }),
      email: fc.option(fc.string(), { nil: null }),
      email_verified: fc.boolean(),
      logins_count: fc.integer(),
      identities: fc.array(fc.record({ provider: fc.string(), user_id: fc.string() })),
    });
    fc.assert(
      fc.property(user, (u) => {
        expect(scan(JSON.stringify(u)).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("scanKeyFields", () => {
  const read = (line: string) => {
    const b = bytes(`${line}\n{"next":1}`);
    const end = bytes(line).length;
    const facts = createLineFacts();
    const ok = scanKeyFields(b, 0, end, facts);
    const span = (s: number, e: number) => (s === -1 ? undefined : decode(b, s, e));
    return {
      ok,
      userId: span(facts.userIdStart, facts.userIdEnd),
      email: span(facts.emailStart, facts.emailEnd),
    };
  };

  test("reads user_id and email and stops there, past nested values before them", () => {
    expect(
      read('{"identities":[{"profileData":{"email":"nested@x"}}],"user_id":"a","email":"top@x","z":[1,}'),
    ).toEqual({ ok: true, userId: "a", email: "top@x" });
    expect(read('{ "email" : null , "user_id" : "b" }')).toEqual({ ok: true, userId: "b", email: undefined });
    expect(read('{"user_id":"c","name":"x"}')).toEqual({ ok: true, userId: "c", email: undefined });
  });

  test.each([
    ["not an object", "[1]"],
    ["a line that does not end the object", '{"user_id":"a","email":"b@c","x":'],
    ["no user_id", '{"email":"x@example.com"}'],
    ["an empty user_id", '{"user_id":"","email":"b@c"}'],
    ["email as a number", '{"user_id":"a","email":5}'],
    ["user_id given twice", '{"user_id":"a","user_id":"b","email":"c@d"}'],
    ["a key with an escape before them", '{"n\\u0061me":1,"user_id":"a","email":"b@c"}'],
    ["a malformed value before them", '{"n":tru,"user_id":"a","email":"b@c"}'],
    ["an empty object", "{}"],
  ])("answers false for %s", (_name, line) => {
    expect(read(line).ok).toBe(false);
  });

  test("agrees with JSON.parse on the lines it reads (fast-check)", () => {
    const record = fc.dictionary(
      fc.constantFrom("user_id", "email", "name", "identities", "x"),
      fc.oneof(fc.string(), fc.constant(null), fc.jsonValue()),
      { maxKeys: 6 },
    );
    fc.assert(
      fc.property(record, (object) => {
        const line = JSON.stringify(object);
        const got = read(line);
        const user = userFromJsonLine(line);
        if (!got.ok) return;
        expect(got.userId).toBe(JSON.stringify(object.user_id).slice(1, -1));
        if (typeof user === "object" && typeof user.email === "string") {
          expect(JSON.parse(`"${got.email}"`)).toBe(user.email);
        }
      }),
      { numRuns: 500 },
    );
  });
});
