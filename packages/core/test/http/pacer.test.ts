import { describe, expect, test } from "vitest";
import { createPacer } from "../../src/http/pacer.ts";

/** A clock that only moves when the pacer sleeps: each sleep advances it, so nothing here waits for real. */
function clock(start = 1_700_000_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
    sleeps,
  };
}

/** The answer of a tenant whose bucket has `remaining` left of `limit`, refilled one request per `intervalMs`. */
function answer(nowMs: number, limit: number, remaining: number, intervalMs: number, status = 200) {
  const reset = Math.ceil((nowMs + (limit - remaining) * intervalMs) / 1000);
  return {
    status,
    headers: new Headers({
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(reset),
    }),
  };
}

describe("pacer", () => {
  test("sends one request to learn the bucket, then spends the burst without waiting", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    const first = await pacer.acquire();
    let secondGranted = false;
    const second = pacer.acquire().then((ticket) => {
      secondGranted = true;
      return ticket;
    });
    await Promise.resolve();
    expect(secondGranted).toBe(false);
    pacer.settle(first, answer(c.now(), 50, 49, 60));
    pacer.settle(await second, answer(c.now(), 50, 48, 60));
    for (let i = 0; i < 46; i++) pacer.settle(await pacer.acquire(), answer(c.now(), 50, 47 - i, 60));
    expect(c.sleeps).toEqual([]);
  });

  test("once the bucket is spent, sends at the refill rate read from x-ratelimit-reset", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    // A simulated tenant: bucket of 10, one request back every 100 ms.
    let tokens = 10;
    let at = c.now();
    const sent: number[] = [];
    for (let i = 0; i < 200; i++) {
      const ticket = await pacer.acquire();
      tokens = Math.min(10, tokens + (c.now() - at) / 100);
      at = c.now();
      expect(tokens).toBeGreaterThanOrEqual(1);
      tokens -= 1;
      sent.push(c.now());
      pacer.settle(ticket, answer(c.now(), 10, Math.floor(tokens), 100));
    }
    const steady = sent.slice(50);
    const perRequest = ((steady.at(-1) ?? 0) - (steady[0] ?? 0)) / (steady.length - 1);
    expect(perRequest).toBeGreaterThan(98);
    expect(perRequest).toBeLessThan(102);
  });

  test("yields when another client spends the same bucket", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    const t0 = await pacer.acquire();
    pacer.settle(t0, answer(c.now(), 50, 40, 100));
    // Another client spent the rest: the tenant says 0 are left, so this one waits for refills, not its own estimate.
    const t1 = await pacer.acquire();
    pacer.settle(t1, answer(c.now(), 50, 0, 100));
    const before = c.now();
    await pacer.acquire();
    expect(c.now() - before).toBeGreaterThanOrEqual(100);
  });

  test("counts requests still in flight that were sent after the answered one", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    const t0 = await pacer.acquire();
    pacer.settle(t0, answer(c.now(), 10, 5, 100));
    const a = await pacer.acquire();
    const b = await pacer.acquire();
    const d = await pacer.acquire();
    // The answer to `a` says 4 left; b and d were sent after it and are not counted there: 2 left.
    pacer.settle(a, answer(c.now(), 10, 4, 100));
    await pacer.acquire();
    expect(c.sleeps).toEqual([]);
    const before = c.now();
    await pacer.acquire();
    expect(c.now()).toBeGreaterThan(before);
    pacer.settle(b, undefined);
    pacer.settle(d, undefined);
  });

  test("keeps one request in hand: the last of the burst waits for a refill", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    for (let left = 9; left >= 1; left--) pacer.settle(await pacer.acquire(), answer(c.now(), 10, left, 500));
    expect(c.sleeps).toEqual([]);
    // One left: another client may take it between this answer and the next request; this one waits for two.
    const before = c.now();
    pacer.settle(await pacer.acquire(), answer(c.now(), 10, 0, 500));
    expect(c.now() - before).toBeGreaterThanOrEqual(400);
  });

  test("an answer the tenant counted before requests sent earlier leaves their requests spent", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    pacer.settle(await pacer.acquire(), answer(c.now(), 10, 9, 500));
    const [a, b, d] = [pacer.tryAcquire(), pacer.tryAcquire(), pacer.tryAcquire()];
    // The tenant counted d first (8 left), then a (7) and b (6); d's answer is read last. It says 8, but a and b,
    // answered before it, may not be among what it counts: 6 are left, not 8.
    pacer.settle(a ?? -1, answer(c.now(), 10, 7, 500));
    pacer.settle(b ?? -1, answer(c.now(), 10, 6, 500));
    pacer.settle(d ?? -1, answer(c.now(), 10, 8, 500));
    let granted = 0;
    while (pacer.tryAcquire() !== undefined) granted++;
    // Six left, one kept in hand: five go now (seven if d's answer were taken as the newest word).
    expect(granted).toBe(5);
  });

  test("reads the refill from when a request was sent, not from when its answer was read", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    // A bucket of 10 refilled every 500 ms, spent; each answer is read 400 ms late (a stalled event loop).
    let tokens = 10;
    let at = c.now();
    const sent: number[] = [];
    for (let i = 0; i < 200; i++) {
      const ticket = await pacer.acquire();
      tokens = Math.min(10, tokens + (c.now() - at) / 500);
      at = c.now();
      expect(tokens).toBeGreaterThanOrEqual(1);
      tokens -= 1;
      sent.push(c.now());
      const told = answer(c.now(), 10, Math.floor(tokens), 500);
      c.advance(400);
      pacer.settle(ticket, told);
    }
    // Read from the late reads, the spans were 400 ms short, the rate a tenth too fast: the bucket ran dry.
    const steady = sent.slice(100);
    expect(((steady.at(-1) ?? 0) - (steady[0] ?? 0)) / (steady.length - 1)).toBeGreaterThanOrEqual(499);
  });

  test("after a 429 the next request waits for refills: the 429 spent nothing, the bucket is empty", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    pacer.settle(await pacer.acquire(), answer(c.now(), 10, 0, 500));
    const refused = await pacer.acquire();
    const waited = c.now();
    pacer.settle(refused, answer(c.now(), 10, 0, 500, 429));
    const [first, second] = [pacer.tryAcquire(), pacer.tryAcquire()];
    expect([first, second]).toEqual([undefined, undefined]);
    await pacer.acquire();
    expect(c.now() - waited).toBeGreaterThanOrEqual(2 * 400);
  });

  test("tryAcquire answers a ticket only when acquire would not wait", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    const first = pacer.tryAcquire();
    expect(first).toBeDefined();
    expect(pacer.tryAcquire()).toBeUndefined(); // learning the bucket: one at a time
    pacer.settle(first ?? -1, answer(c.now(), 10, 2, 500));
    expect(pacer.tryAcquire()).toBeDefined();
    expect(pacer.tryAcquire()).toBeUndefined(); // the bucket is spent: acquire would wait for a refill
    expect(c.sleeps).toEqual([]);
  });

  test("does not pace an API that sends no rate-limit headers on success", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    pacer.settle(await pacer.acquire(), { status: 200, headers: new Headers() });
    const tickets = await Promise.all(Array.from({ length: 20 }, () => pacer.acquire()));
    expect(new Set(tickets).size).toBe(20);
    expect(c.sleeps).toEqual([]);
  });

  test("an error answer without headers does not turn pacing off", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    pacer.settle(await pacer.acquire(), { status: 404, headers: new Headers() });
    const first = await pacer.acquire();
    let granted = false;
    const next = pacer.acquire().then(() => {
      granted = true;
    });
    await Promise.resolve();
    expect(granted).toBe(false);
    pacer.settle(first, answer(c.now(), 50, 49, 60));
    await next;
    expect(granted).toBe(true);
  });

  test("stops waiting when the signal aborts", async () => {
    const c = clock();
    const pacer = createPacer({ now: c.now, sleep: c.sleep });
    pacer.settle(await pacer.acquire(), answer(c.now(), 10, 0, 100));
    const controller = new AbortController();
    controller.abort(new Error("stopped"));
    await expect(pacer.acquire(controller.signal)).rejects.toThrow("stopped");
  });
});
