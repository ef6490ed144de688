// Runs every benchmark side by side on this machine and writes bench/RESULTS.md. Not part of `pnpm test`.
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { bulk } from "./src/bulk.ts";
import { clientOverhead } from "./src/client-overhead.ts";
import { startup } from "./src/startup.ts";
import { markdown, type Section } from "./src/stats.ts";
import { validation } from "./src/validation.ts";
import { web } from "./src/web.ts";

const sections: Section[] = [];
const log = (s: Section) => {
  sections.push(s);
  console.log(markdown(s));
};

log(await clientOverhead({ rounds: 10, callsPerRound: 100 }));
log(await bulk({ pairs: 800, burst: 50, perSecond: 25 }));
log(await startup({ runs: 15 }));
log(validation({ iterations: 20_000, rounds: 7 }));
log(await web({ loads: 7 }));

const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
writeFileSync(
  new URL("./RESULTS.md", import.meta.url),
  [
    "# Benchmark results",
    "",
    `Written by \`pnpm bench\` on ${new Date().toISOString().slice(0, 10)}. Machine: ${machine}.`,
    "Every figure is a median over repeated runs, measured side by side in one run; compare ratios, not absolute times.",
    "",
    ...sections.map(markdown),
  ].join("\n"),
);
