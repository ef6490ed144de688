import { fileURLToPath } from "node:url";
import { bundleApp } from "../../scripts/bundle.mjs";

// One self-contained file: Node starts it without resolving node_modules, which keeps start-up short.
await bundleApp({
  dir: fileURLToPath(new URL(".", import.meta.url)),
  entryPoints: { "idlink-mcp": "src/main.ts" },
});
