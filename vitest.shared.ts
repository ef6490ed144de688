import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** Shared vitest settings: each run writes a JSON report that .ci/run sums into its closing line. */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
    // Hang guards, not speed checks: a 2-core machine running every suite at once can make a spawn-heavy test slow.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // expect.poll waits for something that will happen (a page's plan rendered, a module reported loaded): 1 s, its
    // default, is outlasted when every suite runs at once (CI saw a browser test's plan take longer). A hang guard.
    expect: { poll: { timeout: 15_000 } },
    typecheck: { enabled: false },
    globalSetup: [fileURLToPath(new URL("./vitest.global-setup.ts", import.meta.url))],
  },
});
