import { cpus, loadavg } from "node:os";
import { adminClient, seedUsers } from "@idlink/emulator";
import {
  bins,
  type Era,
  mcpToolsListSize,
  startEmulator,
  type Tenant,
  timeExit,
  timeMcpDiscover,
  timeMcpFirstCallAtOnce,
  timeMcpFirstCallLater,
  timeMcpToolsList,
} from "./processes.ts";
import { median, ms, ratio, type Section } from "./stats.ts";

const eras: Era[] = ["2025-11-25", "2026-07-28"];

/**
 * Start-up, every row beside its floor measured in the same run: `idlink --help` and `--version`, and idlink-mcp
 * from spawn to its tools/list and server/discover answers, against `node -e 0`; idlink-mcp's first tools/call (a
 * read the emulator answers, with a machine-to-machine application's token) sent with every other message at once,
 * against `node -e 0`, and sent 1 s after tools/list answered, against a warm call of the same process. Both
 * protocol eras. All are timed in turn within each round, so machine noise falls on all alike; every process gets
 * PATH only (TOOLCHAIN: NODE_EXTRA_CA_CERTS alone adds ~35 ms to a Node start). The machine's load is recorded.
 */
export async function startup(size: { runs: number }): Promise<Section> {
  const emulator = await startEmulator();
  const admin = adminClient();
  if (!admin) throw new Error("the emulator's seed has no admin client");
  const tenant: Tenant = { url: emulator.url, ...admin, userId: seedUsers.alice };
  try {
    const loads = [loadavg()[0] ?? 0];
    const bare = "node -e 0";
    const spawned: Record<string, () => Promise<number>> = {
      [bare]: () => timeExit(["-e", "0"]),
      "idlink --help": () => timeExit([bins.idlink, "--help"]),
      "idlink --version": () => timeExit([bins.idlink, "--version"]),
      "idlink-mcp: spawn → tools/list": () => timeMcpToolsList("2025-11-25"),
      "idlink-mcp 2026-07-28: spawn → server/discover": timeMcpDiscover,
      "idlink-mcp 2026-07-28: spawn → tools/list": () => timeMcpToolsList("2026-07-28"),
      ...Object.fromEntries(
        eras.map((era) => [atOnce(era), () => timeMcpFirstCallAtOnce(era, tenant)] as const),
      ),
    };
    const samples: Record<string, number[]> = {};
    const push = (name: string, value: number) => {
      samples[name] ??= [];
      samples[name].push(value);
    };
    // Warm the file cache (and the emulator), unrecorded.
    for (const run of Object.values(spawned)) await run();
    for (const era of eras) await timeMcpFirstCallLater(era, tenant, 1);
    for (let i = 0; i < size.runs; i++) {
      for (const [name, run] of Object.entries(spawned)) push(name, await run());
      for (const era of eras) {
        const { first, warm } = await timeMcpFirstCallLater(era, tenant);
        push(later(era), first);
        push(warmCall(era), median(warm));
      }
    }
    loads.push(loadavg()[0] ?? 0);
    const m = (name: string) => median(samples[name] ?? []);
    const row = (name: string, floor: string, target?: number) => {
      const r = m(name) / m(floor);
      const verdict = target === undefined ? "" : `≤ ${target}× ${r <= target ? "met" : "not met"}`;
      return [name, ms(m(name)), name === floor ? "" : `${floor} (${ms(m(floor))})`, ratio(r), verdict];
    };
    const listed = await mcpToolsListSize();
    return {
      title: "3. Start-up",
      command: "pnpm bench",
      table: [
        ["command", "wall time (median)", "floor, same run (median)", "ratio", "target"],
        row(bare, bare),
        row("idlink --help", bare, 1.5),
        row("idlink --version", bare, 1.5),
        row("idlink-mcp: spawn → tools/list", bare, 2),
        row("idlink-mcp 2026-07-28: spawn → server/discover", bare, 2),
        row("idlink-mcp 2026-07-28: spawn → tools/list", bare, 2),
        ...eras.map((era) => row(atOnce(era), bare, 5)),
        ...eras.map((era) => row(later(era), warmCall(era), 2)),
        ...eras.map((era) => row(warmCall(era), warmCall(era))),
      ],
      notes: [
        `Median of ${size.runs} rounds; in each, every row is timed in turn, each process with PATH only. Load average (1 min) ${loads.map((l) => l.toFixed(2)).join(" → ")} over the run, on ${cpus().length} cores: the targets are for an idle machine, and at a load near the core count every ratio is flattened or swings.`,
        "The CLI is one esbuild bundle with lazy chunks: --help loads no zod, jose, openapi-fetch or emulator.",
        "idlink-mcp answers initialize, server/discover and tools/list (both eras) from a stdio front and a catalog generated at build, with nothing of the SDK, zod or core's client evaluated.",
        `The first tools/call is get_user_identities on ${tenant.userId}, answered by the emulator (a process of its own, on 127.0.0.1, its seed) to a machine-to-machine application (AUTH0_CLIENT_ID/SECRET), so a Management token is requested on the way (idlink-mcp asks for it as the SDK server starts loading). "Every message at once" is a script: the opening and the call written together, spawn → the call's answer. "1 s after tools/list" is an agent host, whose model thinks before it calls: the call is sent 1 s after tools/list answered, and timed from sending it to its answer; its floor is a warm call, the median of the next 3 reads on the same process.`,
        `idlink-mcp tools/list: ${listed.characters} JSON characters of its result, ≈ ${listed.tokens} tokens (characters / 4). Target: under 2,000 tokens.`,
      ],
      figures: {
        help: m("idlink --help") / m(bare),
        version: m("idlink --version") / m(bare),
        mcp: m("idlink-mcp: spawn → tools/list") / m(bare),
        mcpDiscover2026: m("idlink-mcp 2026-07-28: spawn → server/discover") / m(bare),
        mcpToolsList2026: m("idlink-mcp 2026-07-28: spawn → tools/list") / m(bare),
        mcpFirstCallAtOnce: m(atOnce("2025-11-25")) / m(bare),
        mcpFirstCallAtOnce2026: m(atOnce("2026-07-28")) / m(bare),
        mcpFirstCallLater: m(later("2025-11-25")) / m(warmCall("2025-11-25")),
        mcpFirstCallLater2026: m(later("2026-07-28")) / m(warmCall("2026-07-28")),
        toolsListTokens: listed.tokens,
      },
    };
  } finally {
    emulator.stop();
  }
}

const atOnce = (era: Era) => `idlink-mcp ${era}: spawn → first tools/call, every message at once`;
const later = (era: Era) => `idlink-mcp ${era}: first tools/call 1 s after tools/list`;
const warmCall = (era: Era) => `idlink-mcp ${era}: a warm tools/call`;
