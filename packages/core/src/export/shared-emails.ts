// Which emails are held by more than one account, learnt in a first pass over an export with memory that does not grow
// with the number of distinct emails: each normalised email is hashed to 64 bits; a fixed Bloom filter remembers the
// hashes seen, and a hash seen again goes into an exact set — the only part that grows, with the shared emails (and
// the filter's rare false positives, which the second pass drops when it groups by the email itself).

// The two 32-bit halves of the last hash, read by the caller right after `hashBytes` or `hashString`.
export const lastHash = { a: 0, b: 0 };

function finish(a: number, b: number): void {
  // MurmurHash3's fmix32 on each half, so nearby inputs spread over the whole table.
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  a = Math.imul(a, 0xc2b2ae35);
  a ^= a >>> 16;
  b ^= b >>> 16;
  b = Math.imul(b, 0x85ebca6b);
  b ^= b >>> 13;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  lastHash.a = a | 0;
  lastHash.b = b | 0;
}

/**
 * Hashes the normalised form of an email written as plain ASCII bytes (`normalizeEmail`: spaces around it dropped,
 * A–Z lower-cased — for ASCII the same as `trim().toLowerCase()`), the same hash `hashString` gives the normalised
 * string. Answers false when nothing is left once trimmed.
 */
export function hashBytes(bytes: Uint8Array, start: number, end: number): boolean {
  while (start < end && bytes[start] === 0x20) start++;
  while (end > start && bytes[end - 1] === 0x20) end--;
  if (start === end) return false;
  let a = 0x811c9dc5;
  let b = 0x2545f491;
  for (let i = start; i < end; i++) {
    let c = bytes[i] as number;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  finish(a, b);
  return true;
}

/** Hashes an already normalised email by its UTF-16 code units: for ASCII, the very hash of `hashBytes`. */
export function hashString(text: string): void {
  let a = 0x811c9dc5;
  let b = 0x2545f491;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  finish(a, b);
}

/** Words of the Bloom filter: 2^23 (32 MiB, touched page by page as it fills, so small exports stay small). */
const filterWords = 1 << 23;
// A blocked Bloom filter (Putze, Sanders, Singler, "Cache-, Hash- and Space-Efficient Bloom Filters", 2007): each
// hash picks one block of 16 words (64 bytes, one cache line: one memory access a hash) and 4 bits in it. A new
// email wrongly met as seen — keys per block a Poisson variable, each setting 4 of its 512 bits — about 1 in 2,900
// once 9.2 million distinct emails fill it (a 10,000,000-user export), 1 in 3.5 million at 1 million; one 32-bit
// word a hash with 3 bits, tried first, erred 1 in 270 and 1 in 7,800.
const blocks = filterWords >>> 4;

/**
 * The first pass's memory: `observe` every email's hash, then `isShared` tells whether a hash was observed more than
 * once — or, rarely, whether a hash met the filter's bits set by others (see above): a false positive, which costs
 * the second pass one account read and kept for nothing.
 */
export class SharedEmails {
  private readonly seen = new Int32Array(filterWords);
  // Open addressing, linear probing: pairs (a, b); (0, 0) marks a free slot (a hash of (0, 0) is stored as (0, 1)).
  private table = new Int32Array(2 * 1024);
  private count = 0;

  /** Hashes seen twice or more so far (the set's size). */
  get size(): number {
    return this.count;
  }

  observe(a: number, b: number): void {
    const base = ((a >>> 9) & (blocks - 1)) << 4;
    const w1 = base + (b & 15);
    const w2 = base + ((b >>> 9) & 15);
    const w3 = base + ((b >>> 18) & 15);
    const w4 = base + ((b >>> 27) & 15);
    const m1 = 1 << ((b >>> 4) & 31);
    const m2 = 1 << ((b >>> 13) & 31);
    const m3 = 1 << ((b >>> 22) & 31);
    const m4 = 1 << (a & 31);
    const seen = this.seen;
    if (
      ((seen[w1] as number) & m1) !== 0 &&
      ((seen[w2] as number) & m2) !== 0 &&
      ((seen[w3] as number) & m3) !== 0 &&
      ((seen[w4] as number) & m4) !== 0
    ) {
      this.add(a, b);
      return;
    }
    seen[w1] = (seen[w1] as number) | m1;
    seen[w2] = (seen[w2] as number) | m2;
    seen[w3] = (seen[w3] as number) | m3;
    seen[w4] = (seen[w4] as number) | m4;
  }

  isShared(a: number, b: number): boolean {
    if (a === 0 && b === 0) b = 1;
    const slots = this.table.length >>> 1;
    for (let slot = a & (slots - 1); ; slot = (slot + 1) & (slots - 1)) {
      const x = this.table[2 * slot] as number;
      const y = this.table[2 * slot + 1] as number;
      if (x === a && y === b) return true;
      if (x === 0 && y === 0) return false;
    }
  }

  private add(a: number, b: number): void {
    if (a === 0 && b === 0) b = 1;
    if (this.insert(this.table, a, b)) {
      this.count++;
      if (this.count * 2 > this.table.length >>> 1) this.grow();
    }
  }

  private insert(table: Int32Array, a: number, b: number): boolean {
    const slots = table.length >>> 1;
    for (let slot = a & (slots - 1); ; slot = (slot + 1) & (slots - 1)) {
      const x = table[2 * slot] as number;
      const y = table[2 * slot + 1] as number;
      if (x === a && y === b) return false;
      if (x === 0 && y === 0) {
        table[2 * slot] = a;
        table[2 * slot + 1] = b;
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) {
      const x = old[i] as number;
      const y = old[i + 1] as number;
      if (x !== 0 || y !== 0) this.insert(this.table, x, y);
    }
  }
}
