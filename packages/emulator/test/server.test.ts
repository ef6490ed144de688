import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { describe, expect, test } from "vitest";
import {
  adminClient,
  createEmulator,
  defaultSeed,
  parseSeed,
  SeedError,
  seedDatabaseConnectionId,
  seedSecrets,
  seedUsers,
} from "../src/index.ts";
import { adminToken, alice, aliceGoogle, enc, useEmulator } from "./helpers.ts";

const demo = "http://localhost:5173";
const emulator = useEmulator({ corsOrigins: [demo] });

describe("CORS", () => {
  test("answers a preflight from an allowed origin", async () => {
    const res = await fetch(`${emulator().url}/api/v2/users/${enc(alice)}/identities`, {
      method: "OPTIONS",
      headers: {
        origin: demo,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(demo);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  test("exposes the rate-limit headers to the allowed origin only", async () => {
    const em = emulator();
    const allowed = await fetch(`${em.url}/api/v2/users/${enc(alice)}`, { headers: { origin: demo } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe(demo);
    expect(allowed.headers.get("access-control-expose-headers")).toContain("x-ratelimit-remaining");
    const other = await fetch(`${em.url}/api/v2/users/${enc(alice)}`, {
      headers: { origin: "https://evil.example" },
    });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${em.url}/oauth/token`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example" },
    });
    expect(preflight.status).toBe(403);
  });
});

describe("server", () => {
  test("listens on 127.0.0.1 only", async () => {
    const em = emulator();
    expect(em.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(em.issuer).toBe(`${em.url}/`);
    expect(em.managementAudience).toBe(`${em.url}/api/v2/`);
    const port = new URL(em.url).port;
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === "IPv4" && !address.internal);
    if (external) {
      await expect(fetch(`http://${external.address}:${port}/.well-known/jwks.json`)).rejects.toThrow();
    }
  });

  test("answers Auth0's 404 for an unknown route", async () => {
    const res = await fetch(`${emulator().url}/api/v2/clients`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ statusCode: 404, error: "Not Found", message: "Not Found" });
  });

  test("records requests with their raw path", async () => {
    const em = emulator();
    await fetch(`${em.url}/api/v2/users/${enc(alice)}?fields=email`);
    expect(em.state.requests).toEqual([
      {
        method: "GET",
        path: "/api/v2/users/auth0%7C64f1a2b3c4d5e6f708192a3b",
        query: "fields=email",
        status: 401,
        at: expect.any(Number),
      },
    ]);
  });

  test("resets to its seed", async () => {
    const em = emulator();
    const token = await adminToken(em);
    await fetch(`${em.url}/api/v2/users/${enc(alice)}/identities`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ provider: "google-oauth2", user_id: "108234567890123456789" }),
    });
    expect(em.state.getUser(aliceGoogle)).toBeUndefined();
    em.state.reset();
    expect(em.state.getUser(aliceGoogle)).toBeDefined();
    expect(em.state.requests).toEqual([]);
  });

  test("stops, closing kept-alive sockets", async () => {
    const em = await createEmulator();
    const socketClosed = new Promise<void>((resolve) => {
      const req = request(
        `${em.url}/.well-known/jwks.json`,
        { agent: undefined, headers: { connection: "keep-alive" } },
        (res) => {
          res.resume();
          res.on("end", () => {
            req.socket?.on("close", () => resolve());
            void em.stop();
          });
        },
      );
      req.end();
    });
    await socketClosed;
    await expect(fetch(`${em.url}/.well-known/jwks.json`)).rejects.toThrow();
  });
});

/** One request over node:http, which (unlike fetch) sends the Host it is given. */
function rawRequest(
  url: string,
  headers: Record<string, string>,
  options: { method?: string } = {},
): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("Host header", () => {
  test("refuses a foreign Host (DNS rebinding) with 421 in Auth0's shape, before any route runs", async () => {
    const em = emulator();
    const token = await adminToken(em);
    const refused = await rawRequest(`${em.url}/api/v2/users/${enc(alice)}`, {
      host: "evil.example",
      authorization: `Bearer ${token}`,
    });
    expect(refused.status).toBe(421);
    expect(JSON.parse(refused.body)).toEqual({
      statusCode: 421,
      error: "Misdirected Request",
      message: "The Host header is not this emulator's; it answers only 127.0.0.1 or localhost on its port",
    });
    expect(refused.body).not.toContain("evil.example");
    // The page a rebinding attack would load, the token endpoint and a CORS preflight: all refused.
    const port = new URL(em.url).port;
    for (const [path, method, host] of [
      ["/u/login", "GET", `evil.example:${port}`],
      ["/oauth/token", "POST", "evil.example"],
      ["/api/v2/users", "OPTIONS", `127.0.0.2:${port}`],
      ["/.well-known/jwks.json", "GET", "127.0.0.1"],
      ["/.well-known/jwks.json", "GET", `localhost:${Number(port) + 1}`],
      ["/.well-known/jwks.json", "GET", `[::1]:${port}`],
    ] as const) {
      expect(
        (await rawRequest(`${em.url}${path}`, { host }, { method })).status,
        `${method} ${path} ${host}`,
      ).toBe(421);
    }
    // HTTP/1.0 may leave Host out: refused as well (HTTP/1.1 without Host is node:http's own 400).
    const answer = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = connect(Number(port), "127.0.0.1", () =>
        socket.end("GET /.well-known/jwks.json HTTP/1.0\r\n\r\n"),
      );
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        text += chunk;
      });
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 421 /);
    expect(answer).toContain("The request has no Host header");
  });

  test("answers its own host: 127.0.0.1 and localhost on its port, in any case", async () => {
    const em = emulator();
    const port = new URL(em.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`]) {
      expect((await rawRequest(`${em.url}/.well-known/jwks.json`, { host })).status, host).toBe(200);
    }
    const token = await adminToken(em);
    const user = await fetch(`${em.url}/api/v2/users/${enc(alice)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(user.status).toBe(200);
  });
});

describe("seed", () => {
  test("the bundled seed is the package's seed.json and parses", () => {
    const file = JSON.parse(readFileSync(new URL("../seed.json", import.meta.url), "utf8"));
    expect(defaultSeed()).toEqual(file);
    const seed = parseSeed(file);
    expect(seed.users).toHaveLength(12);
    const providers = new Set(seed.users.flatMap((u) => u.identities.map((i) => i.provider)));
    expect([...providers].sort()).toEqual(["auth0", "github", "google-oauth2", "samlp"]);
    expect(seed.users.some((u) => u.email_verified === false)).toBe(true);
  });

  test("names a bad field", () => {
    expect(() => parseSeed({ connections: [], clients: [], users: [] })).toThrow(SeedError);
    const seed = defaultSeed();
    const [first] = seed.users;
    if (first) first.user_id = "auth0|other";
    expect(() => parseSeed(seed)).toThrow(/first identity/);
  });

  test("exports its named users, each a user or a linked identity of the seed", () => {
    const seed = defaultSeed();
    const identities = seed.users.flatMap((u) => u.identities.map((i) => `${i.provider}|${i.user_id}`));
    for (const id of Object.values(seedUsers)) expect(identities).toContain(id);
    const linked = seed.users.find((u) => u.user_id === seedUsers.frank)?.identities.map((i) => i.user_id);
    expect(linked).toContain(7700123);
    expect(seed.connections.map((c) => c.id)).toContain(seedDatabaseConnectionId);
  });

  test("names the admin client: an M2M client with update:users and a secret", () => {
    expect(adminClient()).toEqual({ clientId: "idlink-admin", clientSecret: "emulator-only-secret-admin" });
    const seed = defaultSeed();
    seed.clients = seed.clients.filter((c) => c.client_id !== "idlink-admin");
    expect(adminClient(seed)).toBeUndefined();
  });

  test("collects every secret of the seed", () => {
    const secrets = seedSecrets();
    expect(secrets).toContain("emulator-only-secret-admin");
    expect(secrets).toContain("emulator-only-idp-refresh-token-google-alice");
    expect(secrets.every((secret) => secret.startsWith("emulator-only-"))).toBe(true);
  });

  test("starts from a custom seed", async () => {
    const seed = defaultSeed();
    seed.users = seed.users.slice(0, 1);
    const em = await createEmulator({ seed });
    expect(em.state.listUsers()).toHaveLength(1);
    await em.stop();
  });
});
