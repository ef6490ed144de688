// `pnpm dev`: Vite's dev server for the page, with the demo's backend (server/dev-backend.ts) as a plugin. The
// plugin is TypeScript importing the workspace's TypeScript packages, so Vite's own module runner loads it.
import { fileURLToPath } from "node:url";
import { createServer, runnerImport } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const { module } = await runnerImport(fileURLToPath(new URL("server/dev-backend.ts", import.meta.url)), {
  root,
  configFile: false,
  logLevel: "warn",
});
const server = await createServer({ root, plugins: [module.devBackend()] });
await server.listen();
server.printUrls();
server.bindCLIShortcuts({ print: true });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
