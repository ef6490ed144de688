import { ExportError } from "../present/errors.ts";
import {
  type AccountFields,
  DuplicateFinder,
  type DuplicateOptions,
  type DuplicateResults,
  normalizeEmail,
  seconds,
} from "./duplicates.ts";
import {
  type ExportedUser,
  type MalformedLine,
  malformedLine,
  readUserExport,
  userFromJsonLine,
} from "./export-reader.ts";
import { createLineFacts, type LineFacts, scanJsonUser, scanKeyFields } from "./line-scan.ts";
import { hashBytes, hashString, lastHash, SharedEmails } from "./shared-emails.ts";

/** Opens an export's text (gunzipped) from its start; called once for each of the two passes. */
export type OpenExport = (pass: 1 | 2) => AsyncIterable<Uint8Array | string>;

export interface ExportDuplicatesOptions extends DuplicateOptions {
  /** `json` (one object per line, Auth0's `format: "json"`) or `csv` (a header row first). Default `json`. */
  format?: "json" | "csv";
  /** What a malformed line does: `skip` reports it through `onMalformed` and reads on; `fail` throws. Default `fail`. */
  malformed?: "skip" | "fail";
  onMalformed?: (issue: MalformedLine) => void;
  /** Called with the pass, and the lines and bytes it has read so far, at most once per chunk. */
  onProgress?: (progress: { pass: 1 | 2; lines: number; bytes: number }) => void;
}

export interface ExportDuplicates extends DuplicateResults {
  malformedLines: number;
}

// Lines of the first pass that its byte reader left to JSON.parse (malformed, or written in a way it does not read):
// the second pass parses them again. Past this many, the second pass re-reads every line in full instead.
const maxSlowLines = 100_000;

const changed = (line: number) =>
  new ExportError(
    `The export changed between its two reads (line ${line} is not what it was): read it again from a file that stays as it is`,
  );

/** A line longer than this is no user of an export (Auth0 caps a user's metadata at a few KiB): it is not held. */
export const maxLineBytes = 64 * 1024 * 1024;

/**
 * Calls `visit` with each line's bytes (the `\n`, and a `\r` before it, left out), chunk by chunk, or `tooLong` for a
 * line past `maxLineBytes`, whose bytes are dropped as they come.
 */
async function eachLine(
  chunks: AsyncIterable<Uint8Array | string>,
  visit: (bytes: Uint8Array, start: number, end: number) => void,
  tooLong: () => void,
  onChunk: (bytes: number) => void,
): Promise<void> {
  const encoder = new TextEncoder();
  const line = (b: Uint8Array, start: number, end: number) =>
    visit(b, start, end > start && b[end - 1] === 0x0d ? end - 1 : end);
  // The pieces of a line that runs into the next chunks, joined once its end comes; -1 bytes: a line too long.
  let carry: Uint8Array[] = [];
  let carried = 0;
  const finishCarry = (tail: Uint8Array) => {
    if (carried < 0) tooLong();
    else {
      const joined = new Uint8Array(carried + tail.length);
      let at = 0;
      for (const piece of [...carry, tail]) {
        joined.set(piece, at);
        at += piece.length;
      }
      line(joined, 0, joined.length);
    }
    carry = [];
    carried = 0;
  };
  const keep = (piece: Uint8Array) => {
    if (carried < 0) return;
    carried += piece.length;
    if (carried > maxLineBytes) {
      carry = [];
      carried = -1;
    } else carry.push(new Uint8Array(piece));
  };
  for await (const chunk of chunks) {
    const given = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    // A plain view for the readers: a Node Buffer's subarray builds a Buffer, several times as slow. `indexOf` stays
    // the chunk's own (a Buffer's is memchr).
    const b =
      given.constructor === Uint8Array
        ? given
        : new Uint8Array(given.buffer, given.byteOffset, given.byteLength);
    let at = 0;
    if (carried !== 0) {
      const newline = given.indexOf(10);
      if (newline === -1) {
        keep(b);
        onChunk(b.length);
        continue;
      }
      finishCarry(b.subarray(0, newline));
      at = newline + 1;
    }
    for (let newline = given.indexOf(10, at); newline !== -1; newline = given.indexOf(10, at)) {
      if (newline - at > maxLineBytes) tooLong();
      else line(b, at, newline);
      at = newline + 1;
    }
    if (at < b.length) keep(b.subarray(at));
    onChunk(b.length);
  }
  if (carried !== 0) {
    finishCarry(new Uint8Array(0));
    onChunk(0);
  }
}

const decoder = new TextDecoder();

