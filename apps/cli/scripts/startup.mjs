// Start-up time of `idlink --help` against a bare `node -e 0`: median of 15 runs each, run one after the other.
// Usage: node scripts/startup.mjs   (after `pnpm run build`). Not part of `test`: it measures, it does not assert.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../dist/idlink.js", import.meta.url));
const runs = 15;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function time(args) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: "ignore" });
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}`);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}
time(["-e", "0"]); // warm the file cache
const bare = time(["-e", "0"]);
const help = time([bin, "--help"]);
console.log(
  `node -e 0: ${bare.toFixed(0)} ms · idlink --help: ${help.toFixed(0)} ms · difference ${(help - bare).toFixed(0)} ms (median of ${runs})`,
);
