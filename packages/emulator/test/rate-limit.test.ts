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

describe("rate limit of the Authentication API", () => {
  const clientCredentials = (url: string, secret: string) =>
    fetch(`${url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "client_credentials",
        client_id: "idlink-admin",
        client_secret: secret,
        audience: `${url}/api/v2/`,
      }),
    });

  test("gives the token endpoint a bucket of its own, whose headers come on refusals too", async () => {
    em = await createEmulator({ rateLimit: { burst: 2, perSecond: 0.001 } });
    const token = await em.mintToken({ scopes: ["read:users"] });
    const refused = await clientCredentials(em.url, "wrong");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("x-ratelimit-limit")).toBe("2");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("1");
    // The Management bucket is untouched by it.
    const read = await call(em, "GET", `/api/v2/users/${enc(alice)}`, { token });
    expect(read.headers.get("x-ratelimit-remaining")).toBe("1");
    const granted = await clientCredentials(em.url, "emulator-only-secret-admin");
    expect(granted.status).toBe(200);
    expect(granted.headers.get("x-ratelimit-remaining")).toBe("0");
    const limited = await clientCredentials(em.url, "emulator-only-secret-admin");
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      error: "too_many_requests",
      error_description: "Global limit has been reached",
    });
  });

  test("counts /userinfo apart and sends its headers on success only", async () => {
    em = await createEmulator({ rateLimit: { burst: 5, perSecond: 0.001 } });
    const { access_token } = await em.login(alice);
    const ok = await fetch(`${em.url}/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-remaining")).toBe("4");
    const refused = await fetch(`${em.url}/userinfo`, { headers: { authorization: "Bearer nope" } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("x-ratelimit-limit")).toBeNull();
  });

  test("is switched off with the Management API's", async () => {
    em = await createEmulator({ rateLimit: { burst: 1, perSecond: 0.001 } });
    em.setRateLimit(false);
    for (let i = 0; i < 3; i++) {
      const res = await clientCredentials(em.url, "emulator-only-secret-admin");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBeNull();
    }
  });
});
