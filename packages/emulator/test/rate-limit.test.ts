import { afterEach, describe, expect, test } from "vitest";
import { createEmulator, defaultRateLimit, type Emulator } from "../src/index.ts";
import { alice, call, enc } from "./helpers.ts";

let em: Emulator | undefined;
afterEach(async () => {
  await em?.stop();
  em = undefined;
});

describe("rate limit", () => {
  test("defaults to a paid tenant's bucket", async () => {
    expect(defaultRateLimit).toEqual({ burst: 50, perSecond: 16.7 });
    em = await createEmulator();
    const token = await em.mintToken({ scopes: ["read:users"] });
    const res = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token });
    expect(res.headers.get("x-ratelimit-limit")).toBe("50");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("49");
  });

  test("counts down and answers Auth0's 429 when the bucket is empty", async () => {
    em = await createEmulator({ rateLimit: { burst: 3, perSecond: 0.01 } });
    const token = await em.mintToken({ scopes: ["read:users"] });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token });
      expect(res.status).toBe(200);
      remaining.push(res.headers.get("x-ratelimit-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const limited = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      statusCode: 429,
      error: "Too Many Requests",
      message: "Global limit has been reached",
      errorCode: "too_many_requests",
    });
    const reset = Number(limited.headers.get("x-ratelimit-reset"));
    expect(reset).toBeGreaterThan(Date.now() / 1000);
  });

  test("answers a custom policy's body with Retry-After", async () => {
    em = await createEmulator({ rateLimit: { burst: 1, perSecond: 0.5, mode: "custom" } });
    await call(em, "GET", `/api/v2/users/${enc(alice)}`);
    const limited = await call(em, "GET", `/api/v2/users/${enc(alice)}`);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: "too_many_requests", error_description: expect.any(String) });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  test("refills over time and can be changed or switched off", async () => {
    em = await createEmulator({ rateLimit: { burst: 1, perSecond: 50 } });
    expect((await fetch(`${em.url}/api/v2/users/x`)).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await fetch(`${em.url}/api/v2/users/x`)).status).toBe(401);
    em.setRateLimit({ burst: 1, perSecond: 0.001 });
    expect((await fetch(`${em.url}/api/v2/users/x`)).status).toBe(401);
    expect((await fetch(`${em.url}/api/v2/users/x`)).status).toBe(429);
    em.setRateLimit(false);
    const open = await fetch(`${em.url}/api/v2/users/x`);
    expect(open.status).toBe(401);
    expect(open.headers.get("x-ratelimit-limit")).toBeNull();
  });

  test("leaves the Authentication API out of the Management bucket", async () => {
    em = await createEmulator({ rateLimit: { burst: 1, perSecond: 0.001 } });
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${em.url}/.well-known/jwks.json`)).status).toBe(200);
    }
  });
});
