/**
 * A map from strings to whole numbers that keeps 12 bytes a key and not the keys: each key is a 64-bit hash (two
 * independent 32-bit hashes) in open-addressed typed arrays, which the garbage collector never walks. A Map of
 * 100,000 pair ids held ~12 MiB and made V8 grow its young generation by ~24 MiB (bench/RESULTS.md, bulk memory);
 * this holds 3 MiB. Two different keys share a hash with a probability of about n² / 2⁶⁵ (3 × 10⁻¹⁰ at 100,000
 * keys): use it only where such a collision errs on the safe side (a row refused, never a row sent).
 */
export class KeyIndex {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** value + 1; 0 marks an empty slot. */
  private values: Uint32Array;
  private count = 0;

  constructor(capacity = 1024) {
    let size = 1024;
    while (size < capacity * 2) size *= 2;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.values = new Uint32Array(size);
  }

  get size(): number {
    return this.count;
  }

  get(key: string): number | undefined {
    const [h, l] = hash(key);
    const slot = this.find(h, l);
    const v = this.values[slot] ?? 0;
    return v === 0 ? undefined : v - 1;
  }

  set(key: string, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value >= 0xffffffff) {
      throw new RangeError(`KeyIndex values are whole numbers below 2³² − 1, not ${value}`);
    }
    if ((this.count + 1) * 2 > this.values.length) this.grow();
    const [h, l] = hash(key);
    const slot = this.find(h, l);
    if (this.values[slot] === 0) this.count++;
    this.hi[slot] = h;
    this.lo[slot] = l;
    this.values[slot] = value + 1;
  }

  /** The slot holding the hash, or the empty slot where it would go (linear probing; never full: load ≤ 1/2). */
  private find(h: number, l: number): number {
    const mask = this.values.length - 1;
    let slot = l & mask;
    while (this.values[slot] !== 0 && (this.hi[slot] !== h || this.lo[slot] !== l)) slot = (slot + 1) & mask;
    return slot;
  }

  private grow(): void {
    const { hi, lo, values } = this;
    this.hi = new Uint32Array(values.length * 2);
    this.lo = new Uint32Array(values.length * 2);
    this.values = new Uint32Array(values.length * 2);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? 0;
      if (v === 0) continue;
      const slot = this.find(hi[i] ?? 0, lo[i] ?? 0);
      this.hi[slot] = hi[i] ?? 0;
      this.lo[slot] = lo[i] ?? 0;
      this.values[slot] = v;
    }
  }
}

/** Two independent 32-bit hashes of the UTF-16 code units: FNV-1a, and a multiply-xorshift (murmur's mixer). */
function hash(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0x5bd1e995);
  b ^= b >>> 15;
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  return [a >>> 0, b >>> 0];
}
