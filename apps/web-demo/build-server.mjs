// Bundles the demo server (with the emulator and core) into one file that `pnpm start` runs.
// Usage: node build-server.mjs [outfile]   (default dist/server/start.js; the tests build into a temporary folder)
import { fileURLToPath } from "node:url";
import { bundleApp } from "../../scripts/bundle.mjs";

await bundleApp({
  dir: fileURLToPath(new URL(".", import.meta.url)),
  entryPoints: { start: "server/start.ts" },
  outdir: "dist/server",
  ...(process.argv[2] ? { outfile: process.argv[2] } : {}),
});
