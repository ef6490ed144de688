import { createManagementClient, type DebugEvent, readAccount } from "@idlink/core";
import { tokenOptions } from "@idlink/core/node";
import { createEmulator, type Emulator, seedUsers } from "@idlink/emulator";
import { afterEach, describe, expect, test } from "vitest";
import { parseConfig } from "../src/env.ts";
import { prefetchToken } from "../src/prefetch-token.ts";
import { adminClient } from "./helpers.ts";

// Core caches tokens per process by tenant, client and audience: each test has an emulator (a tenant) of its own.
const started: Emulator[] = [];
afterEach(async () => {
  for (const emulator of started.splice(0)) await emulator.stop();
});

async function emulator(port?: number): Promise<Emulator> {
  const em = await createEmulator({ rateLimit: false, ...(port === undefined ? {} : { port }) });
  started.push(em);
  return em;
}

const config = (domain: string, env: Record<string, string> = {}) =>
  parseConfig(
    {
      AUTH0_DOMAIN: domain,
      AUTH0_CLIENT_ID: adminClient.clientId,
      AUTH0_CLIENT_SECRET: adminClient.clientSecret,
      ...env,
    },
    [],
  );

const tokenRequests = (em: Emulator) =>
  em.state.requests.filter((r) => r.path === "/oauth/token").map((r) => r.status);

/** What the first call does with these credentials: the client idlink-mcp builds (src/app.ts) reads a user. */
async function firstCall(domain: string, credentials: Awaited<ReturnType<typeof config>>["credentials"]) {
  const client = createManagementClient({ domain, ...tokenOptions(credentials) });
  return readAccount(client, seedUsers.alice, "user");
}

describe("prefetchToken", () => {
  test("asks for the Management token once, and the first call finds it", async () => {
    const em = await emulator();
    const settings = await config(em.url);
    prefetchToken(settings);
    await expect.poll(() => tokenRequests(em)).toEqual([200]);
    expect((await firstCall(em.url, settings.credentials)).user_id).toBe(seedUsers.alice);
    expect(tokenRequests(em)).toEqual([200]);
  });

  test("a failure is quiet, and the first call asks again", async () => {
    // A tenant that cannot be reached at start (nothing listens on its port yet) and can by the first call.
    const gone = await emulator();
    const { url } = gone;
    started.splice(started.indexOf(gone), 1);
    await gone.stop();
    const settings = await config(url);
    const events: DebugEvent[] = [];
    prefetchToken(settings, (event) => events.push(event));
    await expect.poll(() => events.map((e) => e.type)).toEqual(["request", "no-answer"]);
    // Its rejection is handled (vitest fails a test on an unhandled one), and it said nothing but the debug trail.
    const em = await emulator(Number(new URL(url).port));
    expect((await firstCall(em.url, settings.credentials)).user_id).toBe(seedUsers.alice);
    expect(tokenRequests(em)).toEqual([200]);
  });

  test("asks for nothing with a token given as it is (AUTH0_TOKEN)", async () => {
    const em = await emulator();
    const token = await em.mintToken({ scopes: ["read:users"] });
    const settings = await parseConfig({ AUTH0_DOMAIN: em.url, AUTH0_TOKEN: token }, []);
    const events: DebugEvent[] = [];
    prefetchToken(settings, (event) => events.push(event));
    expect((await firstCall(em.url, settings.credentials)).user_id).toBe(seedUsers.alice);
    expect(events).toEqual([]);
    expect(tokenRequests(em)).toEqual([]);
  });
});