/** Hashes the email `facts` found (see shared-emails.ts); false when the line has none, or only spaces. */
function hashEmail(b: Uint8Array, facts: LineFacts): boolean {
  if (facts.emailStart < 0) return false;
  if (facts.emailPlain) return hashBytes(b, facts.emailStart, facts.emailEnd);
  // Escapes or non-ASCII: the string is decoded and normalised as any other would be.
  const email = JSON.parse(decoder.decode(b.subarray(facts.emailStart - 1, facts.emailEnd + 1))) as string;
  return hashUserEmail(email);
}

function hashUserEmail(email: unknown): boolean {
  if (typeof email !== "string") return false;
  const key = normalizeEmail(email);
  if (key === "") return false;
  hashString(key);
  return true;
}

/** A JSON string's text from its raw span: decoded, and unescaped when it holds an escape. */
function text(b: Uint8Array, start: number, end: number): string {
  const raw = decoder.decode(b.subarray(start, end));
  return raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
}

const digit = (b: Uint8Array, i: number) => (b[i] ?? 0) - 0x30;
// Where `YYYY-MM-DDTHH:MM:SS` has its digits.
const timeDigits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const twoDigits = (b: Uint8Array, i: number) => digit(b, i) * 10 + digit(b, i + 1);

/**
 * A time as `seconds` reads it, from its raw span: `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (how Auth0 writes times) is
 * read from the bytes, any other writing parsed by Date.parse. -1 when the span is absent.
 */
function timeOf(b: Uint8Array, start: number, end: number): number {
  if (start === -1) return -1;
  const plainShape =
    end - start >= 20 &&
    b[start + 4] === 0x2d &&
    b[start + 7] === 0x2d &&
    b[start + 10] === 0x54 &&
    b[start + 13] === 0x3a &&
    b[start + 16] === 0x3a &&
    b[end - 1] === 0x5a &&
    (end - start === 20 || b[start + 19] === 0x2e);
  if (plainShape) {
    const year = twoDigits(b, start) * 100 + twoDigits(b, start + 2);
    const month = twoDigits(b, start + 5);
    const day = twoDigits(b, start + 8);
    const hour = twoDigits(b, start + 11);
    const minute = twoDigits(b, start + 14);
    const second = twoDigits(b, start + 17);
    let digits = true;
    for (let i = start + 20; i < end - 1; i++) if (digit(b, i) < 0 || digit(b, i) > 9) digits = false;
    for (const i of timeDigits) {
      if (digit(b, start + i) < 0 || digit(b, start + i) > 9) digits = false;
    }
    // Days past the 28th are left to Date.parse, which knows the months' lengths.
    const inRange = year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 28;
    if (digits && inRange && hour < 24 && minute < 60 && second < 60) {
      return Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
    }
  }
  return seconds(text(b, start, end));
}

/** The fields of a line `scanJsonUser` has read, as the finder keeps them. */
function fieldsOf(b: Uint8Array, facts: LineFacts): AccountFields {
  return {
    userId: text(b, facts.userIdStart, facts.userIdEnd),
    email: facts.emailStart === -1 ? undefined : text(b, facts.emailStart, facts.emailEnd),
    verified: facts.verified === 1,
    created: timeOf(b, facts.createdStart, facts.createdEnd),
    logins: facts.loginsStart === -1 ? -1 : numberOf(b, facts.loginsStart, facts.loginsEnd),
    lastLogin: timeOf(b, facts.lastLoginStart, facts.lastLoginEnd),
    linked: Math.max(0, facts.identities - 1),
  };
}

/** A JSON number from its raw span: a small whole number read from its digits, any other by Number. */
function numberOf(b: Uint8Array, start: number, end: number): number {
  if (end - start > 15) return Number(decoder.decode(b.subarray(start, end)));
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = digit(b, i);
    if (d < 0 || d > 9) return Number(decoder.decode(b.subarray(start, end)));
    n = n * 10 + d;
  }
  return n;
}

/**
 * Finds the duplicate accounts of an export by reading it twice (`open` is called once per pass). Both passes read
 * each JSON line's `user_id` and `email` from its bytes and stop there; the first remembers which emails are held
 * twice or more, in memory that does not grow with distinct emails (shared-emails.ts); the second reads those
 * emails' accounts in full (their other fields, checked) and groups them (`DuplicateFinder`). So memory grows with the
 * accounts that share an email, never with the file or its users, and `alreadyLinked` counts those accounts only.
 * A line is malformed when what is read of it is: every line up to its `user_id` and `email`, a grouped one in full.
 * The answer's groups are built as they are read (`DuplicateResults`).
 */
