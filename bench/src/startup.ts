import { bins, mcpToolsListSize, timeExit, timeMcpToolsList } from "./processes.ts";
import { median, ms, ratio, type Section } from "./stats.ts";

/**
 * Start-up: `idlink --help` and `idlink --version` against `node -e 0`, and idlink-mcp from spawn to its tools/list
 * answer. The four are timed in turn within each round, so machine noise falls on all alike.
 */
export async function startup(size: { runs: number }): Promise<Section> {
  const runs: Record<string, () => Promise<number>> = {
    "node -e 0": () => timeExit(["-e", "0"]),
    "idlink --help": () => timeExit([bins.idlink, "--help"]),
    "idlink --version": () => timeExit([bins.idlink, "--version"]),
    "idlink-mcp: spawn → tools/list": timeMcpToolsList,
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
      `Median of ${size.runs} runs each, interleaved. Target: the CLI within 1.5× bare Node.`,
      "The CLI is one esbuild bundle with lazy chunks: --help loads no zod, jose, openapi-fetch or emulator.",
      `idlink-mcp tools/list: ${listed.characters} JSON characters of its result, ≈ ${listed.tokens} tokens (characters / 4). Target: under 2,000 tokens.`,
    ],
    figures: {
      help: of("idlink --help"),
      version: of("idlink --version"),
      mcp: of("idlink-mcp: spawn → tools/list"),
      toolsListTokens: listed.tokens,
    },
  };
}
