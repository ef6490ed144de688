import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** `test/bin.test.ts` runs `dist/bin.js` as the README writes it: built first, so `vitest run` stands alone. */
export default function setup(): void {
  execFileSync(process.execPath, ["build.mjs"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: "inherit",
  });
}
