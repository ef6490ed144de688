import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEmulator, defaultSeed, type Emulator } from "@idlink/emulator";
import { ManagementClient } from "auth0";
import { type Pair, pairsSeed } from "./seed.ts";
import { now, type Section } from "./stats.ts";

const idlinkBin = fileURLToPath(new URL("../../apps/cli/dist/idlink.js", import.meta.url));
const admin = defaultSeed().clients.find((c) => c.client_id === "idlink-admin");

interface Outcome {
  seconds: number;
  tooMany: number;
  /** Requests this client sent, 429s included. */
  requests: number;
  posts: number;
  linkedOnce: number;
  duplicated: number;
  missing: number;
  failures: number;
  /** Answers other than 429 per second after the bucket's burst, all clients together, of R (emulator timestamps). */
  rateOfLimit: number;
}

/** Checks the emulator's state, not what the client believes: each secondary inside its primary exactly once. */
function audit(em: Emulator, pairs: Pair[]): Pick<Outcome, "linkedOnce" | "duplicated" | "missing"> {
  let linkedOnce = 0;
  let duplicated = 0;
  let missing = 0;
  for (const { primary, secondary } of pairs) {
    const count = (em.state.getUser(primary)?.identities ?? []).filter(
      (i) => `${i.provider}|${i.user_id}` === secondary,
    ).length;
    if (count === 1 && em.state.getUser(secondary) === undefined) linkedOnce++;
    else if (count > 1) duplicated++;
    else missing++;
  }
  return { linkedOnce, duplicated, missing };
}

function counts(em: Emulator, from: number, rate: { burst: number; perSecond: number }) {
  const requests = em.state.requests.slice(from);
  const api = requests.filter((r) => r.path.startsWith("/api/v2/") && r.status !== 429);
  const span = ((api.at(-1)?.at ?? 0) - (api[0]?.at ?? 0)) / 1000;
  return {
    rateOfLimit: span > 0 ? (api.length - rate.burst) / span / rate.perSecond : 0,
    // idlink's own: its links, and its reads of the secondaries (github|…; the competitor reads primaries).
    tooMany: requests.filter((r) => r.status === 429 && (r.method === "POST" || r.path.includes("github")))
      .length,
    requests: requests.filter((r) => r.method === "POST" || r.path.includes("github")).length,
    posts: requests.filter((r) => r.method === "POST" && r.path.endsWith("/identities") && r.status !== 429)
      .length,
  };
}

async function runIdlink(
  pairs: Pair[],
  rate: { burst: number; perSecond: number },
  seed: ReturnType<typeof pairsSeed>["seed"],
  competitorPerSecond = 0,
): Promise<Outcome> {
  const em = await createEmulator({ seed, rateLimit: rate });
  const competitor = competitorPerSecond > 0 ? await compete(em, pairs, competitorPerSecond) : undefined;
  const dir = mkdtempSync(join(tmpdir(), "idlink-bench-"));
  try {
    const file = join(dir, "pairs.csv");
    writeFileSync(file, `primary,secondary\n${pairs.map((p) => `${p.primary},${p.secondary}`).join("\n")}\n`);
    const from = em.state.requests.length;
    const t = now();
    const failures = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [idlinkBin, "bulk", file, "--yes", "--json", "--concurrency", "8"],
        {
          env: {
            PATH: process.env.PATH ?? "",
            AUTH0_DOMAIN: em.url,
            AUTH0_CLIENT_ID: admin?.client_id ?? "",
            AUTH0_CLIENT_SECRET: admin?.client_secret ?? "",
          },
          stdio: ["ignore", "pipe", "ignore"],
        },
      );
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d;
      });
      child.on("error", reject);
      child.on("close", (code) => {
        try {
          const summary = JSON.parse(out) as { counts?: { failed?: number } };
          resolve(code === 0 ? 0 : (summary.counts?.failed ?? pairs.length));
        } catch {
          reject(new Error(`idlink bulk exited ${code} without a JSON summary`));
        }
      });
    });
    const seconds = (now() - t) / 1000;
    await competitor?.stop();
    return { seconds, failures, ...counts(em, from, rate), ...audit(em, pairs) };
  } finally {
    await competitor?.stop();
    rmSync(dir, { recursive: true, force: true });
    await em.stop();
  }
}

