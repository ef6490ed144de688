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
 *   a couple of seconds cannot be read that finely: there the pacer errs slow (see `interval`).
 * - each reading is taken from when its request was SENT: the tenant counted it later, so the span errs long and
 *   the rate slow. Taken from when the answer was read, it erred short by however long this process took to read
 *   it — a stalled event loop's delay counted as refill that never came (pacer.test.ts: answers read 400 ms late
 *   made a bucket refilled every 500 ms look a tenth faster). This machine's clock is taken for the tenant's:
 *   `Date` is to the second, and read at the steady pace of a paced client it bounds the skew no closer than that.
 *
 * The pacer never assumes it owns the bucket: every answer replaces its estimate with what the tenant says is left,
 * less every request of this client that answer may not count (see `settle`). Another client spending the same
 * bucket thus shows up as a lower `remaining`, and this one waits. Until the first answer it sends one request
 * at a time, to learn the bucket before spending it.
 *
 * It keeps one request in hand: it sends while the estimate shows two. Another client spending the same bucket
 * between an answer and this client's next request then costs a wait, not a 429 — and that client's first
 * request can come at any time, unseen until its answer shows up here. It is a level kept in the bucket, not a
 * rate: one request, once a run (bench/RESULTS.md 2, 2b, 2c). Sending down to a quarter of a request, alone, and
 * one in hand only once the answers had shown another spender, met that spender's first requests unwarned: 1 to 3
 * answers of 429 in 700 in a simulation of row 2c (a client reading at 4/s beside a paid bucket).
 */
