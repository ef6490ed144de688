import { redactText } from "../present/redact.ts";
import type { FetchLike } from "./fetch-like.ts";
import { readRateLimit } from "./rate-limit-headers.ts";

/** Which call an event is about: the operation's name, the method and the concrete path (with its query). */
export interface DebugCall {
  operation: string;
  method: string;
  path: string;
}

/**
 * What a client did, for a debug trail (`--debug`, `IDLINK_DEBUG=1`). Events carry no header but the rate-limit
 * ones and no body, so a token or a client secret never reaches them; `formatDebugEvent` redacts what is left.
 */
export type DebugEvent =
  | (DebugCall & { type: "request"; at: number; attempt: number })
  | (DebugCall & {
      type: "response";
      at: number;
      attempt: number;
      status: number;
      /** From sending to the answer's headers. */
      ms: number;
      /** x-ratelimit-limit, -remaining, -reset and Retry-After, as Auth0 sent them. */
      rateLimit: Record<string, string>;
    })
  | (DebugCall & { type: "no-answer"; at: number; attempt: number; ms: number; reason: string })
  | (DebugCall & {
      type: "wait";
      at: number;
      /** `pacer`: spacing calls to the tenant's bucket; `paused`: every call waits out a 429. */
      reason: "pacer" | "paused";
      ms: number;
    })
  | (DebugCall & {
      type: "decision";
      at: number;
      decision: "retry" | "pause" | "outcome-unknown" | "give-up";
      /** How long before the next attempt, for retry and pause. */
      waitMs?: number;
      why: string;
    });

/** Receives a client's debug events; must not throw (what it throws is ignored). */
export type DebugSink = (event: DebugEvent) => void;

/** Calls `sink` (when there is one) and keeps its failures away from the request. */
export function emitter(sink: DebugSink | undefined): DebugSink {
  if (!sink) return () => {};
  return (event) => {
    try {
      sink(event);
    } catch {
      // A debug sink that fails must not change what the client does.
    }
  };
}

const rateLimitHeaders = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"];

/** The rate-limit headers of an answer, and only those. */
export function rateLimitOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of rateLimitHeaders) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** The path and query of a URL: the host is the tenant's, the same on every line. */
export function pathOf(url: string, withQuery = true): string {
  try {
    const parsed = new URL(url);
    return withQuery ? parsed.pathname + parsed.search : parsed.pathname;
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * Wraps a fetch so that each request it sends (one attempt, no retries) becomes a request event and a response or
 * no-answer event. The query is left out: a pre-signed download's query is its credential.
 */
export function observeFetch(
  fetchImpl: FetchLike,
  sink: DebugSink | undefined,
  operation: string,
): FetchLike {
  if (!sink) return fetchImpl;
  const emit = emitter(sink);
  return async (request) => {
    const call = { operation, method: request.method, path: pathOf(request.url, false) };
    emit({ type: "request", at: Date.now(), attempt: 1, ...call });
    const started = performance.now();
    try {
      const response = await fetchImpl(request);
      emit({
        type: "response",
        at: Date.now(),
        attempt: 1,
        ...call,
        status: response.status,
        ms: performance.now() - started,
        rateLimit: rateLimitOf(response.headers),
      });
      return response;
    } catch (error) {
      emit({
        type: "no-answer",
        at: Date.now(),
        attempt: 1,
        ...call,
        ms: performance.now() - started,
        reason: error instanceof Error ? error.message : "connection failed",
      });
      throw error;
    }
  };
}

const ms = (value: number) => `${Math.round(value)} ms`;

/**
 * One line for a debug event, redacted (`redactText`): `→ POST /api/v2/users/auth0%7C1/identities (Link)`,
 * `← 201 POST … 12 ms · limit 50 remaining 49 reset 1764540000`, the waits and the decisions with their reason.
 */
export function formatDebugEvent(event: DebugEvent): string {
  const time = new Date(event.at).toISOString().slice(11, 23);
  const call = `${event.method} ${event.path}`;
  const attempt = "attempt" in event && event.attempt > 1 ? `, attempt ${event.attempt}` : "";
  let text: string;
  switch (event.type) {
    case "request":
      text = `→ ${call} (${event.operation}${attempt})`;
      break;
    case "response": {
      const state = readRateLimit(new Headers(event.rateLimit));
      const limits = [
        ...(state ? [`limit ${state.limit} remaining ${state.remaining} reset ${state.reset}`] : []),
        ...(event.rateLimit["retry-after"] ? [`retry-after ${event.rateLimit["retry-after"]}`] : []),
      ];
      text = `← ${event.status} ${call} ${ms(event.ms)}${limits.length ? ` · ${limits.join(" · ")}` : ""}`;
      break;
    }
    case "no-answer":
      text = `← no answer ${call} after ${ms(event.ms)}: ${event.reason}`;
      break;
    case "wait":
      text =
        event.reason === "pacer"
          ? `… ${call} waited ${ms(event.ms)} for the pacer (spacing calls to the tenant's bucket)`
          : `… ${call} waited ${ms(event.ms)}: every call is paused after a 429`;
      break;
    case "decision": {
      const wait = event.waitMs === undefined ? "" : ` in ${ms(event.waitMs)}`;
      const what = {
        retry: `retry${wait}`,
        pause: `pause every call, retry${wait}`,
        "outcome-unknown": "outcome unknown, not repeated",
        "give-up": "give up",
      }[event.decision];
      text = `↻ ${call}: ${what} — ${event.why}`;
      break;
    }
  }
  return redactText(`${time} ${text}`);
}
