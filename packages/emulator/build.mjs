import { fileURLToPath } from "node:url";
import { bundleApp, bundleLibrary } from "../../scripts/bundle.mjs";

const dir = fileURLToPath(new URL(".", import.meta.url));

// The library: our code bundled, @idlink/core, jose and zod left as imports (its dependencies), and declarations.
await bundleLibrary({ dir, entryPoints: ["src/index.ts"] });

// The bin, `node dist/bin.js` in the workspace as much as `idlink-emulator` installed from npm: in the workspace
// `@idlink/core` resolves to its TypeScript source (its package.json `exports`), which Node does not run, so the bin
// carries the workspace code it uses (the library and the part of core it reads) and imports only third-party
// packages, which are its dependencies in both places.
const workspaceInlined = {
  name: "workspace-inlined",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@idlink/") ? undefined : { external: true },
    );
  },
};
await bundleApp({ dir, entryPoints: ["src/bin.ts"], outfile: "dist/bin.js", plugins: [workspaceInlined] });