async function runSdkLoop(
  pairs: Pair[],
  rate: { burst: number; perSecond: number },
  seed: ReturnType<typeof pairsSeed>["seed"],
): Promise<Outcome> {
  const em = await createEmulator({ seed, rateLimit: rate });
  try {
    const token = await em.mintToken({ scopes: ["read:users", "update:users"] });
    const domain = "bench.auth0.example";
    // Auth0's SDK with its default retry settings; only its https origin is sent to the emulator.
    const sdk = new ManagementClient({
      domain,
      token,
      fetch: (input, init) =>
        fetch(
          (input instanceof Request ? input.url : String(input)).replace(`https://${domain}`, em.url),
          init,
        ),
    });
    const from = em.state.requests.length;
    const t = now();
    let failures = 0;
    for (const { primary, secondary } of pairs) {
      try {
        await sdk.users.identities.link(primary, {
          provider: "github",
          user_id: secondary.slice("github|".length),
        });
      } catch {
        failures++;
      }
    }
    const seconds = (now() - t) / 1000;
    return { seconds, failures, ...counts(em, from, rate), ...audit(em, pairs) };
  } finally {
    await em.stop();
  }
}

/**
 * Another client of the same tenant reading users at a steady rate, unpaced, for as long as the run lasts: its
 * reads spend the bucket idlink paces on, so idlink must read what is left rather than assume the bucket is its own.
 */
