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
 * What the demo page's first view loads: the entry script and the module preloads its HTML names, every chunk they
 * import statically, and the SDK's token worker, which the page starts as it sets up the first sign-in
 * (`workerUrl`). Chunks only `import()`ed when a flow needs them (core's linking code) or on another path (the
 * linking page's) are not in it.
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

  test("names everything the first view loads in its first bytes: the configuration, React's page, Auth0's SDK chunk", async () => {
    const html = await readFile(join(built.clientDir, "index.html"), "utf8");
    expect(html).toContain('<link rel="preload" href="/api/config" as="fetch" crossorigin="">');
    const preloads = [
      ...html.matchAll(/<link rel="modulepreload" crossorigin="" href="\/(assets\/[\w.-]+\.js)">/g),
    ].map((m) => m[1] ?? "");
    expect(preloads.map((file) => chunkName(file))).toEqual(expect.arrayContaining(["mount", "Auth0Client"]));
    const assets = (await readdir(join(built.clientDir, "assets"))).map((f) => `assets/${f}`);
    for (const file of preloads) expect(assets).toContain(file);
  });

  test("holds the first view, prerendered, behind one render-blocking script; the linking page's HTML does not", async () => {
    const html = await readFile(join(built.clientDir, "index.html"), "utf8");
    // The sign-in button the first script answers (src/page-start.ts), enabled, and both flows.
    expect(html).toContain(
      '<button type="button" class="button" id="sign-in-primary">Sign in as primary</button>',
    );
    expect(html).toContain("Link as an administrator");
    expect(html).toContain('<label for="admin-primary"');
    // Nothing about a tenant: the configuration comes at run time.
    expect(html).toContain("https://{tenant}/api/v2/users/{id}/identities");
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(
      /^<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js" blocking="render">$/,
    );
    const link = await readFile(join(built.clientDir, "link.html"), "utf8");
    expect(link).toContain('<div id="root"></div>');
    expect(link).toContain(scripts[0]);
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
    expect(html).toMatch(
      /<script type="module" crossorigin src="\/assets\/[^"]+\.js" blocking="render"><\/script>/,
    );
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  test("the demo page's first load weighs at most 110 KiB of JavaScript, gzipped (gzip -9), Auth0's SDK and its worker included", async () => {
    const { firstLoad, chunks } = await firstLoadChunks();
    const sizes = [...firstLoad].map((name) => ({ chunk: chunkName(name), bytes: gzipSize(chunks, name) }));
    const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
    console.info(
      `the demo page's first-load JavaScript, gzip -9: ${kib(total)} (${sizes.map((s) => `${s.chunk} ${kib(s.bytes)}`).join(", ")})`,
    );
    // The entry, React's page and what it imports, Auth0's SDK and its worker; not core's linking code.
    expect(sizes.map((s) => s.chunk)).toEqual(
      expect.arrayContaining(["index", "mount", "Auth0Client", "auth0-spa-js.worker.production"]),
    );
    expect(sizes.map((s) => s.chunk)).not.toContain("linking");
    expect(total).toBeLessThanOrEqual(110 * 1024);
  });

  test("the linking page and core's linking code are chunks of their own, outside the first view", async () => {
    const { firstLoad, chunks } = await firstLoadChunks();
    const rest = [...chunks.keys()].filter((name) => !firstLoad.has(name));
    expect(rest.map(chunkName)).toEqual(expect.arrayContaining(["link-page", "linking"]));
    const entry = [...firstLoad].find((name) => chunkName(name) === "index") ?? "";
    // Imported dynamically (main.tsx on /link; the flows when they first need core), never statically.
    for (const name of rest) expect(staticImports(chunks.get(entry) ?? "")).not.toContain(name);
    const linkChunk = rest.find((name) => chunkName(name) === "link-page") ?? "";
    expect(chunks.get(entry)).toContain(linkChunk);
    const bytes = gzipSize(chunks, linkChunk);
    console.info(
      `the linking page's own JavaScript, gzip -9: ${kib(bytes)} (beside the demo page's entry and React chunks)`,
    );
    expect(bytes).toBeLessThanOrEqual(12 * 1024);
    // zod and core's rules are in the linking code only.
    const linking = rest.find((name) => chunkName(name) === "linking") ?? "";
    console.info(
      `core's linking code and zod, loaded when needed, gzip -9: ${kib(gzipSize(chunks, linking))}`,
    );
    expect(chunks.get(linking)).toMatch(/jitless:\s*(!0|true)/);
    for (const name of firstLoad) expect(chunks.get(name)).not.toMatch(/jitless/);
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
