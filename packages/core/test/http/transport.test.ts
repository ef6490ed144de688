import { describe, expect, test, vi } from "vitest";
import {
  type CallContext,
  createTransport,
  describeNetworkError,
  OutgoingRequest,
  type RetryOptions,
  retryDelay,
} from "../../src/http/transport.ts";
import { NetworkError, OutcomeUnknownError } from "../../src/present/errors.ts";
import { createRecordingFetch, json, networkError, type Reply } from "../fetch-recorder.ts";

const url = "https://tenant.example.auth0.com/api/v2/users/auth0%7C1";
const read: CallContext = { operation: "Get user", method: "GET", path: "/api/v2/users/{id}" };
const write: CallContext = { operation: "Link", method: "POST", path: "/api/v2/users/{id}/identities" };

/** A transport on a recording fetch, unpaced (the pacer has its own tests), whose waits are recorded, not slept. */
function setup(replies: Reply[], retry: RetryOptions = {}) {
  const recorder = createRecordingFetch(replies);
  const sleeps: number[] = [];
  const transport = createTransport({
    fetch: recorder.fetch,
    pacer: false,
    retry: {
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      ...retry,
    },
  });
  /** Sends one call and reads its answer's status, as the client does before it releases the attempt. */
  const send = async (ctx: CallContext = read) => {
    const request = new OutgoingRequest(url, {
      method: ctx.method,
      ...(ctx.method === "GET" ? {} : { body: '{"provider":"github","user_id":"1"}' }),
    });
    const sent = await transport.send(request, ctx);
    await sent.response.body?.cancel();
    sent.release();
    return sent.response.status;
  };
  return { transport, send, requests: recorder.requests, sleeps };
}

const tooMany = (headers: Record<string, string>) =>
  json(429, { statusCode: 429, error: "Too Many Requests", message: "x" }, headers);

describe("writes are never repeated without a definite answer", () => {
  test("a POST answered 5xx: the outcome is unknown, and it is sent once", async () => {
    const { send, requests } = setup([
      json(503, { statusCode: 503, error: "Service Unavailable", message: "x" }),
    ]);
    const error = await send(write).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as OutcomeUnknownError).status).toBe(503);
    expect((error as Error).message).toContain("read the primary user's identities");
    expect(requests).toHaveLength(1);
  });

  test("a POST whose connection dropped: the outcome is unknown, and it is sent once", async () => {
    const { send, requests } = setup([networkError("ECONNRESET")]);
    const error = await send(write).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toContain("ECONNRESET");
    expect(requests).toHaveLength(1);
  });

  test("a refused connection never reached Auth0: a NetworkError, not an unknown outcome, and no retry", async () => {
    const { send, requests } = setup([networkError("ECONNREFUSED")]);
    const error = await send(write).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).not.toBeInstanceOf(OutcomeUnknownError);
    expect(requests).toHaveLength(1);
  });

  test("a request that gets no answer times out; a write's outcome is then unknown", async () => {
    // The requests are held: a Request's signal follows the attempt's only while the Request lives.
    const held: Request[] = [];
    const transport = createTransport({
      pacer: false,
      timeoutMs: 50,
      fetch: (request) => {
        held.push(request);
        return new Promise((_, reject) =>
          request.signal.addEventListener("abort", () => reject(request.signal.reason)),
        );
      },
    });
    const error = await transport
      .send(new OutgoingRequest(url, { method: "POST", body: "{}" }), write)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toContain("no answer within 0.05 s");
  });
});

describe("reads", () => {
  test("retry a 5xx and a dropped connection", async () => {
    const { send, requests, sleeps } = setup([
      json(500, { statusCode: 500, error: "Internal Server Error", message: "x" }),
      networkError("ECONNRESET"),
      json(200, { user_id: "auth0|1" }),
    ]);
    expect(await send()).toBe(200);
    expect(requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
  });

  test("end with a NetworkError when the retries run out", async () => {
    const { send, requests } = setup(Array.from({ length: 5 }, () => networkError("ECONNRESET")));
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ operation: "Get user", cause: expect.any(TypeError) });
    expect(requests).toHaveLength(5);
  });

  test("stop retrying a 5xx after maxRetries and hand the last answer back", async () => {
    const failing = () => json(503, { statusCode: 503, error: "Service Unavailable", message: "x" });
    const { send, requests } = setup([failing(), failing(), failing()], { maxRetries: 2 });
    expect(await send()).toBe(503);
    expect(requests).toHaveLength(3);
  });

  test("back off exponentially from baseDelayMs, with jitter of at most half", async () => {
    const { send, sleeps } = setup(
      [...Array.from({ length: 3 }, () => networkError("ECONNRESET")), json(200, {})],
      { baseDelayMs: 100 },
    );
    await send();
    expect(sleeps).toHaveLength(3);
    sleeps.forEach((ms, attempt) => {
      expect(ms).toBeGreaterThanOrEqual(50 * 2 ** attempt);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** attempt);
    });
  });

  test("give up when the next backoff would pass the wait cap, however many retries are left", async () => {
    const { send, requests } = setup(
      Array.from({ length: 5 }, () => networkError("ECONNRESET")),
      { baseDelayMs: 1000, maxWaitMs: 1200, maxRetries: 10 },
    );
    await expect(send()).rejects.toBeInstanceOf(NetworkError);
    // The first backoff is 0.5–1 s; the second, 1–2 s, would pass 1.2 s.
    expect(requests).toHaveLength(2);
  });
});

