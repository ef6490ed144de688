// Reading a JSON line of a user export from its bytes, without decoding it to a string or building its object: what
// duplicate grouping needs of most lines is their email (to hash). Measured on a generated 1,000,000-user export
// (338 MB of JSON lines) on this machine: decoding + JSON.parse of every line took 1.5 s of CPU; `scanJsonUser`,
// reading every byte, 1.0 s; `scanKeyFields`, up to user_id and email, about 0.25 s.

/**
 * What `scanJsonUser` (and `scanKeyFields`, user_id and email only) read of one line; one object, reused from line
 * to line. Spans are raw: a string's inside its quotes, a number's digits; a start of -1 means absent or null.
 */
export interface LineFacts {
  emailStart: number;
  emailEnd: number;
  /** The email holds no escape and no byte above 0x7f: its bytes are its characters. */
  emailPlain: boolean;
  /** Elements of `identities`; -1 when the line has none. */
  identities: number;
  userIdStart: number;
  userIdEnd: number;
  /** 1 true, 0 false, -1 absent or null. */
  verified: number;
  createdStart: number;
  createdEnd: number;
  lastLoginStart: number;
  lastLoginEnd: number;
  loginsStart: number;
  loginsEnd: number;
}

export const createLineFacts = (): LineFacts => ({
  emailStart: -1,
  emailEnd: -1,
  emailPlain: true,
  identities: -1,
  userIdStart: -1,
  userIdEnd: -1,
  verified: -1,
  createdStart: -1,
  createdEnd: -1,
  lastLoginStart: -1,
  lastLoginEnd: -1,
  loginsStart: -1,
  loginsEnd: -1,
});

// The top-level fields the reader checks (their types, as `toUser` in export-reader.ts does); 0 for any other key.
const userId = 1;
const email = 2;
const emailVerified = 3;
const createdAt = 4;
const lastLogin = 5;
const loginsCount = 6;
const identities = 7;
const keyNames: [string, number][] = [
  ["user_id", userId],
  ["email", email],
  ["email_verified", emailVerified],
  ["created_at", createdAt],
  ["last_login", lastLogin],
  ["logins_count", loginsCount],
  ["identities", identities],
];
const keyBytes = keyNames.map(([name, id]) => [new TextEncoder().encode(name), id] as const);

function keyOf(b: Uint8Array, start: number, end: number): number {
  const length = end - start;
  // Every known key is told apart by its length and its first and last bytes; the rest is compared to be sure.
  if (length < 5 || length > 14) return 0;
  next: for (const [name, id] of keyBytes) {
    if (name.length !== length) continue;
    for (let i = 0; i < length; i++) if (b[start + i] !== name[i]) continue next;
    return id;
  }
  return 0;
}

// Set by `stringEnd`: the string just read had an escape or a byte above 0x7f.
let plain = true;

/** The index of the quote closing a string whose first character is at `i`; -1 when the string is not valid JSON. */
function stringEnd(b: Uint8Array, i: number, end: number): number {
  plain = true;
  while (i < end) {
    const c = b[i] as number;
    if (c === 0x22) return i;
    if (c === 0x5c) {
      plain = false;
      const d = b[i + 1];
      if (d === 0x75) {
        for (let j = i + 2; j < i + 6; j++) {
          const h = (b[j] ?? 0) | 0x20;
          if (!((h >= 0x30 && h <= 0x39) || (h >= 0x61 && h <= 0x66))) return -1;
        }
        i += 6;
      } else if (
        d === 0x22 ||
        d === 0x5c ||
        d === 0x2f ||
        d === 0x62 ||
        d === 0x66 ||
        d === 0x6e ||
        d === 0x72 ||
        d === 0x74
      ) {
        i += 2;
      } else return -1;
    } else if (c < 0x20) return -1;
    else {
      if (c > 0x7f) plain = false;
      i++;
    }
  }
  return -1;
}

function spaces(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) i++;
    else break;
  }
  return i;
}

function digits(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x39) break;
    i++;
  }
  return i;
}

