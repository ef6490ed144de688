import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg } from "node:os";
import { createManagementClient } from "@idlink/core";
import { createEmulator } from "@idlink/emulator";
import { ManagementClient } from "auth0";
import { pairsSeed } from "./seed.ts";
import { median, ms, now, ratio, type Section } from "./stats.ts";

type Op = (primary: string, secondary: string) => Promise<unknown>;
interface Contender {
  get: Op;
  link: Op;
}
type Server = "emulator" | "instant";

const provider = "github";
const userId = (id: string) => id.slice("github|".length);

/**
 * A loopback server that answers every request at once with a fixed body (a user for a GET, identities for a POST)
 * and the rate-limit headers of a bucket that never empties: no token check, no state, so what a client costs of
 * its own shows in full beside a raw fetch.
 */
async function instantServer() {
  const user = JSON.stringify({
    user_id: "auth0|b000000",
    email: "b000000@example.com",
    identities: [{ provider: "auth0", user_id: "b000000", connection: "Username-Password-Authentication" }],
  });
  const identities = JSON.stringify([
    { provider: "auth0", user_id: "b000000", connection: "Username-Password-Authentication" },
    { provider, user_id: "b000000", connection: provider },
  ]);
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const body = request.method === "POST" ? identities : user;
      response.writeHead(request.method === "POST" ? 201 : 200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
        "x-ratelimit-limit": "1000000000",
        "x-ratelimit-remaining": "999999999",
        "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000)),
      });
      response.end(body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The four clients, on one server: raw fetch as written by hand, the same with redirects refused, core, the SDK. */
function contenders(origin: string, token: string): Record<string, Contender> {
  const base = `${origin}/api/v2`;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const user = (p: string) => `${base}/users/${encodeURIComponent(p)}`;
  const body = (s: string) => JSON.stringify({ provider, user_id: userId(s) });
  const core = createManagementClient({ domain: origin, token });
  const sdkDomain = "bench.auth0.example";
  const sdk = new ManagementClient({
    domain: sdkDomain,
    token,
    fetch: (input, init) =>
      fetch(
        (input instanceof Request ? input.url : String(input)).replace(`https://${sdkDomain}`, origin),
        init,
      ),
  });
  // What core sends with (see its transport): refusing redirects spares fetch a copy of each request.
  const noRedirect = { redirect: "error", window: null } as const;
  return {
    fetch: {
      get: async (p) => (await fetch(user(p), { headers })).json(),
      link: async (p, s) =>
        (await fetch(`${user(p)}/identities`, { method: "POST", headers, body: body(s) })).json(),
    },
    "idlink core": {
      get: (p) => core.getUser(p),
      link: (p, s) => core.link(p, { provider, user_id: userId(s) }),
    },
    "auth0 SDK": {
      get: (p) => sdk.users.get(p),
      link: (p, s) => sdk.users.identities.link(p, { provider, user_id: userId(s) }),
    },
    "fetch, redirects refused": {
      get: async (p) => (await fetch(user(p), { headers, ...noRedirect })).json(),
      link: async (p, s) =>
        (
          await fetch(`${user(p)}/identities`, { method: "POST", headers, body: body(s), ...noRedirect })
        ).json(),
    },
  };
}

/**
 * Get user and link against the emulator on loopback, and against a server that answers at once: idlink core vs a
 * hand-written fetch (the floor, in the same run) vs Auth0's Node SDK. Every call alternates with the other
 * contenders' (in a rotating order), so machine noise falls on all alike; the load average is recorded beside the
 * ratios.
 */
export async function clientOverhead(size: { rounds: number; callsPerRound: number }): Promise<Section> {
  const warmup = 20;
  const names = ["fetch", "idlink core", "auth0 SDK", "fetch, redirects refused"];
  const { seed, pairs } = pairsSeed((size.rounds * size.callsPerRound + warmup) * names.length);
  const loads = [loadavg()[0] ?? 0];
  const emulator = await createEmulator({ seed, rateLimit: { burst: 1e9, perSecond: 1e9 } });
  const instant = await instantServer();
  try {
    const token = await emulator.mintToken({ scopes: ["read:users", "update:users"] });
    const on: Record<Server, Record<string, Contender>> = {
      emulator: contenders(emulator.url, token),
      instant: contenders(instant.url, token),
    };
    const latency = {} as Record<Server, Record<string, { get: number[]; link: number[] }>>;
    for (const server of ["emulator", "instant"] as const)
      latency[server] = Object.fromEntries(names.map((n) => [n, { get: [], link: [] }]));
    const throughput: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    let next = 0;
    const take = () => {
      const pair = pairs[next++];
      if (!pair) throw new Error("bench seed too small");
      return pair;
    };
    /** One get and one link of `name` on `server`, timed unless warming up. */
    const timed = async (server: Server, name: string, record: boolean) => {
      const c = on[server][name];
      const l = latency[server][name];
      if (!c || !l) return;
      const pair = server === "emulator" ? take() : { primary: "auth0|b000000", secondary: "github|b000000" };
      let t = now();
      await c.get(pair.primary, pair.secondary);
      if (record) l.get.push(now() - t);
      t = now();
      await c.link(pair.primary, pair.secondary);
      if (record) l.link.push(now() - t);
    };
    // The emulator, then the instant server: on each, calls alternate client by client in a rotating order, after
    // an untimed warm-up (keep-alive connections, JIT, the parsers core loads on its first link).
    for (const server of ["emulator", "instant"] as const) {
      for (let i = 0; i < warmup; i++) for (const name of names) await timed(server, name, false);
      for (let round = 0; round < size.rounds; round++) {
        for (let i = 0; i < size.callsPerRound; i++)
          for (let k = 0; k < names.length; k++)
            await timed(server, names[(i + k) % names.length] ?? "", true);
        if (server === "instant") continue;
        // concurrency 16 on the emulator: gets of the same users, each contender in turn
        for (const name of names) {
          const c = on.emulator[name];
          if (!c) continue;
          const t = now();
          const batch = Array.from(
            { length: size.callsPerRound },
            (_, i) => pairs[i % pairs.length]?.primary ?? "",
          );
          for (let i = 0; i < batch.length; i += 16)
            await Promise.all(batch.slice(i, i + 16).map((p) => c.get(p, "")));
          throughput[name]?.push(batch.length / ((now() - t) / 1000));
        }
      }
    }
    loads.push(loadavg()[0] ?? 0);
    const linked = emulator.state
      .listUsers()
      .filter((u) => u.user_id.startsWith("auth0|b") && u.identities.length > 1).length;
    const f = (server: Server, name: string, op: "get" | "link") => median(latency[server][name]?.[op] ?? []);
    const vs = (server: Server, name: string, op: "get" | "link", floor = "fetch") =>
      f(server, name, op) / f(server, floor, op);
    const rate = (name: string) => median(throughput[name] ?? []);
    const table = [
      [
        "client",
        "get user (median)",
        "link (median)",
        "get vs fetch",
        "link vs fetch",
        "get/s at concurrency 16",
        "instant server: get, link (median)",
        "instant server: get, link vs fetch",
      ],
      ...names
        .filter((n) => n !== "fetch, redirects refused")
        .map((n) => [
          n === "fetch" ? "fetch (the floor)" : n,
          ms(f("emulator", n, "get")),
          ms(f("emulator", n, "link")),
          ratio(vs("emulator", n, "get")),
          ratio(vs("emulator", n, "link")),
          rate(n).toFixed(0),
          `${ms(f("instant", n, "get"))}, ${ms(f("instant", n, "link"))}`,
          `${ratio(vs("instant", n, "get"))}, ${ratio(vs("instant", n, "link"))}`,
        ]),
    ];
    const coreGet = vs("emulator", "idlink core", "get");
    const coreLink = vs("emulator", "idlink core", "link");
    const sdk = (op: "get" | "link") => vs("emulator", "auth0 SDK", op);
    const met = coreGet <= 1.1 && coreLink <= 1.1 && coreGet < sdk("get") && coreLink < sdk("link");
    const refused = "fetch, redirects refused";
    const load = `load average (1 min) ${loads.map((l) => l.toFixed(2)).join(" → ")} on ${cpus().length} cores`;
    return {
      title: "1. Client overhead (loopback emulator)",
      command: "pnpm bench (this section alone: pnpm --filter @idlink/bench run bench client)",
      table,
      notes: [
        `${met ? "**Met**" : "**Missed**"}: core ${ratio(coreGet)} on get and ${ratio(coreLink)} on link of a raw fetch against the emulator (target ≤ 1.10× on both, and faster than Auth0's SDK: ${ratio(sdk("get"))}, ${ratio(sdk("link"))}), ${load}.`,
        `${size.rounds} rounds × ${size.callsPerRound} calls per client, operation and server, after ${warmup} untimed; the emulator's rounds, then the instant server's, each call alternating with the other clients' in a rotating order; medians of every call; ${linked} links made on the emulator, one per pair.`,
        "The floor is a hand-written fetch in the same run: `fetch(url, { headers })` and `.json()`. The target is read against the emulator, which does per request what a tenant does (checks the token, validates, changes its state); the instant server answers a fixed body at once, so its ratios show a client's own cost in full — an upper bound no network can reach.",
        `Core keeps what a raw fetch lacks: validation before sending, a timeout per attempt, the pacer, retries, typed errors. It refuses redirects (the Management API answers none), which spares fetch a copy of each request; a hand-written fetch that does the same measured get ${ms(f("emulator", refused, "get"))}, link ${ms(f("emulator", refused, "link"))} here (${ratio(vs("emulator", refused, "get"))}, ${ratio(vs("emulator", refused, "link"))} of the floor; core ${ratio(vs("emulator", "idlink core", "get", refused))}, ${ratio(vs("emulator", "idlink core", "link", refused))} of it).`,
        "All clients get the same token; the SDK's fetch only rewrites its https origin to the server's.",
      ],
      figures: {
        coreVsFetchLink: coreLink,
        coreVsFetchGet: coreGet,
        coreVsSdkLink: f("emulator", "idlink core", "link") / f("emulator", "auth0 SDK", "link"),
        coreVsFetchLinkInstant: vs("instant", "idlink core", "link"),
        coreVsFetchGetInstant: vs("instant", "idlink core", "get"),
        loadStart: loads[0] ?? 0,
        loadEnd: loads[1] ?? 0,
        linked,
        expectedLinks: size.rounds * size.callsPerRound * names.length + warmup * names.length,
      },
    };
  } finally {
    await instant.stop();
    await emulator.stop();
  }
}