describe("redirects", () => {
  /** What undici throws for a redirect when the request's redirect mode is "error". */
  const redirectRefused = () => new TypeError("fetch failed", { cause: new Error("unexpected redirect") });

  test("are refused, not followed: every request goes with redirect mode error", async () => {
    const seen: Request[] = [];
    const transport = createTransport({
      pacer: false,
      fetch: async (request) => {
        seen.push(request);
        return json(200, {});
      },
    });
    for (const ctx of [read, write]) {
      const sent = await transport.send(new OutgoingRequest(url, { method: ctx.method }), ctx);
      sent.release();
    }
    expect(seen.map((request) => request.redirect)).toEqual(["error", "error"]);
  });

  test("a read answered with a redirect is not retried: a NetworkError that says so and names the fix", async () => {
    const { send, requests, sleeps } = setup([redirectRefused(), json(200, {})]);
    const error = await send().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain("answered with a redirect, which is not followed");
    expect((error as Error).message).toContain("check the tenant's domain");
    expect(requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  test("a write answered with a redirect: the outcome is unknown, and it is sent once", async () => {
    const { send, requests } = setup([redirectRefused()]);
    const error = await send(write).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toContain("answered with a redirect");
    expect(requests).toHaveLength(1);
  });
});

describe("rate limits", () => {
  test("retries a 429 after Retry-After and exposes the rate-limit state", async () => {
    const { transport, send, requests, sleeps } = setup([
      tooMany({
        "retry-after": "2",
        "x-ratelimit-limit": "50",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": "1700000000",
      }),
      json(201, [], {
        "x-ratelimit-limit": "50",
        "x-ratelimit-remaining": "49",
        "x-ratelimit-reset": "1700000003",
      }),
    ]);
    expect(await send(write)).toBe(201);
    expect(requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[0]).toBeLessThanOrEqual(2000 + 250);
    expect(transport.rateLimit).toEqual({ limit: 50, remaining: 49, reset: 1700000003 });
  });

  test("waits one refill, read from x-ratelimit-reset, when there is no Retry-After", async () => {
    const reset = Math.ceil(Date.now() / 1000) + 5;
    const { send, sleeps } = setup([
      tooMany({
        "x-ratelimit-limit": "10",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(reset),
      }),
      json(200, { user_id: "auth0|1" }),
    ]);
    await send();
    // The bucket of 10 is full in 5–6 s (whole seconds): one refill is a tenth of that, jitter ≤ 55 ms. The lower
    // bound leaves a busy machine a second between reading the clock here and in the transport (the exact
    // arithmetic, on a fixed clock, is retryDelay's below and fidelity.test.ts's).
    expect(sleeps[0]).toBeGreaterThan(400);
    expect(sleeps[0]).toBeLessThanOrEqual(600 + 55);
  });

  test("hands the 429 back once waiting more would pass the wait cap", async () => {
    const { send, requests } = setup([tooMany({ "retry-after": "30" }), tooMany({ "retry-after": "30" })], {
      maxWaitMs: 40_000,
    });
    expect(await send()).toBe(429);
    expect(requests).toHaveLength(2);
  });

  test("keeps retrying 429s within the wait cap, however many: maxRetries bounds 5xx, not 429", async () => {
    const { send, requests } = setup(
      [
        ...Array.from({ length: 7 }, () => tooMany({ "retry-after": "1" })),
        json(200, { user_id: "auth0|1" }),
      ],
      { maxRetries: 2 },
    );
    expect(await send()).toBe(200);
    expect(requests).toHaveLength(8);
  });

  test("a 429 pauses every call of the transport, not only the one that met it", async () => {
    let now = 1_700_000_000_000;
    const sleeps: number[] = [];
    const recorder = createRecordingFetch([tooMany({ "retry-after": "3" }), json(200, {}), json(200, {})]);
    const transport = createTransport({
      fetch: recorder.fetch,
      pacer: false,
      now: () => now,
      retry: {
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
    });
    const first = await transport.send(new OutgoingRequest(url), read);
    first.release();
    expect(sleeps).toHaveLength(1);
    // Another call made before the pause has passed (the clock has not moved) waits out what is left of it.
    now += 1000;
    const second = await transport.send(new OutgoingRequest(url), read);
    second.release();
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThanOrEqual(2000 - 1);
    expect(sleeps[1]).toBeLessThanOrEqual((sleeps[0] ?? 0) - 1000);
  });
  test("the retry of a 429 waits for the pacer like any call: calls that met a 429 together do not retry together", async () => {
    const recorder = createRecordingFetch([tooMany({ "retry-after": "0" }), json(200, {})]);
    let release: () => void = () => {};
    let tickets = 0;
    const asked: string[] = [];
    const transport = createTransport({
      fetch: recorder.fetch,
      retry: { sleep: async () => {} },
      pacer: {
        // The first request may go at once; after the 429, only when the pacer says so.
        tryAcquire: () => {
          asked.push("try");
          return tickets === 0 ? tickets++ : undefined;
        },
        acquire: () => {
          asked.push("wait");
          return new Promise((resolve) => {
            release = () => resolve(tickets++);
          });
        },
        settle: () => {},
      },
    });
    const sent = transport.send(new OutgoingRequest(url), read);
    await vi.waitFor(() => expect(asked).toContain("wait"));
    expect(recorder.requests).toHaveLength(1);
    expect(asked).toEqual(["try", "try", "wait"]);
    release();
    const answer = await sent;
    answer.release();
    expect(answer.response.status).toBe(200);
    expect(recorder.requests).toHaveLength(2);
  });
});

describe("the client's signal", () => {
  test("aborts the attempts in flight with its reason", async () => {
    const stop = new AbortController();
    const held: Request[] = [];
    let started = 0;
    const transport = createTransport({
      signal: stop.signal,
      pacer: false,
      fetch: (request) => {
        started++;
        held.push(request);
        return new Promise((_, reject) =>
          request.signal.addEventListener("abort", () => reject(request.signal.reason)),
        );
      },
    });
    const calls = [
      transport.send(new OutgoingRequest(url), read),
      transport.send(new OutgoingRequest(url), read),
    ].map((p) => p.catch((e: unknown) => e));
    while (started < 2) await new Promise((r) => setImmediate(r));
    stop.abort(new Error("interrupted"));
    for (const error of await Promise.all(calls)) expect((error as Error).message).toBe("interrupted");
  });

  test("an aborted signal sends nothing", async () => {
    const stop = new AbortController();
    stop.abort(new Error("stopped before"));
    const recorder = createRecordingFetch([json(200, {})]);
    const transport = createTransport({ signal: stop.signal, pacer: false, fetch: recorder.fetch });
    await expect(transport.send(new OutgoingRequest(url), read)).rejects.toThrow("stopped before");
    expect(recorder.requests).toHaveLength(0);
  });
});

describe("retryDelay", () => {
  test("reads Retry-After in seconds, or as a date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryDelay(new Headers({ "retry-after": "2" }), now)).toBe(2000);
    expect(retryDelay(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:05 GMT" }), now)).toBe(5000);
    expect(retryDelay(new Headers({ "retry-after": "Tue, 31 Dec 2024 23:59:00 GMT" }), now)).toBe(0);
  });

  test("prefers Retry-After to x-ratelimit-reset, and says nothing without either", () => {
    const headers = new Headers({ "retry-after": "1", "x-ratelimit-reset": "1700000100" });
    expect(retryDelay(headers, 1_700_000_000_000)).toBe(1000);
    expect(retryDelay(new Headers(), 0)).toBeUndefined();
    expect(retryDelay(new Headers({ "retry-after": "soon", "x-ratelimit-reset": "0" }), 0)).toBeUndefined();
  });

  test("shares the span until the bucket is full among the requests missing from it", () => {
    const headers = new Headers({
      "x-ratelimit-limit": "10",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": "1700000010",
    });
    expect(retryDelay(headers, 1_700_000_000_000)).toBe(1000);
  });
});

describe("describeNetworkError", () => {
  test("names the socket error's code, else the cause's words", () => {
    expect(describeNetworkError(networkError("ECONNRESET"))).toBe("connection failed: ECONNRESET");
    expect(describeNetworkError(new TypeError("fetch failed", { cause: new Error("bad port") }))).toBe(
      "connection failed: bad port",
    );
    expect(describeNetworkError("?")).toBe("connection failed");
  });

  test("says a refused redirect in words, with what to check", () => {
    const refused = new TypeError("fetch failed", { cause: new Error("unexpected redirect") });
    expect(describeNetworkError(refused)).toBe(
      "answered with a redirect, which is not followed: check the tenant's domain",
    );
  });
});
