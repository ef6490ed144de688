import { rm } from "node:fs/promises";
import { build } from "esbuild";

// Commands and their heavy dependencies (zod, jose, openapi-fetch, the emulator) are split into chunks loaded on
// first use, so `idlink --help` only parses commander and the command table.
await rm(new URL("./dist", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { idlink: "src/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["@idlink/source"],
  chunkNames: "chunks/[name]-[hash]",
  banner: {
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __idlinkCreateRequire } from "node:module";',
      "const require = __idlinkCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  logLevel: "warning",
});
