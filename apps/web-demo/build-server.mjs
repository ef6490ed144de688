// Bundles the demo server (with the emulator and core from source) into one file that `pnpm start` runs.
// Usage: node build-server.mjs [outfile]   (default dist/server/start.js; the tests build into a temporary folder)
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

await build({
  entryPoints: [fileURLToPath(new URL("./server/start.ts", import.meta.url))],
  outfile: process.argv[2] ?? fileURLToPath(new URL("./dist/server/start.js", import.meta.url)),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["@idlink/source"],
  banner: {
    js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
