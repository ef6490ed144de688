import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export { launchChromium } from "./chromium.ts";
export {
  assertContract,
  fetchChecked,
  findOperation,
  responseValidator,
  validateSchema,
} from "./contract.ts";
export { useServer } from "./use-server.ts";

/**
 * Where a suite leaves what it used and what it saw, for `scripts/secret-scan.mjs` to cross-check after all the
 * tests: `<package>/test-results/secret-scan/` (a turbo output, so a cached run keeps it). Each process writes its
 * own files, so parallel workers never interleave. The shared vitest setup empties the folder before a run.
 */
function scanDir(): string {
  const out = join(process.cwd(), "test-results", "secret-scan");
  mkdirSync(out, { recursive: true });
  return out;
}

let dir: string | undefined;
function write(kind: "secrets" | "outputs", record: unknown): void {
  dir ??= scanDir();
  appendFileSync(join(dir, `${kind}-${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

/** Records tokens, client secrets and ID tokens a test uses: none may appear in any recorded output. */
export function recordSecrets(...values: (string | undefined)[]): void {
  for (const value of values) if (value && value.length >= 8) write("secrets", value);
}

/** Records something a person or a model would see (stdout, stderr, an MCP result, an HTTP response, a log). */
export function recordOutput(source: string, text: string): void {
  if (text !== "") write("outputs", { source, text });
}
