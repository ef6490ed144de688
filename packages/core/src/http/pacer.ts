import { abortableSleep, readRateLimit } from "./rate-limit-headers.ts";

/**
 * Paces the requests of one client to the tenant's Management API bucket, learnt from the answers' headers:
 *
 * - `x-ratelimit-limit` is the burst (the bucket's size), `x-ratelimit-remaining` what is left in it now;
 * - `x-ratelimit-reset` is the Unix second at which the bucket is FULL again, not the next free slot: Auth0's
 *   recorded answers show reset − Date = (limit − remaining) × the refill interval (fidelity corpus of
 *   @idlink/emulator). So the refill interval is (reset − now) / (limit − remaining); reset is rounded up to the
 *   second, so each reading is off by up to a second, and the pacer keeps the ratio of the sums over all readings
 *   (half a second taken off each), whose error shrinks as the readings add up. A bucket that refills whole within
 *   a couple of seconds cannot be read that finely: there the pacer keeps its reserve (see `needed`).
 *
 * The pacer never assumes it owns the bucket: every answer replaces its estimate with what the tenant says is left,
 * less the requests this client sent after the answered one and still awaits. Another client spending the same
 * bucket thus shows up as a lower `remaining`, and this one waits. Until the first answer it sends one request
 * at a time, to learn the bucket before spending it.
 *
 * Alone on the bucket it spends every request the estimate allows. What the tenant's answers show spent beyond this
 * client's own requests (another spender, or an estimate running ahead) is summed, decaying by half every few
 * seconds; while that sum says a request or more, the pacer keeps one in hand, so that the other spender taking it
 * between an answer and the next send costs a wait, not a 429. Alone, the difference between estimate and answers
 * telescopes (each answer's rounding is undone by the next), so the sum stays under that.
 */
export interface Pacer {
  /** Waits until one request may go without tripping the bucket; returns its ticket for `settle`. */
  acquire(signal?: AbortSignal, patienceMs?: number): Promise<number>;
  /** A ticket when a request may go now, without a wait (and without a promise); else undefined: `acquire`. */
  tryAcquire(): number | undefined;
  /** A ticket without waiting: for the retry of a 429, after the wait the 429 asked for (one refill at least). */
  pass(): number;
  /**
   * Learns from the answer to the request of `ticket` (undefined when none came). Auth0 sends the rate-limit
   * headers on successes and 429s only; a success without them means the API is not limited, and pacing stops.
   */
  settle(ticket: number, answer: { status: number; headers: Headers } | undefined): void;
}

