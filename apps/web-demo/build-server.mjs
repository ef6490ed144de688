// Bundles the demo server (with the emulator and core from source) into one file that `pnpm start` runs.
import { build } from "esbuild";

await build({
  entryPoints: ["server/start.ts"],
  outfile: "dist/server/start.js",
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