/** The end of a JSON number starting at `i` (RFC 8259's grammar); -1 when it is not one. */
function numberEnd(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  const first = b[i];
  if (first === 0x30) i++;
  else if (first !== undefined && first >= 0x31 && first <= 0x39) i = digits(b, i + 1, end);
  else return -1;
  if (b[i] === 0x2e) {
    const from = i + 1;
    i = digits(b, from, end);
    if (i === from) return -1;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    const from = i;
    i = digits(b, from, end);
    if (i === from) return -1;
  }
  return i > end ? -1 : i;
}

const isNull = (b: Uint8Array, i: number) =>
  b[i] === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c;
const isTrue = (b: Uint8Array, i: number) =>
  b[i] === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65;
const isFalse = (b: Uint8Array, i: number) =>
  b[i] === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65;

// Deeper values are left to JSON.parse (the caller's slow path), which has no such limit to worry about.
const maxDepth = 64;

/** The end of any JSON value starting at `i`; -1 when it is not one. */
function valueEnd(b: Uint8Array, i: number, end: number, depth: number): number {
  const c = b[i];
  if (c === 0x22) {
    const close = stringEnd(b, i + 1, end);
    return close === -1 ? -1 : close + 1;
  }
  if (c === 0x7b || c === 0x5b) {
    if (depth >= maxDepth) return -1;
    const object = c === 0x7b;
    const closer = object ? 0x7d : 0x5d;
    i = spaces(b, i + 1, end);
    if (b[i] === closer) return i + 1;
    for (;;) {
      if (object) {
        if (b[i] !== 0x22) return -1;
        const close = stringEnd(b, i + 1, end);
        if (close === -1) return -1;
        i = spaces(b, close + 1, end);
        if (b[i] !== 0x3a) return -1;
        i = spaces(b, i + 1, end);
      }
      i = valueEnd(b, i, end, depth + 1);
      if (i === -1) return -1;
      i = spaces(b, i, end);
      if (b[i] === 0x2c) i = spaces(b, i + 1, end);
      else if (b[i] === closer) return i + 1;
      else return -1;
    }
  }
  if (c === 0x74) return isTrue(b, i) && i + 4 <= end ? i + 4 : -1;
  if (c === 0x66) return isFalse(b, i) && i + 5 <= end ? i + 5 : -1;
  if (c === 0x6e) return isNull(b, i) && i + 4 <= end ? i + 4 : -1;
  return numberEnd(b, i, end);
}

/**
 * Reads the line `b[start, end)` when it is a JSON object whose fields grouping reads have the types the reader
 * accepts (`user_id` a non-empty string; `email`, `created_at`, `last_login` strings; `email_verified` a boolean;
 * `logins_count` a number; each may be null but `user_id`; `identities` an array). Answers false for anything else —
 * a malformed line, but also a valid one it does not read (a key written with escapes, a field given twice, deep
 * nesting): the caller then decodes and parses the line, which says what is wrong, if anything.
 */
