import { fileURLToPath } from "node:url";
import { bundleApp } from "../../scripts/bundle.mjs";

// Commands and their heavy dependencies (zod, jose, openapi-fetch, the emulator) are split into chunks loaded on
// first use, so `idlink --help` only parses the command table.
await bundleApp({
  dir: fileURLToPath(new URL(".", import.meta.url)),
  entryPoints: { idlink: "src/main.ts" },
  splitting: true,
});
