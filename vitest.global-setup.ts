import { rmSync } from "node:fs";
import { join } from "node:path";

/** Each run starts with an empty secret-scan record, so the scan never reads a previous run's outputs. */
export default function setup(): void {
  rmSync(join(process.cwd(), "test-results", "secret-scan"), { recursive: true, force: true });
}