export function scanJsonUser(b: Uint8Array, start: number, end: number, facts: LineFacts): boolean {
  facts.emailStart = -1;
  facts.identities = -1;
  facts.verified = -1;
  facts.createdStart = -1;
  facts.lastLoginStart = -1;
  facts.loginsStart = -1;
  let i = spaces(b, start, end);
  if (b[i] !== 0x7b) return false;
  i = spaces(b, i + 1, end);
  let seen = 0;
  for (;;) {
    if (b[i] !== 0x22) return false;
    const keyClose = stringEnd(b, i + 1, end);
    if (keyClose === -1 || !plain) return false;
    const key = keyOf(b, i + 1, keyClose);
    if (key !== 0) {
      if (seen & (1 << key)) return false;
      seen |= 1 << key;
    }
    i = spaces(b, keyClose + 1, end);
    if (b[i] !== 0x3a) return false;
    i = spaces(b, i + 1, end);
    const c = b[i];
    if (key === 0) {
      i = valueEnd(b, i, end, 1);
    } else if (c === 0x6e && key !== userId && key !== identities) {
      i = isNull(b, i) ? i + 4 : -1;
    } else if (key === userId || key === email || key === createdAt || key === lastLogin) {
      if (c !== 0x22) return false;
      const close = stringEnd(b, i + 1, end);
      if (close === -1 || (key === userId && close === i + 1)) return false;
      if (key === email) {
        facts.emailStart = i + 1;
        facts.emailEnd = close;
        facts.emailPlain = plain;
      } else if (key === userId) {
        facts.userIdStart = i + 1;
        facts.userIdEnd = close;
      } else if (key === createdAt) {
        facts.createdStart = i + 1;
        facts.createdEnd = close;
      } else {
        facts.lastLoginStart = i + 1;
        facts.lastLoginEnd = close;
      }
      i = close + 1;
    } else if (key === emailVerified) {
      facts.verified = isTrue(b, i) ? 1 : 0;
      i = isTrue(b, i) ? i + 4 : isFalse(b, i) ? i + 5 : -1;
    } else if (key === loginsCount) {
      facts.loginsStart = i;
      i = numberEnd(b, i, end);
      facts.loginsEnd = i;
    } else {
      // identities: an array; its elements are counted (more than one: the account holds linked identities).
      if (c !== 0x5b) return false;
      let count = 0;
      i = spaces(b, i + 1, end);
      if (b[i] !== 0x5d) {
        for (;;) {
          i = valueEnd(b, i, end, 2);
          if (i === -1) return false;
          count++;
          i = spaces(b, i, end);
          if (b[i] === 0x2c) i = spaces(b, i + 1, end);
          else if (b[i] === 0x5d) break;
          else return false;
        }
      }
      i++;
      facts.identities = count;
    }
    if (i === -1 || i > end) return false;
    i = spaces(b, i, end);
    if (b[i] === 0x2c) i = spaces(b, i + 1, end);
    else if (b[i] === 0x7d) break;
    else return false;
  }
  return spaces(b, i + 1, end) === end && (seen & (1 << userId)) !== 0;
}

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

/**
 * Reads a line's `user_id` and `email` and stops there: what both passes over a file read of every line. Checked
 * are the line up to those two fields (a JSON object; every key and value before them well formed; `user_id` a
 * non-empty string; `email` a string or null; neither given twice) and its last byte, which must close the object.
 * The rest is read, with `scanJsonUser`, only for the accounts that share an email. Answers false for anything else
 * — a malformed line, or one written in a way this reader leaves to JSON.parse (a key with an escape).
 */
export function scanKeyFields(b: Uint8Array, start: number, end: number, facts: LineFacts): boolean {
  facts.emailStart = -1;
  facts.userIdStart = -1;
  let last = end - 1;
  while (last > start && isSpace(b[last])) last--;
  if (b[last] !== 0x7d) return false;
  let i = spaces(b, start, end);
  if (b[i] !== 0x7b) return false;
  i = spaces(b, i + 1, end);
  // Bit 1: user_id read; bit 2: email read.
  let seen = 0;
  for (;;) {
    if (b[i] !== 0x22) return false;
    const keyClose = stringEnd(b, i + 1, end);
    if (keyClose === -1 || !plain) return false;
    const key = keyOf(b, i + 1, keyClose);
    i = spaces(b, keyClose + 1, end);
    if (b[i] !== 0x3a) return false;
    i = spaces(b, i + 1, end);
    if (key === userId || key === email) {
      const bit = key === userId ? 1 : 2;
      if (seen & bit) return false;
      seen |= bit;
      if (key === email && isNull(b, i)) i += 4;
      else {
        if (b[i] !== 0x22) return false;
        const close = stringEnd(b, i + 1, end);
        if (close === -1) return false;
        if (key === userId) {
          if (close === i + 1) return false;
          facts.userIdStart = i + 1;
          facts.userIdEnd = close;
        } else {
          facts.emailStart = i + 1;
          facts.emailEnd = close;
          facts.emailPlain = plain;
        }
        i = close + 1;
      }
      if (seen === 3) return true;
    } else {
      i = valueEnd(b, i, end, 1);
      if (i === -1) return false;
    }
    i = spaces(b, i, end);
    if (b[i] === 0x2c) i = spaces(b, i + 1, end);
    else return b[i] === 0x7d && seen === 1 && spaces(b, i + 1, end) === end;
  }
}
