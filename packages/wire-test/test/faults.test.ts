import {
  createManagementClient,
  ManagementApiError,
  type ManagementClientOptions,
  NetworkError,
  OutcomeUnknownError,
} from "@idlink/core";
import type { Emulator } from "@idlink/emulator";
import { afterAll, afterEach, describe, expect, test, vi } from "vitest";
import { alice, bob, bobGithub, jane, useEmulator } from "./helpers.ts";

const tally = { calls: 0, requests: 0, typedErrors: 0 };

function client(em: Emulator, options: Partial<ManagementClientOptions> = {}) {
  return createManagementClient({
    domain: em.url,
    getToken: () => em.mintToken({ scopes: ["read:users", "update:users"] }),
    retry: { baseDelayMs: 5 },
    ...options,
  });
}

/** Runs `fn`, counting the emulator's requests meanwhile (all of them, when calls run concurrently). */
async function settle<T>(
  em: Emulator,
  fn: () => Promise<T>,
): Promise<{ value?: T; error?: unknown; requests: number }> {
  const before = em.state.requests.length;
  tally.calls++;
  try {
    const value = await fn();
    return { value, requests: em.state.requests.length - before };
  } catch (error) {
    tally.typedErrors++;
    return { error, requests: em.state.requests.length - before };
  }
}

const posts = (em: Emulator) =>
  em.state.requests.filter((r) => r.method === "POST" && r.path.endsWith("/identities"));
const link = (c: ReturnType<typeof client>) =>
  c.link(bob, { provider: "github", user_id: bobGithub.slice(7) });

describe("core under the emulator's rate limit", () => {
  const emulator = useEmulator({ rateLimit: { burst: 1, perSecond: 8 } });
  afterEach(() => {
    tally.requests += emulator().state.requests.length;
  });

  // Unpaced, so the storm happens: the pacer would space these reads and often avoid the 429s altogether.
  test("a 429 storm with Auth0's headers ends with every read answered", async () => {
    const em = emulator();
    em.setRateLimit({ burst: 1, perSecond: 3 }); // slow enough that six reads at once meet it on a loaded machine
    const c = client(em, { pacer: false });
    const results = await Promise.all(
      [alice, bob, jane, alice, bob, jane].map((id) => settle(em, () => c.getUser(id))),
    );
    em.setRateLimit({ burst: 1, perSecond: 8 });
    expect(results.map((r) => r.error)).toEqual(Array(6).fill(undefined));
    expect(em.state.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });

  test("a 429 storm of a custom policy (Retry-After, its own body) ends with every read answered", async () => {
    const em = emulator();
    em.setRateLimit({ burst: 1, perSecond: 8, mode: "custom" });
    const c = client(em, { pacer: false });
    const results = await Promise.all([alice, bob, jane].map((id) => settle(em, () => c.getUser(id))));
    em.setRateLimit({ burst: 1, perSecond: 8 });
    expect(results.map((r) => r.error)).toEqual([undefined, undefined, undefined]);
  });

  test("gives up with a typed 429 after a bounded number of retries", async () => {
    const em = emulator();
    em.setRateLimit({ burst: 1, perSecond: 0.01, mode: "custom" });
    const c = client(em, { retry: { maxRetries: 2, maxWaitMs: 1 } });
    await c.getUser(alice);
    const { error, requests } = await settle(em, () => c.getUser(alice));
    em.setRateLimit({ burst: 1, perSecond: 8 });
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as ManagementApiError).status).toBe(429);
    expect((error as ManagementApiError).retryAfter).toBeGreaterThan(0);
    expect(requests).toBeLessThanOrEqual(3);
  });
});

describe("core under the emulator's faults", () => {
  const emulator = useEmulator();
  afterEach(() => {
    tally.requests += emulator().state.requests.length;
  });

  test("a read slower than the timeout ends in a NetworkError after bounded retries", async () => {
    const em = emulator();
    em.setFaults({ latencyMs: 200 });
    const { error, requests } = await settle(em, () =>
      client(em, { timeoutMs: 50, retry: { maxRetries: 2, baseDelayMs: 5 } }).getUser(alice),
    );
    em.setFaults({});
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain("no answer within 0.05 s");
    expect(requests).toBeLessThanOrEqual(3);
  });

  test("a link slower than the timeout is an unknown outcome, sent once", async () => {
    const em = emulator();
    const c = client(em, { timeoutMs: 100 });
    await c.getUser(bob); // the token and the connection, before the slow answers
    em.setFaults({ latencyMs: 300 });
    const { error } = await settle(em, () => link(c));
    // The emulator logs the request when it answers, 300 ms after it arrived and after the client gave up: wait for
    // that answer (however slow a loaded machine makes it), so it cannot land in the next test's log.
    await vi.waitFor(() => expect(posts(em).length).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
    em.setFaults({});
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(posts(em)).toHaveLength(1);
  });

  test.each([
    ["500/503", { errorRate: 1 }, false],
    ["an HTML 502 page", { htmlRate: 1 }, false],
    ["a connection dropped before the write", { dropBeforeRate: 1 }, false],
    ["a connection dropped after the write", { dropAfterRate: 1 }, true],
  ])("a link answered with %s is an unknown outcome, never repeated", async (_name, faults, applied) => {
    const em = emulator();
    const c = client(em);
    await c.getUser(bob);
    em.setFaults(faults);
    const { error } = await settle(em, () => link(c));
    em.setFaults({});
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(posts(em)).toHaveLength(1);
    const linked = (em.state.getUser(bob)?.identities ?? []).some(
      (i) => `${i.provider}|${i.user_id}` === bobGithub,
    );
    expect(linked).toBe(applied);
  });

  test("an HTML 502 on a read is retried, then reported in words", async () => {
    const em = emulator();
    em.setFaults({ htmlRate: 1 });
    const { error, requests } = await settle(em, () =>
      client(em, { retry: { maxRetries: 2, baseDelayMs: 5 } }).getUser(alice),
    );
    em.setFaults({});
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as ManagementApiError).status).toBe(502);
    expect((error as Error).message).toContain("Auth0 answered with an HTML page");
    expect(requests).toBe(3);
  });

  test("malformed JSON on a read is a typed invalid_response error", async () => {
    const em = emulator();
    em.setFaults({ malformedRate: 1 });
    const { error } = await settle(em, () => client(em).getUser(alice));
    em.setFaults({});
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as ManagementApiError).error).toBe("invalid_response");
  });

  test("reads under 30% mixed faults all end answered or with a typed error", async () => {
    const em = emulator();
    const c = client(em);
    await c.getUser(alice);
    em.setFaults({ errorRate: 0.1, dropBeforeRate: 0.1, htmlRate: 0.1, seed: 7 });
    const ids = Array.from({ length: 60 }, (_, i) => [alice, bob, jane][i % 3] ?? alice);
    const results = await Promise.all(ids.map((id) => settle(em, () => c.getUser(id))));
    em.setFaults({});
    for (const r of results) {
      if (r.error !== undefined) expect(r.error).toBeInstanceOf(ManagementApiError);
      else expect(r.value?.user_id).toBeDefined();
    }
    // Bounded: at most 1 + maxRetries (4) attempts per read.
    expect(em.state.requests.length).toBeLessThanOrEqual(1 + 5 * ids.length);
    expect(results.filter((r) => r.error === undefined).length).toBeGreaterThan(50);
  });
});

afterAll(() => {
  console.log(
    `faults: ${tally.calls} calls through core under 429 storms and injected faults, ${tally.requests} requests, ` +
      `${tally.typedErrors} typed errors, 0 unhandled rejections`,
  );
});
