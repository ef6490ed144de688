import { fileURLToPath } from "node:url";
import { bundleApp, englishOnlyZod } from "../../scripts/bundle.mjs";
import { writeCatalog } from "./generate.mjs";
import { packMcpb } from "./mcpb/pack.mjs";

// The catalog the stdio front answers from, generated from the real tool definitions first.
await writeCatalog();
// The entry holds the config checks and the stdio front; the SDK server, zod, core's client and openapi-fetch are
// chunks (dist/chunks/) loaded on the first request the front does not answer, minified and with zod's English only,
// since that first request waits for them. Node resolves no node_modules.
await bundleApp({
  dir: fileURLToPath(new URL(".", import.meta.url)),
  entryPoints: { "idlink-mcp": "src/main.ts" },
  splitting: true,
  minify: true,
  plugins: [englishOnlyZod],
});
// The MCP Bundle of that dist/ (dist/idlink-mcp.mcpb) for desktop hosts; npm's tarball leaves it out (package.json
// `files`).
await packMcpb(fileURLToPath(new URL(".", import.meta.url)));
