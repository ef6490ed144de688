import { build } from "esbuild";

// One self-contained file: Node starts it without resolving node_modules, which keeps start-up short.
await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/idlink-mcp.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["@idlink/source"],
  // CommonJS dependencies bundled into ESM need a require (TOOLCHAIN.md #11).
  banner: {
    js: '#!/usr/bin/env node\nimport { createRequire as __idlinkCreateRequire } from "node:module";\nconst require = __idlinkCreateRequire(import.meta.url);',
  },
  legalComments: "none",
  logLevel: "warning",
});
