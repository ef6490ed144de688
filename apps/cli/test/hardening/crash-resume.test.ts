import { defaultSeed } from "@idlink/emulator";
import { afterAll, expect, test } from "vitest";
import {
  idlink,
  journalRecords,
  pairIds,
  pairSeed,
  pairsFile,
  startIdlink,
  startTenant,
  tempDir,
  waitFor,
} from "../helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());

/** A small seeded generator, so that a failing run can be replayed from the seed it prints. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

test("idlink bulk killed with SIGKILL at 20 random points, with faults on, ends with every pair linked exactly once", async () => {
  const count = 2_000;
  const kills = 20;
  const seed = Number(process.env.IDLINK_CRASH_SEED ?? Date.now() % 100_000);
  const next = random(seed);
  const tenant = await startTenant({
    seed: pairSeed(defaultSeed(), count),
    rateLimit: false,
    faults: { latencyMs: 2, errorRate: 0.02, dropBeforeRate: 0.02, dropAfterRate: 0.02, seed },
  });
  try {
    const file = pairsFile(dir.path, count);
    const journal = `${file}.journal.jsonl`;
    const settled = () => journalRecords(journal).filter((r) => r.type === "outcome").length;
    const linkedPairs = () =>
      Array.from({ length: count }, (_, i) => pairIds(i)).filter(({ primary, secondary }) =>
        (tenant.emu.state.getUser(primary)?.identities ?? []).some(
          (x) => `${x.provider}|${x.user_id}` === secondary,
        ),
      ).length;
    for (let k = 0; k < kills; k++) {
      // Each run settles 20–80 more pairs (some of them reconciled from the previous kill), then dies mid-flight.
      const target = settled() + 20 + Math.floor(next() * 60);
      const run = startIdlink(["bulk", file, "--yes", "--concurrency", "6"], { env: tenant.env });
      await waitFor(() => settled() >= target, 60_000);
      await new Promise((r) => setTimeout(r, Math.floor(next() * 15)));
      run.child.kill("SIGKILL");
      expect((await run.done).signal).toBe("SIGKILL");
      // After every kill: nothing linked twice (a second link would have met a 409).
      expect(tenant.emu.state.requests.filter((r) => r.status === 409)).toEqual([]);
    }
    const linkedBeforeLastRun = linkedPairs();
    expect(linkedBeforeLastRun).toBeLessThan(count);
    const last = await idlink(["bulk", file, "--yes", "--json"], { env: tenant.env });
    expect(last.code).toBe(0);

    const created = tenant.emu.state.requests.filter((r) => r.method === "POST" && r.status === 201).length;
    const dropped = tenant.emu.state.requests.filter((r) => r.method === "POST" && r.status === 0).length;
    const lost = count - linkedPairs();
    const duplicated = tenant.emu.state.requests.filter((r) => r.status === 409).length;
    console.log(
      `crash and resume: ${count} pairs, ${kills} SIGKILLs (seed ${seed}), ${created} links answered 201, ` +
        `${dropped} connections dropped by faults, lost ${lost}, duplicated ${duplicated}`,
    );
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(tenant.emu.state.listUsers()).toHaveLength(count);
  } finally {
    await tenant.stop();
  }
}, 180_000);
