import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The suites run dist/link-action.js as Auth0 would: built first, so `vitest run` stands alone. */
export default function setup(): void {
  execFileSync(process.execPath, ["build.mjs"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: "inherit",
  });
}
