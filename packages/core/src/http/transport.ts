import { NetworkError, OutcomeUnknownError, type RateLimitState } from "../present/errors.ts";
import { type DebugSink, emitter, pathOf, rateLimitOf } from "./debug.ts";
import type { FetchLike } from "./fetch-like.ts";
import { createPacer, type Pacer } from "./pacer.ts";
import { abortableSleep, readRateLimit } from "./rate-limit-headers.ts";

export type { FetchLike } from "./fetch-like.ts";

export interface RetryOptions {
  /** Retries of a read after a 5xx or a network error. Default 4. */
  maxRetries?: number;
  /**
   * The most a call may spend waiting between attempts, in ms; this is what bounds retries after a 429, which is a
   * definite "not done" and safe to repeat for any method. Default 60 000.
   */
  maxWaitMs?: number;
  /** First backoff for reads after a 5xx or network error, doubled each time. Default 250 ms. */
  baseDelayMs?: number;
  /** Waits `ms`; injectable so unit tests need not sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface CallContext {
  operation: string;
  method: string;
  path: string;
  /** The tenant's host, which a network error names. */
  host?: string | undefined;
}

/** What openapi-fetch hands the transport: a request not yet built (see `OutgoingRequest`). */
export interface Outgoing {
  url: string;
  method: string;
  headers: Headers;
  body: RequestInit["body"];
}

/**
 * Given to openapi-fetch as its `Request` class: it only records what to send, so each attempt builds one real
 * request (a WHATWG Request costs a tenth of a millisecond, as much as a loopback round trip).
 */
export class OutgoingRequest implements Outgoing {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: RequestInit["body"];
  constructor(url: string, init: RequestInit = {}) {
    this.url = url;
    this.method = init.method ?? "GET";
    this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
    this.body = init.body;
  }
}

/** An answer, and `release` to call once its body is read: it ends the attempt's timeout (see `createTransport`). */
export interface Sent {
  response: Response;
  release(): void;
}

export interface Transport {
  send(request: Outgoing, context: CallContext): Promise<Sent>;
  readonly rateLimit: RateLimitState | undefined;
}

const unsafeMethods = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/**
 * Sends requests with Auth0's rate limit in mind: a pacer learnt from the rate-limit headers spaces them so the
 * bucket is spent but not overdrawn, shared by every call of this transport; should a 429 still come, it pauses every call of this transport until the bucket
 * refills (Retry-After, else x-ratelimit-reset, plus jitter), within a total wait cap. Writes are never repeated
 * after a 5xx, a timeout or a dropped connection: they may have been applied.
 *
 * Each attempt has its own timeout, from send until the caller has read the body and calls `release`: an
 * AbortController and a timer, cleared at release. `AbortSignal.timeout` cannot be cleared: each one lived its
 * full 30 s holding the finished request (≈ 45 MiB of a bulk run's peak RSS on loopback, bench/RESULTS.md §8),
 * and `AbortSignal.any` to follow the client's signal cost more than the timer (§1). The client's signal aborts
 * the attempts in flight through one listener instead.
 */
