/** Fault injection for reliability tests; every rate is a probability in [0, 1] and all default to 0. */
export interface Faults {
  /** Added before every Management API answer. */
  latencyMs?: number;
  /** Answer 500 or 503 without running the operation. */
  errorRate?: number;
  /** Destroy the socket without running the operation. */
  dropBeforeRate?: number;
  /** Run the operation (a write is applied), then destroy the socket without answering. */
  dropAfterRate?: number;
  /** Run the operation, then answer its status with a truncated JSON body. */
  malformedRate?: number;
  /** Answer a proxy's HTML 502 page without running the operation. */
  htmlRate?: number;
  /** Only requests with these methods meet the faults above (e.g. ["POST"] to fail a link but not its reads). */
  methods?: string[];
  /** Seed of the pseudo-random draws, so a failing run can be replayed. */
  seed?: number;
}

export type FaultBefore = "error500" | "error503" | "drop" | "html" | undefined;
export type FaultAfter = "drop" | "malformed" | undefined;

// mulberry32: tiny, seedable, good enough to spread faults.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private random: () => number;

  constructor(private faults: Faults = {}) {
    this.random = mulberry32(faults.seed ?? 1);
  }

  set(faults: Faults): void {
    this.faults = faults;
    this.random = mulberry32(faults.seed ?? 1);
  }

  latencyMs(method: string): number {
    return this.applies(method) ? (this.faults.latencyMs ?? 0) : 0;
  }

  private hit(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }

  private applies(method: string): boolean {
    return this.faults.methods === undefined || this.faults.methods.includes(method);
  }

  before(method: string): FaultBefore {
    if (!this.applies(method)) return undefined;
    if (this.hit(this.faults.dropBeforeRate)) return "drop";
    if (this.hit(this.faults.errorRate)) return this.random() < 0.5 ? "error500" : "error503";
    if (this.hit(this.faults.htmlRate)) return "html";
    return undefined;
  }

  after(method: string): FaultAfter {
    if (!this.applies(method)) return undefined;
    if (this.hit(this.faults.dropAfterRate)) return "drop";
    if (this.hit(this.faults.malformedRate)) return "malformed";
    return undefined;
  }
}
