import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import {
  type ExportedUser,
  gunzip,
  type MalformedLine,
  readUserExport,
} from "../../src/export/export-reader.ts";
import { ExportError } from "../../src/present/errors.ts";

async function* chunked(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(source: AsyncIterable<ExportedUser[]>): Promise<ExportedUser[]> {
  const users: ExportedUser[] = [];
  for await (const batch of source) users.push(...batch);
  return users;
}

const alice = { user_id: "auth0|1", email: "Alice@example.com", email_verified: true };
const aliceGoogle = { user_id: "google-oauth2|2", email: "alice@example.com", email_verified: true };

describe("readUserExport", () => {
  test("reads JSON lines across chunk boundaries, multi-byte characters included", async () => {
    const text = `${JSON.stringify({ ...alice, name: "Zoë Ångström" })}\n${JSON.stringify(aliceGoogle)}\n`;
    for (const size of [1, 3, 7, 1000]) {
      const users = await collect(readUserExport(chunked(text, size)));
      expect(users.map((u) => u.user_id)).toEqual(["auth0|1", "google-oauth2|2"]);
      expect((users[0] as unknown as { name: string }).name).toBe("Zoë Ångström");
    }
  });

  test("gunzips first", async () => {
    const gz = gzipSync(`${JSON.stringify(alice)}\n${JSON.stringify(aliceGoogle)}`);
    const inPieces = async function* () {
      for (let i = 0; i < gz.length; i += 5) yield new Uint8Array(gz.subarray(i, i + 5));
    };
    const users = await collect(readUserExport(gunzip(inPieces())));
    expect(users.map((u) => u.user_id)).toEqual(["auth0|1", "google-oauth2|2"]);
  });

  test("a source that fails is its own error, not a gzip one", async () => {
    const cut = new Error("socket hang up");
    async function* download() {
      yield new Uint8Array(gzipSync("x".repeat(10_000)).subarray(0, 20));
      throw cut;
    }
    await expect(collect(readUserExport(gunzip(download())))).rejects.toBe(cut);
  });

  test("a file that is not gzip is an ExportError", async () => {
    const read = collect(readUserExport(gunzip(chunked("not gzip at all", 4))));
    await expect(read).rejects.toThrow(ExportError);
  });

  test("a malformed line is fatal by default, with its line number", async () => {
    const text = `${JSON.stringify(alice)}\n{"user_id": \n${JSON.stringify(aliceGoogle)}\n`;
    await expect(collect(readUserExport(chunked(text, 10)))).rejects.toThrow(
      /^Line 2 of the export is malformed: not JSON/,
    );
  });

  test("with malformed: skip, bad lines are reported with their numbers and reading goes on", async () => {
    const text = [
      JSON.stringify(alice),
      "[1,2]",
      JSON.stringify({ email: "x@example.com" }),
      JSON.stringify({ user_id: "auth0|3", email_verified: "yes" }),
      "",
      "oops",
      JSON.stringify(aliceGoogle),
    ].join("\n");
    const issues: MalformedLine[] = [];
    const users = await collect(
      readUserExport(chunked(text, 16), { malformed: "skip", onMalformed: (i) => issues.push(i) }),
    );
    expect(users.map((u) => u.user_id)).toEqual(["auth0|1", "google-oauth2|2"]);
    expect(issues).toEqual([
      { line: 2, message: "expected a JSON object, found array" },
      { line: 3, message: "user_id is missing — export the user_id field" },
      { line: 4, message: "email_verified must be a boolean, found string" },
      { line: 6, message: expect.stringMatching(/^not JSON/) },
    ]);
  });

  test("reads CSV with a header, quoted cells and export_as names", async () => {
    const text = [
      "user_id,email,email_verified,logins_count,identities",
      `auth0|1,Alice@example.com,true,4,"[{""provider"":""auth0"",""user_id"":""1""},{""provider"":""github"",""user_id"":""9""}]"`,
      'google-oauth2|2,"alice@example.com",false,,',
    ].join("\r\n");
    const users = await collect(readUserExport(chunked(text, 9), { format: "csv" }));
    expect(users).toEqual([
      {
        user_id: "auth0|1",
        email: "Alice@example.com",
        email_verified: true,
        logins_count: 4,
        identities: [
          { provider: "auth0", user_id: "1" },
          { provider: "github", user_id: "9" },
        ],
      },
      { user_id: "google-oauth2|2", email: "alice@example.com", email_verified: false },
    ]);
  });

  test("a CSV without a user_id column is refused at line 1", async () => {
    await expect(
      collect(readUserExport(chunked("email\na@example.com\n", 100), { format: "csv" })),
    ).rejects.toThrow(
      "Line 1 of the export is malformed: the CSV header has no user_id column — export the user_id field",
    );
  });

  test("reports progress in lines and bytes", async () => {
    const text = `${JSON.stringify(alice)}\n${JSON.stringify(aliceGoogle)}\n`;
    const seen: { lines: number; bytes: number }[] = [];
    await collect(readUserExport(chunked(text, 1000), { onProgress: (p) => seen.push(p) }));
    expect(seen.at(-1)).toEqual({ lines: 2, bytes: text.length });
  });
});