export function createTransport(options: {
  fetch?: FetchLike | undefined;
  retry?: RetryOptions | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  now?: () => number;
  /** Paces requests to the tenant's bucket (see `createPacer`); false sends as fast as the callers ask. */
  pacer?: Pacer | false | undefined;
  /** Receives every attempt, answer, wait and retry decision (see `DebugEvent`). */
  onEvent?: DebugSink | undefined;
}): Transport {
  const maxRetries = options.retry?.maxRetries ?? 4;
  const maxWaitMs = options.retry?.maxWaitMs ?? 60_000;
  const baseDelayMs = options.retry?.baseDelayMs ?? 250;
  const sleep = options.retry?.sleep ?? abortableSleep;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const now = options.now ?? Date.now;
  let rateLimit: RateLimitState | undefined;
  let pausedUntil = 0;
  const pacer =
    options.pacer === false
      ? undefined
      : (options.pacer ?? createPacer({ now, sleep: options.retry?.sleep }));

  const emit = emitter(options.onEvent);
  const debugging = options.onEvent !== undefined;
  // Without an injected fetch, the global one takes the URL and init directly: no Request object to build.
  const injected = options.fetch;
  const deliver = injected
    ? (url: string, init: RequestInit) => injected(new Request(url, init))
    : (url: string, init: RequestInit) => fetch(url, init);

  /** The controllers of the attempts in flight, which the client's signal aborts. */
  const attempts = new Set<AbortController>();
  options.signal?.addEventListener("abort", () => {
    for (const controller of attempts) controller.abort(options.signal?.reason);
  });

  /** An attempt's signal, aborted by its timeout or the client's signal; `end` clears both. */
  function startAttempt() {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`no answer within ${timeoutMs / 1000} s`, "TimeoutError"));
    }, timeoutMs);
    // A timer left by a caller that never released must not keep a CLI from exiting (Node; browsers have no unref).
    (timer as { unref?: () => void }).unref?.();
    attempts.add(controller);
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    return {
      signal: controller.signal,
      timedOut: () => timedOut,
      end() {
        clearTimeout(timer);
        attempts.delete(controller);
      },
    };
  }

  async function send(request: Outgoing, ctx: CallContext): Promise<Sent> {
    const unsafe = unsafeMethods.has(ctx.method);
    const { url, method, headers, body } = request;
    const call = { operation: ctx.operation, method, path: debugging ? pathOf(url) : "" };
    const decide = (
      decision: "retry" | "pause" | "outcome-unknown" | "give-up",
      why: string,
      waitMs?: number,
    ) =>
      debugging &&
      emit({
        type: "decision",
        at: Date.now(),
        ...call,
        decision,
        why,
        ...(waitMs === undefined ? {} : { waitMs }),
      });
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      const pause = pausedUntil - now();
      if (pause > 0) {
        waited += pause;
        if (debugging) emit({ type: "wait", at: Date.now(), ...call, reason: "paused", ms: pause });
        await sleep(pause, options.signal);
      }
      options.signal?.throwIfAborted();
      // Most requests may go at once: no promise to await for them, and nothing to report.
      let ticket: number | undefined;
      if (pacer) {
        ticket = pacer.tryAcquire();
        if (ticket === undefined) {
          const paceStart = performance.now();
          ticket = await pacer.acquire(options.signal, maxWaitMs - waited);
          // Only a wait the pacer chose is reported: a busy machine's pause is not one (a millisecond or more).
          const paced = performance.now() - paceStart;
          if (debugging && paced >= 1)
            emit({ type: "wait", at: Date.now(), ...call, reason: "pacer", ms: paced });
        }
      }
      const current = startAttempt();
      let response: Response;
      if (debugging) emit({ type: "request", at: Date.now(), ...call, attempt: attempt + 1 });
      const sent = debugging ? performance.now() : 0;
      try {
        // A redirect is refused, not followed: the Management API answers none, and a bearer token has no business
        // following one. With `window: null` this also spares fetch a copy of every request: the fetch standard's
        // HTTP-network-or-cache fetch clones the request and tees its body unless its window is "no-window" and its
        // redirect mode "error" (nodejs/undici lib/web/fetch/index.js, httpNetworkOrCacheFetch, at commit
        // 5acf7d5526e7e72ad5fe7596d2707392eef327eb; Node 20's undici 6.24 alike): 35–55 µs of CPU a call on
        // loopback (bench/RESULTS.md §1).
        response = await deliver(url, {
          method,
          headers,
          body,
          signal: current.signal,
          redirect: "error",
          window: null,
        });
        if (ticket !== undefined) pacer?.settle(ticket, response);
      } catch (error) {
        current.end();
        if (ticket !== undefined) pacer?.settle(ticket, undefined);
        if (options.signal?.aborted) throw options.signal.reason;
        const reason = current.timedOut()
          ? `no answer within ${timeoutMs / 1000} s`
          : describeNetworkError(error);
        if (debugging)
          emit({
            type: "no-answer",
            at: Date.now(),
            ...call,
            attempt: attempt + 1,
            ms: performance.now() - sent,
            reason,
          });
        const refused = !current.timedOut() && connectionRefused(error);
        if (unsafe && !refused) {
          decide(
            "outcome-unknown",
            "a write that got no answer may have been applied: read before trying again",
          );
          throw new OutcomeUnknownError({ ...ctx, reason });
        }
        const delay = backoff(attempt);
        const redirect = redirected(error);
        if (attempt >= maxRetries || unsafe || redirect || waited + delay > maxWaitMs) {
          decide(
            "give-up",
            unsafe
              ? "the connection was refused: nothing was applied"
              : redirect
                ? "a redirect is not followed"
                : "out of retries or of waiting time",
          );
          throw new NetworkError({ ...ctx, reason, cause: error });
        }
        decide("retry", `${reason}; a read is safe to repeat`, delay);
        waited += delay;
        await sleep(delay, options.signal);
        continue;
      }
      if (debugging)
        emit({
          type: "response",
          at: Date.now(),
          ...call,
          attempt: attempt + 1,
          status: response.status,
          ms: performance.now() - sent,
          rateLimit: rateLimitOf(response.headers),
        });
      rateLimit = readRateLimit(response.headers) ?? rateLimit;
      if (response.status === 429) {
        const wait = retryDelay(response.headers, now()) ?? backoff(attempt);
        const jittered = wait + Math.random() * Math.min(250, wait * 0.05 + 25);
        if (waited + jittered > maxWaitMs) {
          decide("give-up", `waiting ${Math.round(jittered)} ms more would pass the cap of ${maxWaitMs} ms`);
          return { response, release: current.end };
        }
        decide(
          "pause",
          "429: the bucket is empty; a 429 is a definite no, safe to repeat for any method",
          jittered,
        );
        pausedUntil = Math.max(pausedUntil, now() + jittered);
        await response.body?.cancel();
        current.end();
        continue;
      }
      if (response.status >= 500) {
        if (unsafe) {
          await response.body?.cancel();
          current.end();
          decide(
            "outcome-unknown",
            `a write answered ${response.status} may have been applied: read before trying again`,
          );
          throw new OutcomeUnknownError({
            ...ctx,
            reason: `${response.status} from Auth0`,
            status: response.status,
          });
        }
        const delay = backoff(attempt);
        if (attempt >= maxRetries || waited + delay > maxWaitMs) {
          decide("give-up", "out of retries or of waiting time");
          return { response, release: current.end };
        }
        decide("retry", `${response.status}; a read is safe to repeat`, delay);
        await response.body?.cancel();
        current.end();
        waited += delay;
        await sleep(delay, options.signal);
        continue;
      }
      return { response, release: current.end };
    }
  }

  function backoff(attempt: number): number {
    return baseDelayMs * 2 ** attempt * (0.5 + Math.random() / 2);
  }

  return {
    send,
    get rateLimit() {
      return rateLimit;
    },
  };
}

