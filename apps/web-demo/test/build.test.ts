import { type ChildProcess, spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { seedSecrets } from "@idlink/emulator";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type BuiltDemo, buildDemo } from "./helpers/build.ts";

const marker = "client-secret-marker-4d1f";
let built: BuiltDemo;

beforeAll(async () => {
  // A configured tenant's credentials are in the environment while the page builds: none may end up in it.
  built = await buildDemo({
    server: true,
    env: {
      // As `pnpm run build` has it: vitest's NODE_ENV=test would give the page React's development build.
      NODE_ENV: "production",
      AUTH0_CLIENT_SECRET: marker,
      VITE_AUTH0_CLIENT_SECRET: marker,
      AUTH0_MANAGEMENT_TOKEN: `eyJhbGciOiJSUzI1NiJ9.${marker}.sig`,
    },
  });
}, 120_000);
afterAll(() => built?.remove());

async function pageFiles(): Promise<{ name: string; text: string }[]> {
  const names = await readdir(built.clientDir, { recursive: true, withFileTypes: true });
  return Promise.all(
    names
      .filter((d) => d.isFile())
      .map(async (d) => {
        const path = join(d.parentPath, d.name);
        return { name: path, text: await readFile(path, "utf8") };
      }),
  );
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
const chunkName = (file: string) => basename(file).replace(/-[\w-]{8}\.js$/, "");
const gzipSize = (chunks: Map<string, string>, name: string) =>
  gzipSync(chunks.get(name) ?? "", { level: 9 }).length;

/** The chunks a module imports statically (`import … from "./x.js"`, `import "./x.js"`), not `import()`. */
function staticImports(code: string): string[] {
  return [...code.matchAll(/\bimport\s*(?:[\w$\s{},*]*?\bfrom\s*)?["'`]\.\/([\w.-]+\.js)["'`]/g)].map(
    (m) => m[1] ?? "",
  );
}

/**
 * What the demo page loads before it is usable: the entry script and the module preloads its HTML names, every chunk
 * they import statically, and the SDK's token worker, which the page starts as it sets up the primary's sign-in
 * (`workerUrl`). Chunks only `import()`ed on another path (the linking page's) are not in it.
 */
async function firstLoadChunks(): Promise<{ firstLoad: Set<string>; chunks: Map<string, string> }> {
  const assets = join(built.clientDir, "assets");
  const names = (await readdir(assets)).filter((n) => n.endsWith(".js"));
  const chunks = new Map(
    await Promise.all(names.map(async (n) => [n, await readFile(join(assets, n), "utf8")] as const)),
  );
  const html = await readFile(join(built.clientDir, "index.html"), "utf8");
  const firstLoad = new Set<string>();
  const visit = (name: string) => {
    if (firstLoad.has(name) || !chunks.has(name)) return;
    firstLoad.add(name);
    for (const imported of staticImports(chunks.get(name) ?? "")) visit(imported);
  };
  for (const m of html.matchAll(
    /<(?:script type="module"|link rel="modulepreload")[^>]*(?:src|href)="\/assets\/([^"]+\.js)"/g,
  )) {
    visit(m[1] ?? "");
  }
  for (const name of names.filter((n) => n.startsWith("auth0-spa-js.worker."))) {
    expect([...firstLoad].some((loaded) => chunks.get(loaded)?.includes(`/assets/${name}`))).toBe(true);
    visit(name);
  }
  return { firstLoad, chunks };
}

describe("the built page", () => {
  test("holds no machine-to-machine token code: no client assertion, no /oauth/token grant of its own", async () => {
    const js = (await pageFiles()).filter((f) => f.name.endsWith(".js"));
    for (const { text } of js) {
      expect(text).not.toContain("client-assertion-type:jwt-bearer");
      expect(text).not.toContain("client_credentials");
    }
  });

  test("names what the sign-in button waits for in its first bytes: the configuration and Auth0's SDK chunk", async () => {
    const html = await readFile(join(built.clientDir, "index.html"), "utf8");
    expect(html).toContain('<link rel="preload" href="/api/config" as="fetch" crossorigin="">');
    const sdk = /<link rel="modulepreload" crossorigin="" href="\/(assets\/Auth0Client-[\w-]+\.js)">/.exec(
      html,
    )?.[1];
    expect(sdk).toBeDefined();
    expect((await readdir(join(built.clientDir, "assets"))).map((f) => `assets/${f}`)).toContain(sdk);
  });

  test("contains no Management token, client secret or IdP token", async () => {
    const files = await pageFiles();
    expect(files.some((f) => f.name.endsWith(".js"))).toBe(true);
    for (const { text } of files) {
      expect(text).not.toContain(marker);
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./);
      for (const secret of seedSecrets()) expect(text).not.toContain(secret);
    }
  });

  test("has no inline script, so the CSP needs no unsafe-inline", async () => {
    const html = await readFile(join(built.clientDir, "index.html"), "utf8");
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  test("the demo page's first load weighs at most 110 KiB of JavaScript, gzipped (gzip -9), Auth0's SDK and its worker included", async () => {
    const { firstLoad, chunks } = await firstLoadChunks();
    const sizes = [...firstLoad].map((name) => ({ chunk: chunkName(name), bytes: gzipSize(chunks, name) }));
    const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
    console.info(
      `the demo page's first-load JavaScript, gzip -9: ${kib(total)} (${sizes.map((s) => `${s.chunk} ${kib(s.bytes)}`).join(", ")})`,
    );
    expect(sizes.map((s) => s.chunk).sort()).toEqual([
      "Auth0Client",
      "auth0-spa-js.worker.production",
      "index",
    ]);
    expect(total).toBeLessThanOrEqual(110 * 1024);
  });

  test("the linking page is a chunk of its own, loaded on its path only (not part of the demo page's first load)", async () => {
    const { firstLoad, chunks } = await firstLoadChunks();
    const rest = [...chunks.keys()].filter((name) => !firstLoad.has(name));
    expect(rest.map(chunkName)).toEqual(["link-page"]);
    const [linkChunk] = rest;
    // Imported dynamically by the entry (main.tsx, on /link), never statically.
    const entry = [...firstLoad].find((name) => chunkName(name) === "index") ?? "";
    expect(chunks.get(entry)).toContain(`./${linkChunk}`);
    expect(staticImports(chunks.get(entry) ?? "")).not.toContain(linkChunk);
    const bytes = gzipSize(chunks, linkChunk ?? "");
    console.info(
      `the linking page's own JavaScript, gzip -9: ${kib(bytes)} (beside the demo page's entry and SDK chunks)`,
    );
    expect(bytes).toBeLessThanOrEqual(12 * 1024);
  });

  test("turns zod's JIT off before any schema is built", async () => {
    const js = (await pageFiles()).filter((f) => f.name.endsWith(".js")).map((f) => f.text);
    expect(js.join("\n")).toMatch(/jitless:\s*(!0|true)/);
  });
});

describe("pnpm start (the server bundle)", () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill("SIGKILL");
  });

  test("prints one URL, serves the page and the emulator behind it, and stops on SIGTERM", async () => {
    const proc = spawn(process.execPath, [built.serverFile], {
      env: { PATH: process.env.PATH },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let output = "";
    proc.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await expect.poll(() => output, { timeout: 15_000 }).toContain("\n");
    const urls = output.match(/https?:\/\/\S+/g) ?? [];
    expect(urls).toHaveLength(1);
    const url = urls[0] ?? "";
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const leak = await fetch(`${url}..%2Fserver%2Fstart.js`);
    expect(leak.status).toBe(404);
    const config = (await (await fetch(`${url}api/config`)).json()) as { tenant: string };
    const jwks = await fetch(`${config.tenant}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);

    const exited = new Promise<number | null>((resolve) => proc.once("exit", resolve));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
    await expect(fetch(`${config.tenant}/.well-known/jwks.json`)).rejects.toThrow();
  });
});
