import { getEventListeners } from "node:events";
import { describe, expect, test } from "vitest";
import { abortableSleep, readRateLimit } from "../../src/http/rate-limit-headers.ts";

describe("readRateLimit", () => {
  test("reads the three x-ratelimit-* headers as numbers", () => {
    const headers = new Headers({
      "x-ratelimit-limit": "50",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": "1700000003",
    });
    expect(readRateLimit(headers)).toEqual({ limit: 50, remaining: 0, reset: 1700000003 });
  });

  test.each([
    [{}],
    [{ "x-ratelimit-limit": "50", "x-ratelimit-remaining": "49" }],
    [{ "x-ratelimit-limit": "50", "x-ratelimit-remaining": "49", "x-ratelimit-reset": "soon" }],
    [{ "x-ratelimit-limit": "Infinity", "x-ratelimit-remaining": "49", "x-ratelimit-reset": "1" }],
  ])("is undefined unless all three are present and finite: %j", (headers) => {
    expect(readRateLimit(new Headers(headers))).toBeUndefined();
  });
});

describe("abortableSleep", () => {
  test("waits about the time asked", async () => {
    const start = performance.now();
    await abortableSleep(30);
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
  });

  test("rejects with the signal's reason as soon as it aborts, long before the time is up", async () => {
    const stop = new AbortController();
    const start = performance.now();
    const sleeping = abortableSleep(60_000, stop.signal);
    setTimeout(() => stop.abort(new Error("interrupted")), 10);
    await expect(sleeping).rejects.toThrow("interrupted");
    expect(performance.now() - start).toBeLessThan(5_000);
  });

  test("rejects at once on a signal already aborted", async () => {
    const stop = new AbortController();
    stop.abort(new Error("already"));
    await expect(abortableSleep(60_000, stop.signal)).rejects.toThrow("already");
  });

  test("leaves no listener on the signal once it has slept", async () => {
    const stop = new AbortController();
    const sleeping = abortableSleep(1, stop.signal);
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(1);
    await sleeping;
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
  });
});