const minResetWaitMs = 250;

/**
 * How long a 429 asks to wait, in ms: Retry-After (seconds or a date), else one refill of the bucket read from
 * x-ratelimit-reset.
 */
export function retryDelay(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get("retry-after");
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - nowMs);
  }
  // Auth0's x-ratelimit-reset is the Unix second at which the bucket is full again, not when the next request may
  // go: recorded answers show reset − Date = (limit − remaining) × the refill interval (fidelity corpus of
  // @idlink/emulator). A 429 needs one refill, so the wait is that span shared by the missing requests.
  const reset = Number(headers.get("x-ratelimit-reset") ?? Number.NaN);
  if (!Number.isFinite(reset) || reset <= 0) return undefined;
  const untilFull = reset * 1000 - nowMs;
  const missing =
    Number(headers.get("x-ratelimit-limit") ?? Number.NaN) -
    Number(headers.get("x-ratelimit-remaining") ?? 0);
  const oneRefill = Number.isFinite(missing) && missing >= 1 ? untilFull / missing : untilFull;
  return Math.max(minResetWaitMs, oneRefill);
}

/** Why a request got no answer, from fetch's error: its cause's code (`connection failed: ECONNREFUSED`). */
export function describeNetworkError(error: unknown): string {
  if (redirected(error)) {
    return "answered with a redirect, which is not followed: check the tenant's domain";
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code =
    typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined;
  if (code) return `connection failed: ${code}`;
  // undici's own refusals carry no code: say its reason (a port fetch blocks is "bad port"), not "fetch failed".
  if (cause instanceof Error) return `connection failed: ${cause.message}`;
  return "connection failed";
}

// A refused connection never reached the server, so even a write is known not to have been applied.
function connectionRefused(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  return typeof cause === "object" && cause !== null && "code" in cause && cause.code === "ECONNREFUSED";
}

// A redirect refused (see `send`): undici's words for it (nodejs/undici lib/web/fetch/index.js, "unexpected
// redirect"). A browser says only "Failed to fetch", a network error like any other there.
function redirected(error: unknown): boolean {
  return (
    error instanceof Error && error.cause instanceof Error && error.cause.message === "unexpected redirect"
  );
}
