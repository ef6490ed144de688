// Sums the vitest JSON reports of every workspace package into the one closing line CI reads:
// "N passed, N failed". A package whose test script left no report, or a suite that failed outside its tests
// (a throwing beforeAll, an import error), counts as a failure.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dirs = ["packages", "apps"].flatMap((d) =>
  existsSync(join(root, d)) ? readdirSync(join(root, d)).map((p) => join(d, p)) : [],
);
dirs.push("bench");

let passed = 0;
let failed = 0;
for (const dir of dirs) {
  const pkgFile = join(root, dir, "package.json");
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  if (!pkg.scripts?.test) continue;
  const report = join(root, dir, "test-results", "vitest.json");
  if (!existsSync(report)) {
    console.log(`${dir}: no test report (the test run did not finish)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(report, "utf8"));
  const brokenSuites = r.testResults.filter(
    (s) => s.status === "failed" && !s.assertionResults.some((a) => a.status === "failed"),
  ).length;
  passed += r.numPassedTests;
  failed += r.numFailedTests + brokenSuites;
  if (r.numTotalTests === 0) {
    console.log(`${dir}: ran no test`);
    failed += 1;
  }
}
// The cross-suite secret scan counts as one test once the suites have run.
const scan = join(root, "test-results", "secret-scan.json");
if (existsSync(scan)) {
  if (JSON.parse(readFileSync(scan, "utf8")).failed) failed += 1;
  else passed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
