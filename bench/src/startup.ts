import {
  bins,
  mcpToolsListSize,
  timeExit,
  timeMcpDiscover,
  timeMcpFirstCall,
  timeMcpToolsList,
  timeMcpToolsList2026,
} from "./processes.ts";
import { median, ms, ratio, type Section } from "./stats.ts";

/**
 * Start-up: `idlink --help` and `idlink --version` against `node -e 0`, and idlink-mcp from spawn to its tools/list
 * answer and to its first tools/call answer (2025 handshake), and to its 2026-07-28 server/discover and tools/list
 * answers. All are timed in turn within each round, so machine noise falls on all alike; every process gets PATH only (TOOLCHAIN: NODE_EXTRA_CA_CERTS alone adds ~35 ms to a Node start).
 */
export async function startup(size: { runs: number }): Promise<Section> {
  const runs: Record<string, () => Promise<number>> = {
    "node -e 0": () => timeExit(["-e", "0"]),
    "idlink --help": () => timeExit([bins.idlink, "--help"]),
    "idlink --version": () => timeExit([bins.idlink, "--version"]),
    "idlink-mcp: spawn → tools/list": timeMcpToolsList,
    "idlink-mcp: spawn → first tools/call": timeMcpFirstCall,
    "idlink-mcp 2026-07-28: spawn → server/discover": timeMcpDiscover,
    "idlink-mcp 2026-07-28: spawn → tools/list": timeMcpToolsList2026,
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (const run of Object.values(runs)) await run(); // warm the file cache
  for (let i = 0; i < size.runs; i++) {
    for (const [name, run] of Object.entries(runs)) samples[name]?.push(await run());
  }
  const bare = median(samples["node -e 0"] ?? []);
  const rows = Object.keys(runs).map((name) => {
    const m = median(samples[name] ?? []);
    return [name, ms(m), ratio(m / bare)];
  });
  const of = (name: string) => median(samples[name] ?? []) / bare;
  const listed = await mcpToolsListSize();
  return {
    title: "3. Start-up",
    command: "pnpm bench",
    table: [["command", "wall time (median)", "vs node -e 0"], ...rows],
    notes: [
      `Median of ${size.runs} runs each, interleaved, each process with PATH only. Targets: the CLI within 1.5× bare Node; idlink-mcp's tools/list within 2×, its first tools/call within 3×.`,
      "The CLI is one esbuild bundle with lazy chunks: --help loads no zod, jose, openapi-fetch or emulator.",
      "idlink-mcp answers initialize and tools/list from a stdio front and a catalog generated at build; the first tools/call (get_user_identities on an id core refuses, so no tenant is called) loads the MCP SDK, zod and core's client.",
      "The 2026-07-28 rows: no handshake; server/discover then tools/list, each with its `_meta`, answered by the same front from the same catalog. Target: within 2× like the 2025 tools/list.",
      `idlink-mcp tools/list: ${listed.characters} JSON characters of its result, ≈ ${listed.tokens} tokens (characters / 4). Target: under 2,000 tokens.`,
    ],
    figures: {
      help: of("idlink --help"),
      version: of("idlink --version"),
      mcp: of("idlink-mcp: spawn → tools/list"),
      mcpFirstCall: of("idlink-mcp: spawn → first tools/call"),
      mcpDiscover2026: of("idlink-mcp 2026-07-28: spawn → server/discover"),
      mcpToolsList2026: of("idlink-mcp 2026-07-28: spawn → tools/list"),
      toolsListTokens: listed.tokens,
    },
  };
}
