import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** Shared vitest settings: each run writes a JSON report that .ci/run sums into its closing line. */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    typecheck: { enabled: false },
    globalSetup: [fileURLToPath(new URL("./vitest.global-setup.ts", import.meta.url))],
  },
});
