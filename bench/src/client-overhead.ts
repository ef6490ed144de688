import { createManagementClient } from "@idlink/core";
import { createEmulator } from "@idlink/emulator";
import { ManagementClient } from "auth0";
import { pairsSeed } from "./seed.ts";
import { median, ms, now, ratio, type Section } from "./stats.ts";

type Op = (primary: string, secondary?: string) => Promise<unknown>;

/**
 * One link and one get user against the emulator on loopback: idlink core vs a hand-written fetch vs Auth0's Node
 * SDK. Contenders alternate round by round so that machine noise falls on all of them alike.
 */
export async function clientOverhead(size: { rounds: number; callsPerRound: number }): Promise<Section> {
  const total = size.rounds * size.callsPerRound * 3 * 2;
  const { seed, pairs } = pairsSeed(total);
  const emulator = await createEmulator({ seed, rateLimit: { burst: 1e9, perSecond: 1e9 } });
  try {
    const token = await emulator.mintToken({ scopes: ["read:users", "update:users"] });
    const base = `${emulator.url}/api/v2`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const core = createManagementClient({ domain: emulator.url, token });
    const sdkDomain = "bench.auth0.example";
    const sdk = new ManagementClient({
      domain: sdkDomain,
      token,
      fetch: (input, init) =>
        fetch(
          (input instanceof Request ? input.url : String(input)).replace(
            `https://${sdkDomain}`,
            emulator.url,
          ),
          init,
        ),
    });
    const provider = "github" as const;
    const userId = (id = "") => id.slice("github|".length);
    const contenders: Record<string, { get: Op; link: Op }> = {
      fetch: {
        get: async (p) => (await fetch(`${base}/users/${encodeURIComponent(p)}`, { headers })).json(),
        link: async (p, s) =>
          (
            await fetch(`${base}/users/${encodeURIComponent(p)}/identities`, {
              method: "POST",
              headers,
              body: JSON.stringify({ provider, user_id: userId(s) }),
            })
          ).json(),
      },
      "idlink core": {
        get: (p) => core.getUser(p),
        link: (p, s) => core.link(p, { provider, user_id: userId(s) }),
      },
      "auth0 SDK": {
        get: (p) => sdk.users.get(p),
        link: (p, s) => sdk.users.identities.link(p, { provider, user_id: userId(s) }),
      },
    };
    const names = Object.keys(contenders);
    const latency: Record<string, { get: number[]; link: number[] }> = Object.fromEntries(
      names.map((n) => [n, { get: [], link: [] }]),
    );
    const throughput: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    let next = 0;
    const take = () => {
      const pair = pairs[next++];
      if (!pair) throw new Error("bench seed too small");
      return pair;
    };
    for (const name of names) await contenders[name]?.get(pairs[0]?.primary ?? ""); // warm-up: keep-alive, JIT
    // Calls alternate contender by contender (in a rotating order), so that drift on a noisy machine falls on all.
    for (let round = 0; round < size.rounds; round++) {
      for (let i = 0; i < size.callsPerRound; i++) {
        for (let k = 0; k < names.length; k++) {
          const name = names[(i + k) % names.length] ?? "";
          const c = contenders[name];
          const l = latency[name];
          if (!c || !l) continue;
          const pair = take();
          let t = now();
          await c.get(pair.primary);
          l.get.push(now() - t);
          t = now();
          await c.link(pair.primary, pair.secondary);
          l.link.push(now() - t);
        }
      }
      // concurrency 16: gets of the same users, each contender in turn
      for (const name of names) {
        const c = contenders[name];
        if (!c) continue;
        const t = now();
        const batch = Array.from(
          { length: size.callsPerRound },
          (_, i) => pairs[i % pairs.length]?.primary ?? "",
        );
        for (let i = 0; i < batch.length; i += 16)
          await Promise.all(batch.slice(i, i + 16).map((p) => c.get(p)));
        throughput[name]?.push(batch.length / ((now() - t) / 1000));
      }
    }
    const linked = emulator.state
      .listUsers()
      .filter((u) => u.user_id.startsWith("auth0|b") && u.identities.length > 1).length;
    const f = (name: string, op: "get" | "link") => median(latency[name]?.[op] ?? []);
    const rate = (name: string) => median(throughput[name] ?? []);
    const table = [
      ["client", "get user (median)", "link (median)", "get/s at concurrency 16", "link latency vs fetch"],
      ...names.map((n) => [
        n,
        ms(f(n, "get")),
        ms(f(n, "link")),
        rate(n).toFixed(0),
        ratio(f(n, "link") / f("fetch", "link")),
      ]),
    ];
    return {
      title: "1. Client overhead (loopback emulator)",
      command: "pnpm bench (this section alone: pnpm --filter @idlink/bench run bench client)",
      table,
      notes: [
        `${size.rounds} rounds × ${size.callsPerRound} calls per client and operation, contenders alternating call by call; medians of every call; ${linked} links made, one per pair.`,
        "Target: core within 10% of raw fetch (link latency ratio ≤ 1.10×), and faster than Auth0's SDK.",
        "All three get the same token; the SDK's fetch only rewrites its https origin to the emulator.",
      ],
      figures: {
        coreVsFetchLink: f("idlink core", "link") / f("fetch", "link"),
        coreVsFetchGet: f("idlink core", "get") / f("fetch", "get"),
        coreVsSdkLink: f("idlink core", "link") / f("auth0 SDK", "link"),
        linked,
        expectedLinks: size.rounds * size.callsPerRound * names.length,
      },
    };
  } finally {
    await emulator.stop();
  }
}
