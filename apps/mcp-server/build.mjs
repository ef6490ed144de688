import { fileURLToPath } from "node:url";
import { bundleApp, englishOnlyZod } from "../../scripts/bundle.mjs";
import { writeCatalog } from "./generate.mjs";
import { packMcpb } from "./mcpb/pack.mjs";

const dir = fileURLToPath(new URL(".", import.meta.url));

/**
 * The MCP SDK chooses its JSON Schema validator by runtime through its `_shims` export (@modelcontextprotocol/server
 * 2.4.0 package.json `exports["./_shims"]`): Ajv on Node, its own `CfWorkerJsonSchemaValidator` on browsers and
 * workers (dist/shimsBrowser.mjs, dist/shimsWorkerd.mjs). The server uses a validator for one thing, a 2025-era
 * elicitation answer checked against the question's `requestedSchema` (`{type: "object", properties: {}}`,
 * src/confirm.ts), yet Ajv and ajv-formats (≈ 160 KB of the SDK's chunk) are evaluated when the SDK loads — on the
 * first call's path. This takes the SDK's browser/worker validator on Node too (its public
 * `./validators/cf-worker` export) and Node's own `process`, as the SDK's Node shim exports it: loading the SDK
 * server took ≈ 21 ms less CPU (median of 15 paired imports, 104 → 83 ms at load ≈ 5).
 * test/stdio.e2e.test.ts has a real client accept an elicitation through the built bin in both eras.
 */
const sdkValidatorWithoutAjv = {
  name: "sdk-validator-without-ajv",
  setup(build) {
    build.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({
      path: "shims",
      namespace: "idlink-mcp-sdk-shims",
    }));
    build.onLoad({ filter: /.*/, namespace: "idlink-mcp-sdk-shims" }, () => ({
      contents: [
        'export { CfWorkerJsonSchemaValidator as DefaultJsonSchemaValidator } from "@modelcontextprotocol/server/validators/cf-worker";',
        'export { default as process } from "node:process";',
      ].join("\n"),
      resolveDir: dir,
      loader: "js",
    }));
  },
};

// The catalog the stdio front answers from, generated from the real tool definitions first.
await writeCatalog();
// The entry holds the config checks and the stdio front; the SDK server, zod, core's client and openapi-fetch are
// chunks (dist/chunks/) loaded when the front hands over (a quiet moment after tools/list, or the first request it
// does not answer), minified and with zod's English only. Node resolves no node_modules.
await bundleApp({
  dir,
  entryPoints: { "idlink-mcp": "src/main.ts" },
  splitting: true,
  minify: true,
  plugins: [englishOnlyZod, sdkValidatorWithoutAjv],
});
// The MCP Bundle of that dist/ (dist/idlink-mcp.mcpb) for desktop hosts; npm's tarball leaves it out (package.json
// `files`).
await packMcpb(dir);
