// Runs every benchmark side by side on this machine and writes bench/RESULTS.md. Not part of `pnpm test`.
// `pnpm --filter @idlink/bench run bench duplicates [--runs N]` (minutes at 1M users), or `client`, `bulk`,
// `bulk-memory`, `startup`, `web`, `action`, runs those sections alone and replaces them in RESULTS.md.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { action } from "./src/action.ts";
import { bulk } from "./src/bulk.ts";
import { bulkMemory } from "./src/bulk-memory.ts";
import { clientOverhead } from "./src/client-overhead.ts";
import { duplicates } from "./src/duplicates.ts";
import { startup } from "./src/startup.ts";
import { markdown, type Section } from "./src/stats.ts";
import { validation } from "./src/validation.ts";
import { web } from "./src/web.ts";

const sections: Section[] = [];
const log = (s: Section) => {
  sections.push(s);
  console.log(markdown(s));
};

const runsFlag = process.argv.indexOf("--runs");
const runDuplicates = () =>
  duplicates({
    users: [100_000, 1_000_000, 10_000_000],
    runs: runsFlag === -1 ? 3 : Number(process.argv[runsFlag + 1]),
    profile: 1_000_000,
  });
const results = new URL("./RESULTS.md", import.meta.url);
const startupRuns = () => startup({ runs: 15 });

const client = async () => [await clientOverhead({ rounds: 10, callsPerRound: 100 })];
const bulkRows = async () => [
  await bulk({
    pairs: 450,
    burst: 50,
    perSecond: 16.7,
    title: "2. Bulk linking under a paid tenant's bucket",
  }),
  // A free tenant's Management API: 2 requests per second with bursts of up to 10 (Auth0's rate-limit policy,
  // https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy).
  await bulk({ pairs: 50, burst: 10, perSecond: 2, title: "2b. Bulk linking under a free tenant's bucket" }),
  await bulk({
    pairs: 350,
    burst: 50,
    perSecond: 16.7,
    competitorPerSecond: 4,
    title: "2c. Bulk linking while another client spends the same bucket",
  }),
];
const memory = async () => [await bulkMemory({ pairs: [1_000, 10_000, 100_000] })];
const linkAtLogin = async () => [await action({ logins: 30 })];

// Sections alone (`client`, `bulk`, `bulk-memory`, `duplicates`, `web`, `startup`, `action`): run them and replace
// them in RESULTS.md.
const alone: Record<string, () => Promise<Section[]>> = {
  client,
  bulk: bulkRows,
  "bulk-memory": memory,
  duplicates: async () => [await runDuplicates()],
  web: async () => [await web({ loads: 7 })],
  startup: async () => [await startupRuns()],
  action: linkAtLogin,
};
const chosen = process.argv.slice(2).flatMap((a) => alone[a] ?? []);
if (chosen.length > 0) {
  for (const only of chosen) {
    for (const section of await only()) {
      console.log(markdown(section));
      const text = readFileSync(results, "utf8");
      const at = text.indexOf(`## ${section.title}`);
      const next = at === -1 ? -1 : text.indexOf("\n## ", at + 1);
      writeFileSync(
        results,
        `${at === -1 ? `${text.trimEnd()}\n\n` : text.slice(0, at)}${markdown(section)}${next === -1 ? "" : `\n${text.slice(next + 1)}`}`,
      );
    }
  }
  process.exit(0);
}

for (const section of await client()) log(section);
for (const section of await bulkRows()) log(section);
log(await startupRuns());
log(validation({ iterations: 20_000, rounds: 7 }));
log(await web({ loads: 7 }));
log(await runDuplicates());
for (const section of await memory()) log(section);
for (const section of await linkAtLogin()) log(section);

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
writeFileSync(
  results,
  [
    "# Benchmark results",
    "",
    `Written by \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${machine}.`,
    "Every figure is a median over repeated runs, measured side by side in one run; compare ratios, not absolute times.",
    "",
    ...sections.map(markdown),
  ].join("\n"),
);