export async function findExportDuplicates(
  open: OpenExport,
  options: ExportDuplicatesOptions = {},
): Promise<ExportDuplicates> {
  const finder = new DuplicateFinder(options);
  const shared = new SharedEmails();
  let users = 0;
  let withoutEmail = 0;
  let emails = 0;
  let malformedLines = 0;
  const reporting = {
    malformed: options.malformed ?? "fail",
    onMalformed: (issue: MalformedLine) => {
      malformedLines++;
      options.onMalformed?.(issue);
    },
  };
  const count = (user: ExportedUser) => {
    users++;
    if (hashUserEmail(user.email)) {
      emails++;
      shared.observe(lastHash.a, lastHash.b);
    } else withoutEmail++;
  };
  const keepIfShared = (user: ExportedUser) => {
    if (hashUserEmail(user.email) && shared.isShared(lastHash.a, lastHash.b)) finder.add(user);
  };

  if (options.format === "csv") {
    // CSV is rare and small next to JSON: its users are read as objects in both passes.
    for await (const batch of readUserExport(open(1), {
      format: "csv",
      ...reporting,
      onProgress: ({ lines, bytes }) => options.onProgress?.({ pass: 1, lines, bytes }),
    })) {
      for (const user of batch) count(user);
    }
    let again = 0;
    for await (const batch of readUserExport(open(2), {
      format: "csv",
      malformed: "skip",
      onProgress: ({ lines, bytes }) => options.onProgress?.({ pass: 2, lines, bytes }),
    })) {
      for (const user of batch) {
        again++;
        keepIfShared(user);
      }
    }
    if (again !== users) throw changed(again);
  } else {
    const facts = createLineFacts();
    const slowLines: number[] = [];
    let tooManySlow = false;
    let line = 0;
    let bytes = 0;
    const slowUser = (b: Uint8Array, start: number, end: number, report: boolean) => {
      const text = decoder.decode(b.subarray(start, end));
      if (text.trim() === "") return undefined;
      const user = userFromJsonLine(text);
      if (typeof user !== "string") return user;
      if (report) malformedLine(reporting, line, user);
      return undefined;
    };
    // The passes' readers are named: a profile of the process shows them.
    await eachLine(
      open(1),
      function readFirstPass(b, start, end) {
        line++;
        if (scanKeyFields(b, start, end, facts)) {
          users++;
          if (hashEmail(b, facts)) {
            emails++;
            shared.observe(lastHash.a, lastHash.b);
          } else withoutEmail++;
          return;
        }
        if (slowLines.length < maxSlowLines) slowLines.push(line);
        else tooManySlow = true;
        const user = slowUser(b, start, end, true);
        if (user) count(user);
      },
      () => {
        line++;
        if (slowLines.length < maxSlowLines) slowLines.push(line);
        else tooManySlow = true;
        malformedLine(reporting, line, `longer than ${maxLineBytes / 1024 / 1024} MiB: not a user`);
      },
      (n) => {
        bytes += n;
        options.onProgress?.({ pass: 1, lines: line, bytes });
      },
    );
    const lines = line;
    line = 0;
    bytes = 0;
    let nextSlow = 0;
    await eachLine(
      open(2),
      function readSecondPass(b, start, end) {
        line++;
        let fast: boolean;
        if (tooManySlow) fast = scanKeyFields(b, start, end, facts);
        else if (slowLines[nextSlow] === line) {
          nextSlow++;
          fast = false;
        } else {
          fast = scanKeyFields(b, start, end, facts);
          if (!fast) throw changed(line);
        }
        if (!fast) {
          const user = slowUser(b, start, end, false);
          if (user) keepIfShared(user);
          return;
        }
        if (!hashEmail(b, facts) || !shared.isShared(lastHash.a, lastHash.b)) return;
        // An account to group: read in full from its bytes, its fields checked (not parsed: 5 times as fast).
        if (scanJsonUser(b, start, end, facts)) {
          finder.addAccount(fieldsOf(b, facts));
          return;
        }
        // Malformed past its email, or written unusually: JSON.parse says which. A malformed line, counted as a
        // user with an email by the first pass, is not one.
        const { a, b: b2 } = lastHash;
        const user = slowUser(b, start, end, true);
        if (user && hashUserEmail(user.email) && lastHash.a === a && lastHash.b === b2) {
          finder.add(user);
          return;
        }
        if (user) malformedLine(reporting, line, "email is given twice — export each field once");
        users--;
        emails--;
      },
      () => {
        line++;
        if (slowLines[nextSlow] === line) nextSlow++;
        else if (!tooManySlow) throw changed(line);
      },
      (n) => {
        bytes += n;
        options.onProgress?.({ pass: 2, lines: line, bytes });
      },
    );
    if (line !== lines) throw changed(Math.min(line, lines) + 1);
  }

  const results = finder.results();
  const kept = results.summary;
  // The finder saw every account of every shared email, so each email it saw twice or more is counted once here.
  const repeats = kept.users - kept.usersWithoutEmail - kept.distinctEmails;
  return {
    summary: { ...kept, users, usersWithoutEmail: withoutEmail, distinctEmails: emails - repeats },
    groups: results.groups,
    skipped: results.skipped,
    malformedLines,
  };
}