export interface PacerOptions {
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Requests kept in the bucket while another spender is seen (see `createPacer`). */
const reserve = 1;
/**
 * Alone, a quarter of a request more than the one sent: the estimate's noise (reset is read to the second, answers
 * are read a little after the tenant counted them) then errs towards waiting. It costs a quarter of a request once
 * per run, never again: a level kept in the bucket, not a rate.
 */
const margin = 0.25;
/** Requests spent by others, as the decayed sum sees them, from which the reserve is kept. */
const contendedAt = 1;
/** A bucket that refills whole faster than this keeps the reserve: reset's one-second resolution cannot tell finer. */
const coarseMs = 2000;
/** The half-life of that sum: a spender not seen for a few seconds no longer costs a reserve. */
const othersHalfLifeMs = 5000;
/** Used only while no answer has told the refill interval (the bucket was never seen below full). */
const fallbackIntervalMs = 1000;

export function createPacer(options: PacerOptions = {}): Pacer {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  let limit: number | undefined;
  let unlimited = false;
  let available = 0;
  let at = 0;
  let spanSum = 0;
  /** The same spans read as the upper bounds they are (reset rounded up, nothing taken off). */
  let upperSum = 0;
  let missingSum = 0;
  /** What the answers showed spent by others, decayed to `othersAt`. */
  let others = 0;
  let othersAt = 0;
  let nextTicket = 0;
  let syncedTicket = -1;
  const inFlight = new Set<number>();
  let wake: (() => void) | undefined;
  let answered = new Promise<void>((resolve) => {
    wake = resolve;
  });

  /**
   * The refill interval. A bucket that refills whole within `coarseMs` is read with each span as an upper bound, an
   * estimate that errs slow (a level left in the bucket) rather than fast (429s): reset's second is most of such a
   * span. Others are read with half a second taken off each span, unbiased, their error shrinking with the readings.
   */
  function interval(): number {
    if (missingSum <= 0) return fallbackIntervalMs;
    const upper = Math.max(1, upperSum / missingSum);
    return coarse() ? upper : Math.max(1, spanSum / missingSum);
  }

  /** Whether the bucket refills whole within `coarseMs`, by the slow estimate (so a fine bucket is never taken for coarse). */
  const coarse = () => missingSum > 0 && (limit ?? 0) * (upperSum / missingSum) < coarseMs;

  function tokens(t: number): number {
    if (limit === undefined) return 0;
    return Math.min(limit - inFlight.size, available + (t - at) / interval());
  }

  const othersNow = (t: number) => others * 0.5 ** ((t - othersAt) / othersHalfLifeMs);

  /**
   * Tokens the estimate must show to send one: the request, and the reserve while another spender is seen or while
   * the bucket refills whole in under `coarseMs` (x-ratelimit-reset is read to the second, so such a bucket's refill
   * cannot be estimated finer than that), else the margin. A bucket smaller than the reserve (a burst of 1) keeps none.
   */
  function needed(t: number): number {
    const keep = othersNow(t) >= contendedAt || coarse() ? reserve : margin;
    return Math.min(1 + keep, limit ?? 1);
  }

  function tryAcquire(): number | undefined {
    if (limit === undefined) return unlimited || inFlight.size === 0 ? take() : undefined;
    const t = now();
    const have = tokens(t);
    if (have < needed(t)) return undefined;
    available = have - 1;
    at = t;
    return take();
  }

  /** Past `patienceMs` of waiting the request goes anyway: the tenant's answer (a 429) then bounds the call. */
  async function acquire(signal?: AbortSignal, patienceMs = Number.POSITIVE_INFINITY): Promise<number> {
    const started = now();
    for (;;) {
      signal?.throwIfAborted();
      if (limit === undefined) {
        if (unlimited || inFlight.size === 0) return take();
        await answered;
        continue;
      }
      const t = now();
      const have = tokens(t);
      const need = needed(t);
      if (have >= need) {
        available = have - 1;
        at = t;
        return take();
      }
      // At least a millisecond: a shorter wait is below the clock's resolution and would spin.
      const wait = Math.max(1, (need - have) * interval());
      if (now() - started + wait > patienceMs) return take();
      await Promise.race([sleep(wait, signal), answered]);
    }
  }

  function pass(): number {
    const t = now();
    if (limit !== undefined) {
      available = Math.max(0, tokens(t)) - 1;
      at = t;
    }
    return take();
  }

  function take(): number {
    const ticket = nextTicket++;
    inFlight.add(ticket);
    return ticket;
  }

  function settle(ticket: number, answer: { status: number; headers: Headers } | undefined): void {
    inFlight.delete(ticket);
    const state = answer ? readRateLimit(answer.headers) : undefined;
    if (answer && !state && answer.status < 300) unlimited = limit === undefined;
    const t = now();
    if (state) {
      const missing = state.limit - state.remaining;
      if (missing >= 1 && state.reset > 0) {
        spanSum += Math.max(0, state.reset * 1000 - 500 - t);
        upperSum += Math.max(0, state.reset * 1000 - t);
        // remaining is rounded down, so on average half a request more is missing than it says: counting the
        // whole would make the refill look faster than it is, and the estimate run ahead of the tenant.
        missingSum += missing - 0.5;
      }
      // An older answer than the one last read says less about now: keep the newer reading.
      if (ticket > syncedTicket) {
        syncedTicket = ticket;
        let sentAfter = 0;
        for (const other of inFlight) if (other > ticket) sentAfter++;
        const told = state.remaining - sentAfter;
        if (limit !== undefined) {
          // Spent by others since the last answer (negative when the estimate lagged); a 429 counts as one at least.
          const seen = Math.min(limit, available + (t - at) / interval()) - told;
          others = Math.max(-1, othersNow(t) + (answer?.status === 429 ? Math.max(1, seen) : seen));
          othersAt = t;
        }
        limit = state.limit;
        // Every request still awaited, sent before this one too: the tenant may have taken them in another order
        // than they were sent (a connection free sooner, an answer computed faster), so `remaining` may not count
        // them yet. Their own answers, or the next newer one, say so.
        available = state.remaining - inFlight.size;
        at = t;
      }
    }
    const resolve = wake;
    answered = new Promise<void>((r) => {
      wake = r;
    });
    resolve?.();
  }

  return { acquire, tryAcquire, pass, settle };
}
