// The one way idlink builds a package's dist/ with esbuild. Workspace packages resolve to their TypeScript source by
// their package.json `exports` (pnpm swaps in `publishConfig.exports` when it packs), so nothing here names a
// condition.
//
// - an app (the CLI, the MCP server, the demo server): everything bundled, workspace packages and third-party ones,
//   into files Node starts without resolving node_modules; the tarball then needs no dependencies at all.
// - a library (core, the emulator): our code bundled, third-party packages and other workspace packages left as
//   imports (they are the library's dependencies), plus `.d.ts` declarations from tsc.
//
// From a package's folder:  node ../../scripts/bundle.mjs --library [--splitting] [--platform neutral] src/index.ts [src/bin.ts]
// Apps call bundleApp() from their build.mjs, which their tests' global setup runs too.
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import ts from "typescript";

const common = { bundle: true, format: "esm", target: "node20", logLevel: "warning" };

/**
 * Bundles an app. `entryPoints` maps output names to sources (`{ idlink: "src/main.ts" }` → `dist/idlink.js`);
 * `splitting` puts what entries import lazily into `dist/chunks/`; `outfile` replaces `outdir` for one entry.
 * `minify` shortens what Node must parse at start (names kept: errors and classes still say theirs); `plugins` are
 * esbuild's (see `englishOnlyZod`).
 */
export async function bundleApp({
  dir,
  entryPoints,
  outdir = "dist",
  outfile,
  splitting = false,
  minify = false,
  plugins = [],
}) {
  const at = (path) => resolve(dir, path);
  if (!outfile) await rm(at(outdir), { recursive: true, force: true });
  await build({
    ...common,
    absWorkingDir: dir,
    entryPoints,
    ...(outfile ? { outfile: at(outfile) } : { outdir: at(outdir) }),
    platform: "node",
    splitting,
    chunkNames: "chunks/[name]-[hash]",
    minify,
    keepNames: minify,
    plugins,
    // A bin needs the hashbang (harmless elsewhere); CommonJS dependencies bundled into ESM need a `require`.
    banner: {
      js: [
        "#!/usr/bin/env node",
        'import { createRequire as __idlinkCreateRequire } from "node:module";',
        "const require = __idlinkCreateRequire(import.meta.url);",
      ].join("\n"),
    },
  });
}

/**
 * zod's `z.locales` namespace re-exports every language zod speaks (about 350 KB of an app bundle, all parsed at load);
 * idlink's messages are its own and English, and zod's default locale (English) is imported apart. This keeps only
 * `z.locales.en`.
 */
export const englishOnlyZod = {
  name: "english-only-zod",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
    }));
  },
};

/**
 * Bundles a library: one `dist/<name>.js` per entry with its dependencies left as imports, and the declarations of
 * everything the entries export (`dist/**\/*.d.ts`, mirroring `src/`). `splitting` puts what several entries share
 * into `dist/chunks/` once, so a class two entries export stays one class.
 */
export async function bundleLibrary({ dir, entryPoints, platform = "node", splitting = false }) {
  const at = (path) => resolve(dir, path);
  await rm(at("dist"), { recursive: true, force: true });
  await build({
    ...common,
    absWorkingDir: dir,
    entryPoints,
    outdir: at("dist"),
    platform,
    packages: "external",
    splitting,
    chunkNames: "chunks/[name]-[hash]",
  });
  emitDeclarations(dir, entryPoints);
}

/** tsc's declarations of the entries, with the sources' `./x.ts` specifiers written as `./x.js` for consumers. */
function emitDeclarations(dir, entryPoints) {
  const configFile = ts.findConfigFile(dir, ts.sys.fileExists);
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic },
  );
  const options = {
    ...parsed.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: join(dir, "src"),
    outDir: join(dir, "dist"),
  };
  const program = ts.createProgram(
    entryPoints.map((e) => resolve(dir, e)),
    options,
  );
  const result = program.emit(undefined, (file, text) => {
    ts.sys.writeFile(file, text.replace(/((?:from|import\()\s*["']\.{1,2}\/[^"']*)\.ts(["'])/g, "$1.js$2"));
  });
  // Type errors are the typecheck task's; what fails here is a declaration tsc cannot write.
  if (result.diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getNewLine: () => "\n", getCurrentDirectory: () => dir };
    throw new Error(ts.formatDiagnostics(result.diagnostics, host));
  }
}

function onUnRecoverableConfigFileDiagnostic(diagnostic) {
  throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { library: { type: "boolean" }, splitting: { type: "boolean" }, platform: { type: "string" } },
  });
  if (!values.library || positionals.length === 0) {
    process.stderr.write(
      "usage: node scripts/bundle.mjs --library [--splitting] [--platform neutral] ENTRY...\n",
    );
    process.exit(2);
  }
  await bundleLibrary({
    dir: process.cwd(),
    entryPoints: positionals,
    platform: values.platform,
    splitting: values.splitting,
  });
}
