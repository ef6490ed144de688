import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundleApp } from "../../scripts/bundle.mjs";

const dir = fileURLToPath(new URL(".", import.meta.url));

// `idlink action deploy` without --code deploys the Action idlink was built with: @idlink/link-action's
// dist/link-action.js, embedded as text. Its workspace entry reads the file at run time, which a bundle cannot, so
// the import is answered here by a module holding the text (the package need not be installed beside the CLI).
const linkActionText = {
  name: "link-action-text",
  setup(build) {
    build.onResolve({ filter: /^@idlink\/link-action$/ }, () => ({
      path: createRequire(`${dir}package.json`).resolve("@idlink/link-action/link-action.js"),
      namespace: "link-action-text",
    }));
    build.onLoad({ filter: /.*/, namespace: "link-action-text" }, async ({ path }) => {
      const source = await readFile(path, "utf8").catch(() => {
        throw new Error(
          `${path} is missing: build @idlink/link-action first (npx -y pnpm@12.4.2 --filter @idlink/link-action run build)`,
        );
      });
      return {
        contents: `export const actionSource = ${JSON.stringify(source)};`,
        loader: "js",
        watchFiles: [path],
      };
    });
  },
};

// Commands and their heavy dependencies (zod, jose, openapi-fetch, the emulator) are split into chunks loaded on
// first use, so `idlink --help` only parses the command table. `--outdir DIR` builds elsewhere (another package's
// end-to-end test builds its own copy there, so it never sees this dist/ half rebuilt).
const { outdir = "dist" } = parseArgs({ options: { outdir: { type: "string" } } }).values;
await bundleApp({
  dir,
  outdir,
  entryPoints: { idlink: "src/main.ts" },
  splitting: true,
  plugins: [linkActionText],
});