async function compete(em: Emulator, pairs: Pair[], perSecond: number) {
  const token = await em.mintToken({ scopes: ["read:users"] });
  let stopped = false;
  let i = 0;
  const loop = (async () => {
    while (!stopped) {
      const id = pairs[i++ % pairs.length]?.primary ?? "";
      const answer = await fetch(`${em.url}/api/v2/users/${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${token}`, "x-bench-competitor": "1" },
      });
      await answer.arrayBuffer();
      await new Promise((r) => setTimeout(r, 1000 / perSecond));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The worse of two runs: more answers of 429, then a lower rate after the burst. */
const worse = (a: Outcome, b: Outcome) =>
  b.tooMany > a.tooMany || (b.tooMany === a.tooMany && b.rateOfLimit < a.rateOfLimit) ? b : a;

/**
 * N pairs against a tenant-like bucket (burst B, refilled at R per second): `idlink bulk` vs the theoretical minimum
 * (2N − B) / R of its two requests a pair (read the secondary, link) and vs a plain loop over Auth0's SDK with its
 * default retries (one request a pair, no check). idlink runs `runs` times, each on a fresh tenant: the row is the
 * worst run (most answers of 429, then the lowest rate), and a second row lists every run — a pacer must hold on
 * every run, not on average. Correctness is read from the emulator.
 */
export async function bulk(size: {
  pairs: number;
  burst: number;
  perSecond: number;
  /** Reads per second of a competing client on the same bucket (0: none); the SDK loop then runs alongside it too. */
  competitorPerSecond?: number;
  /** Runs of idlink on the bucket (default 3); the SDK loop runs once. */
  runs?: number;
  title?: string;
}): Promise<Section> {
  const { seed, pairs } = pairsSeed(size.pairs, "k");
  const rate = { burst: size.burst, perSecond: size.perSecond };
  // idlink reads each secondary before linking it (core's checkLink): two requests a pair.
  const minimum = Math.max(0, (2 * size.pairs - size.burst) / size.perSecond);
  const runs: Outcome[] = [];
  for (let i = 0; i < Math.max(1, size.runs ?? 3); i++) {
    runs.push(await runIdlink(pairs, rate, seed, size.competitorPerSecond));
  }
  const idlink = runs.reduce(worse);
  const sdk = await runSdkLoop(pairs, rate, seed);
  const achieved = (o: Outcome) => o.rateOfLimit;
  const row = (name: string, o: Outcome) => [
    name,
    `${o.seconds.toFixed(1)} s`,
    `${(o.seconds / minimum).toFixed(2)}×`,
    `${(achieved(o) * 100).toFixed(0)}%`,
    `${o.tooMany} of ${o.requests}`,
    `${o.linkedOnce}/${size.pairs}`,
    String(o.failures + o.missing),
    String(o.duplicated),
  ];
  const each = (f: (o: Outcome) => string) => runs.map(f).join(" / ");
  return {
    title: size.title ?? "2. Bulk linking under a rate limit",
    command: "pnpm bench (this section alone: pnpm --filter @idlink/bench run bench bulk)",
    table: [
      [
        "run",
        "wall time",
        "vs minimum",
        "rate after the burst, of R",
        "429s of its requests",
        "linked once",
        "failed",
        "duplicated",
      ],
      ["theoretical minimum (2N − B) / R", `${minimum.toFixed(1)} s`, "1.00×", "100%", "0", "—", "—", "—"],
      row(`idlink bulk (concurrency 8), worst of ${runs.length} runs`, idlink),
      [
        "idlink bulk, each run",
        each((o) => `${o.seconds.toFixed(1)} s`),
        each((o) => `${(o.seconds / minimum).toFixed(2)}×`),
        each((o) => `${(achieved(o) * 100).toFixed(0)}%`),
        each((o) => `${o.tooMany} of ${o.requests}`),
        each((o) => `${o.linkedOnce}/${size.pairs}`),
        each((o) => String(o.failures + o.missing)),
        each((o) => String(o.duplicated)),
      ],
      row("Auth0 SDK loop (default retries), one run", sdk),
    ],
    notes: [
      `N = ${size.pairs} pairs, bucket burst B = ${size.burst}, sustained R = ${size.perSecond}/s (the emulator's token bucket). idlink sends two requests a pair (it reads the secondary before linking, so a row whose link would move a whole user is never sent); the SDK loop sends one and checks nothing, so compare the rate after the burst, not the wall time.`,
      ...(size.competitorPerSecond
        ? [
            `A competing client reads users at ${size.competitorPerSecond}/s, unpaced, on the same bucket while idlink runs; the rate counts both clients' answers.`,
          ]
        : []),
      'Wall time includes process start and the token request for idlink; the rate after the burst is read from the emulator\'s timestamps of the Management API answers other than 429 ((answers − B) / their span / R); "linked once", "failed" and "duplicated" are read from the emulator\'s state after the run.',
      `idlink runs ${runs.length} times, each on a fresh tenant; the first idlink row is the worst run (most answers of 429, then the lowest rate), the second lists every run in order.`,
      "Target: idlink at ≥ 98% of R after the burst, ≤ 1 answer of 429 per 1,000 requests in its worst run, 0 failures, 0 duplicates.",
    ],
    figures: {
      idlinkRuns: runs.length,
      idlinkSeconds: idlink.seconds,
      idlinkRateOfLimit: achieved(idlink),
      idlinkLinkedOnce: Math.min(...runs.map((o) => o.linkedOnce)),
      idlinkFailed: Math.max(...runs.map((o) => o.failures + o.missing)),
      idlinkDuplicated: Math.max(...runs.map((o) => o.duplicated)),
      idlinkTooMany: idlink.tooMany,
      /** Answers of 429 per 1,000 of idlink's requests, in its worst run. */
      idlinkTooManyPerMille: (1000 * idlink.tooMany) / Math.max(1, idlink.requests),
      sdkLinkedOnce: sdk.linkedOnce,
      sdkDuplicated: sdk.duplicated,
      pairs: size.pairs,
    },
  };
}
