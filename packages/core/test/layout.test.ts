// The shape of core, checked: its folders are floors (a module imports only from its own floor or lower ones), and
// the browser entry builds for a browser without Node, key signing or tenant profiles.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, test } from "vitest";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");

/** Lowest first: a folder may import from the folders before it, never from one after it. */
const floors = ["generated", "present", "ids", "http", "auth", "linking", "export", "actions"];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The folder of a source file, or "entry" for the files at the top of src/ (the package's doors). */
function folderOf(file: string): string {
  const [first, second] = relative(src, file).split("/");
  return second === undefined ? "entry" : (first ?? "");
}

const imports = sources(src).flatMap((file) =>
  [...readFileSync(file, "utf8").matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)].map((match) => ({
    from: relative(src, file),
    to: relative(src, resolve(dirname(file), match[1] ?? "")),
  })),
);

describe("core's folders", () => {
  test("every source file is in a folder of the table or is an entry", () => {
    const folders = new Set(sources(src).map(folderOf));
    expect([...folders].filter((f) => f !== "entry" && !floors.includes(f))).toEqual([]);
  });

  test("no import runs up a floor, and nothing imports an entry", () => {
    const upward = imports.filter(({ from, to }) => {
      const source = folderOf(join(src, from));
      const target = folderOf(join(src, to));
      if (target === "entry") return true;
      return source !== "entry" && floors.indexOf(target) > floors.indexOf(source);
    });
    expect(upward).toEqual([]);
  });

  test("the check sees the imports it judges", () => {
    // A guard on the guard: the table above is only as good as the imports it finds.
    expect(imports).toContainEqual({ from: "http/client.ts", to: "ids/arguments.ts" });
    expect(imports.length).toBeGreaterThan(60);
  });
});

describe("the browser entry", () => {
  test("builds for a browser with no Node built-in, no key signing and no tenant profiles", async () => {
    const result = await build({
      entryPoints: [join(src, "browser.ts")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      metafile: true,
      absWorkingDir: resolve(src, ".."),
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((input) => input.startsWith("node:"))).toEqual([]);
    const ours = inputs.filter((input) => input.startsWith("src/")).map((input) => input.slice(4));
    for (const serverOnly of [
      "auth/assertion-signing.ts",
      "auth/management-token.ts",
      "auth/credentials.ts",
      "auth/profiles.ts",
    ]) {
      expect(ours).not.toContain(serverOnly);
    }
    const code = result.outputFiles[0]?.text ?? "";
    expect(code).not.toMatch(/SignJWT|importPKCS8/);
    // Tokens are only read on a page (decodeUnverified), so jose stays out of it entirely.
    expect(inputs.filter((input) => input.includes("/jose/"))).toEqual([]);
    expect(ours).toContain("linking/workflow.ts");
  });
});

describe("what a reader of users carries", () => {
  test("the post-login entry loads no zod and no jose until a write or a key needs them", async () => {
    // The post-login entry, what an Action bundles (@idlink/link-action): its static graph holds neither library;
    // the parsers of an unparsed write and Private Key JWT signing come in dynamic chunks.
    const result = await build({
      stdin: {
        contents: 'export * from "./src/post-login.ts";',
        resolveDir: resolve(src, ".."),
        loader: "ts",
      },
      absWorkingDir: resolve(src, ".."),
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      splitting: true,
      outdir: "out",
      metafile: true,
      logLevel: "silent",
    });
    const outputs = result.metafile.outputs;
    const entry = Object.keys(outputs).find((name) => outputs[name]?.entryPoint !== undefined) ?? "";
    const seen = new Set<string>();
    const walk = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const edge of outputs[name]?.imports ?? []) if (edge.kind === "import-statement") walk(edge.path);
    };
    walk(entry);
    const statics = [...seen].flatMap((name) => Object.keys(outputs[name]?.inputs ?? {}));
    expect(statics.filter((input) => /\/(zod|jose)\//.test(input))).toEqual([]);
    // And they are there, behind dynamic imports: the check sees what it excludes.
    const all = Object.values(outputs).flatMap((output) => Object.keys(output.inputs));
    expect(all.some((input) => input.includes("/zod/"))).toBe(true);
    expect(all.some((input) => input.includes("/jose/"))).toBe(true);
  });

  test("a single-file bundle of the post-login entry, as an Action is built, holds neither", async () => {
    const result = await build({
      entryPoints: [join(src, "post-login.ts")],
      absWorkingDir: resolve(src, ".."),
      bundle: true,
      write: false,
      format: "cjs",
      platform: "node",
      metafile: true,
      logLevel: "silent",
    });
    // What reaches the output (esbuild scans a dynamic import inside an unused function, then drops its code).
    const [output] = Object.values(result.metafile.outputs);
    const inputs = Object.entries(output?.inputs ?? {})
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([input]) => input);
    expect(inputs.filter((input) => /\/(zod|jose)\//.test(input))).toEqual([]);
    expect(inputs).toContain("src/http/client.ts");
  });
});
