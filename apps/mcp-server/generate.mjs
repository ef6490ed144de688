// Writes src/generated/catalog.json: what the SDK server answers to initialize, tools/list and the other messages the
// stdio front answers alone (src/front.ts), asked of the server built from the real tool definitions. The build runs
// it first, so the bundle always carries the current list; test/front.test.ts fails when the committed file is stale.
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const dir = fileURLToPath(new URL(".", import.meta.url));
const target = join(dir, "src/generated/catalog.json");

/** Generates the catalog and writes it if it changed; answers whether it did. */
export async function writeCatalog() {
  const outfile = join(tmpdir(), `idlink-mcp-catalog-${process.pid}.mjs`);
  await build({
    absWorkingDir: dir,
    entryPoints: ["src/generate-catalog.ts"],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outfile,
    logLevel: "warning",
    banner: {
      js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
    },
  });
  try {
    const { generateCatalog } = await import(pathToFileURL(outfile).href);
    const text = `${JSON.stringify(await generateCatalog(), null, 2)}\n`;
    const before = await readFile(target, "utf8").catch(() => "");
    if (text !== before) await writeFile(target, text);
    return text !== before;
  } finally {
    await rm(outfile, { force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (await writeCatalog()) process.stdout.write("wrote src/generated/catalog.json\n");
}
