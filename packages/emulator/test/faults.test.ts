import { describe, expect, test } from "vitest";
import { adminToken, alice, aliceGoogle, call, enc, identitiesPath, useEmulator } from "./helpers.ts";

const emulator = useEmulator();
const linkBody = JSON.stringify({ provider: "google-oauth2", user_id: "108234567890123456789" });

async function postLink(url: string, token: string) {
  return fetch(`${url}${identitiesPath(alice)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: linkBody,
  });
}

describe("faults", () => {
  test("adds latency", async () => {
    const em = emulator();
    em.setFaults({ latencyMs: 120 });
    const started = performance.now();
    await fetch(`${em.url}/api/v2/users/${enc(alice)}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    em.setFaults({});
  });

  test("a request answered after a reset is not logged in the new log", async () => {
    const em = emulator();
    em.setFaults({ latencyMs: 150 });
    const slow = fetch(`${em.url}/api/v2/users/${enc(alice)}`);
    await new Promise((r) => setTimeout(r, 30));
    em.state.reset();
    em.setFaults({});
    expect((await slow).status).toBe(401);
    await call(em, "GET", `/api/v2/users/${enc(alice)}`);
    expect(em.state.requests.map((r) => r.status)).toEqual([401]);
  });

  test("limits faults to the methods named", async () => {
    const em = emulator();
    em.setFaults({ errorRate: 1, methods: ["POST"] });
    const token = await adminToken(em);
    const read = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token });
    expect(read.status).toBe(200);
    expect([500, 503]).toContain((await postLink(em.url, token)).status);
    em.setFaults({});
  });

  test("answers 500 or 503 without applying the write", async () => {
    const em = emulator();
    em.setFaults({ errorRate: 1 });
    const res = await postLink(em.url, await adminToken(em));
    expect([500, 503]).toContain(res.status);
    expect(await res.json()).toMatchObject({ statusCode: res.status });
    expect(em.state.getUser(aliceGoogle)).toBeDefined();
    em.setFaults({});
  });

  test("drops the connection before applying the write", async () => {
    const em = emulator();
    em.setFaults({ dropBeforeRate: 1 });
    await expect(postLink(em.url, await adminToken(em))).rejects.toThrow();
    expect(em.state.getUser(aliceGoogle)).toBeDefined();
    expect(em.state.requests.at(-1)?.status).toBe(0);
    em.setFaults({});
  });

  test("drops the connection after applying the write", async () => {
    const em = emulator();
    em.setFaults({ dropAfterRate: 1 });
    await expect(postLink(em.url, await adminToken(em))).rejects.toThrow();
    // The link happened although the client never heard.
    expect(em.state.getUser(aliceGoogle)).toBeUndefined();
    em.setFaults({});
    const primary = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token: await adminToken(em) });
    expect(primary.body).toMatchObject({ identities: [{}, { provider: "google-oauth2" }] });
  });

  test("sends malformed JSON", async () => {
    const em = emulator();
    em.setFaults({ malformedRate: 1 });
    const res = await fetch(`${em.url}/api/v2/users/${enc(alice)}`, {
      headers: { authorization: `Bearer ${await adminToken(em)}` },
    });
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
    em.setFaults({});
  });

  test("answers a proxy's HTML page", async () => {
    const em = emulator();
    em.setFaults({ htmlRate: 1 });
    const res = await fetch(`${em.url}/api/v2/users/${enc(alice)}`);
    expect(res.status).toBe(502);
    expect(res.headers.get("content-type")).toContain("text/html");
    em.setFaults({});
  });

  test("replays the same faults for the same seed", async () => {
    const em = emulator();
    const run = async () => {
      em.setFaults({ errorRate: 0.5, seed: 7 });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await fetch(`${em.url}/api/v2/users/x`)).status);
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
    em.setFaults({});
  });
});