export interface Pacer {
  /** Waits until one request may go without tripping the bucket; returns its ticket for `settle`. */
  acquire(signal?: AbortSignal, patienceMs?: number): Promise<number>;
  /** A ticket when a request may go now, without a wait (and without a promise); else undefined: `acquire`. */
  tryAcquire(): number | undefined;
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

/** Requests kept in the bucket beyond the one sent (see `createPacer`). */
const reserve = 1;
/** A bucket that refills whole faster than this is read slow: reset's one-second resolution cannot tell finer. */
const coarseMs = 2000;
/** Requests the counted refill must span before it is trusted over `reset` (its rounding: one request in this). */
const windowRequests = 30;
/** Used only while no answer has told the refill interval (the bucket was never seen below full). */
const fallbackIntervalMs = 1000;

export function createPacer(options: PacerOptions = {}): Pacer {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  let limit: number | undefined;
  let unlimited = false;
  /** Requests surely left in the bucket at `at`, by the answers, less this client's requests since. */
  let available = 0;
  let at = 0;
  /** Σ (reset − sent) over the readings, in ms; their count; Σ (limit − remaining − ½). */
  let spanSum = 0;
  let readings = 0;
  let missingSum = 0;
  /** Answers that spent a request (any but a 429), this one's included once read: what `remaining` counted of ours. */
  let spent = 0;
  /** Where the refill is being counted from (see `settle`), and the interval it has shown once long enough. */
  let window: { sent: number; remaining: number; spent: number } | undefined;
  let counted: number | undefined;
  let nextTicket = 0;
  /** Answers settled so far, and those of them that spent no request (a 429). */
  let settled = 0;
  let refused = 0;
  /** Each ticket in flight: when it was sent, and the counts above then (see `settle`). */
  const inFlight = new Map<number, { sent: number; settled: number; refused: number }>();
  let wake: (() => void) | undefined;
  let answered = new Promise<void>((resolve) => {
    wake = resolve;
  });

  /** Σ spans, each with `off` ms taken off for reset's rounding up. */
  const spans = (off: number) => spanSum - readings * off;

  /**
   * The refill interval. Half a second is taken off each span for reset's rounding up: unbiased, its error
   * shrinking as the readings add up. A bucket that refills whole within `coarseMs` is read with each span as the
   * upper bound it is instead, an estimate that errs slow (a level left in the bucket) rather than fast (429s):
   * reset's second is most of such a span, and its error would shrink too slowly.
   */
  function interval(): number {
    if (counted !== undefined) return counted;
    if (missingSum <= 0) return fallbackIntervalMs;
    return Math.max(1, (coarse() ? spans(0) : spans(500)) / missingSum);
  }

  /** Whether the bucket refills whole within `coarseMs`, by the slow estimate (so a fine bucket is never taken for coarse). */
  const coarse = () => (limit ?? 0) * (spans(0) / missingSum) < coarseMs;

  /** The estimate moved to `t`: the refill since `at`, up to what the bucket holds beside the requests in flight. */
  function advance(t: number): void {
    if (limit === undefined) return;
    available = Math.min(limit - inFlight.size, available + (t - at) / interval());
    at = t;
  }

  /** Requests the estimate must show to send one: it and the reserve; a bucket of one keeps none. */
  const needed = () => Math.min(1 + reserve, limit ?? 1);

  /** How long to wait before one may go, in ms (0: now), the estimates moved to now. */
  function due(t: number): number {
    advance(t);
    const short = needed() - available;
    return short <= 0 ? 0 : short * interval();
  }

  function tryAcquire(): number | undefined {
    if (limit === undefined) return unlimited || inFlight.size === 0 ? take(now()) : undefined;
    const t = now();
    return due(t) === 0 ? take(t) : undefined;
  }

  /** Past `patienceMs` of waiting the request goes anyway: the tenant's answer (a 429) then bounds the call. */
  async function acquire(signal?: AbortSignal, patienceMs = Number.POSITIVE_INFINITY): Promise<number> {
    const started = now();
    for (;;) {
      signal?.throwIfAborted();
      const t = now();
      if (limit === undefined) {
        if (unlimited || inFlight.size === 0) return take(t);
        await answered;
        continue;
      }
      const wait = due(t);
      if (wait === 0) return take(t);
      // At least a millisecond: a shorter wait is below the clock's resolution and would spin.
      if (t - started + wait > patienceMs) return take(t);
      await Promise.race([sleep(Math.max(1, wait), signal), answered]);
    }
  }

  function take(t: number): number {
    const ticket = nextTicket++;
    if (limit !== undefined) available -= 1;
    inFlight.set(ticket, { sent: t, settled, refused });
    return ticket;
  }

  function settle(ticket: number, answer: { status: number; headers: Headers } | undefined): void {
    const t = now();
    advance(t);
    const request = inFlight.get(ticket);
    inFlight.delete(ticket);
    const state = answer ? readRateLimit(answer.headers) : undefined;
    if (answer && !state && answer.status < 300) unlimited = limit === undefined;
    // The requests this answer may not count: every other one not yet answered when it was sent, less the 429s
    // among them (a 429 spends nothing). The tenant takes concurrent requests in any order (a connection free
    // sooner, an answer computed faster): one sent later may have been counted first, and its `remaining` is then
    // older than that of answers read before it (bench/RESULTS.md 2b: read as newer, such an answer let 5 requests
    // past an empty bucket of 10). The refill since the tenant counted is not added: it only adds.
    const uncounted = request
      ? nextTicket - 1 - request.settled - (refused - request.refused)
      : inFlight.size;
    settled++;
    // Any answer but a 429 spent a request, with rate-limit headers or not (Auth0 sends none on a 404).
    if (answer?.status === 429) refused++;
    else if (answer) spent++;
    // A request without an answer may or may not have been counted: the refill is counted afresh.
    if (!answer) window = undefined;
    if (state && request) {
      const missing = state.limit - state.remaining;
      if (missing >= 1 && state.reset > 0) {
        spanSum += state.reset * 1000 - request.sent;
        readings++;
        // remaining is rounded down, so on average half a request more is missing than it says: counting the
        // whole would make the refill look faster than it is, and the estimate run ahead of the tenant.
        missingSum += missing - 0.5;
      }
      if (uncounted === 0) countRefill(state.remaining, state.limit, request.sent);
      limit = state.limit;
      available = state.remaining - uncounted;
      at = t;
    }
    const resolve = wake;
    answered = new Promise<void>((r) => {
      wake = r;
    });
    resolve?.();
  }

  /**
   * The refill as the tenant counted it, from an answer that counts every earlier request of this client and no
   * later one (all were answered before it was sent): since the window's first such answer, the bucket gained
   * what this client spent plus what `remaining` rose. That is exact but for `remaining`'s rounding (a request
   * either way) and the bucket overflowing when full (the window then starts again) — so once it spans
   * `windowRequests`, it replaces the reading of `reset`, whose rounding to the second stays biased at a steady
   * pace: 2 requests a second read it every half second, at the same two points of the second (bench/RESULTS.md
   * 2b: paced 4% slow). Another spender makes it show less refill than there is, and this client leaves that share.
   */
  function countRefill(remaining: number, size: number, sent: number): void {
    if (window === undefined || remaining >= size - 1) {
      window = { sent, remaining, spent };
      return;
    }
    const refilled = remaining - window.remaining + spent - window.spent;
    if (refilled >= windowRequests) counted = Math.max(1, (sent - window.sent) / refilled);
  }

  return { acquire, tryAcquire, settle };
}
