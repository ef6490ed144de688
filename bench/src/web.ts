import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { launchChromium } from "@idlink/test-kit";
import { bins } from "./processes.ts";
import { median, ms, type Section } from "./stats.ts";

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Starts the built demo (emulator + demo server, as `pnpm start` does) and resolves its URL. */
function startDemo(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [bins.demo], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { PATH: process.env.PATH ?? "" },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk;
      const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
      if (url) resolve({ url, stop: () => child.kill("SIGTERM") });
    });
    child.on("exit", (code) => reject(new Error(`the demo exited (${code}) before printing its URL`)));
  });
}

/** The page's gzipped JavaScript, and the time from navigation to the first control being usable in Chromium. */
export async function web(size: { loads: number }): Promise<Section> {
  const assets = join(bins.demoClient, "assets");
  const js = readdirSync(assets).filter((f) => f.endsWith(".js"));
  const raw = js.reduce((n, f) => n + readFileSync(join(assets, f)).length, 0);
  const gzip = (f: string) => gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
  const gzipped = js.reduce((n, f) => n + gzip(f), 0);
  // Each chunk by its name without Vite's hash: the entry (index), Auth0's SDK (Auth0Client), its token worker.
  const chunks = js.map((f) => [`JavaScript, gzip -9, ${f.replace(/-[\w-]{8}\.js$/, "")}`, kib(gzip(f))]);
  const demo = await startDemo();
  const browser = await launchChromium();
  const times: number[] = [];
  try {
    for (let i = 0; i < size.loads; i++) {
      const context = await browser.newContext(); // a cold cache every load
      const page = await context.newPage();
      await page.goto(demo.url);
      await page.waitForSelector('button:has-text("Sign in as primary"):not([disabled])');
      await page.waitForFunction(() => document.readyState === "complete");
      times.push(await page.evaluate(() => performance.now()));
      await context.close();
    }
  } finally {
    await browser.close();
    demo.stop();
  }
  const tti = median(times);
  return {
    title: "5. Web demo",
    command: "pnpm bench",
    table: [
      ["figure", "value"],
      ["JavaScript, raw", kib(raw)],
      ["JavaScript, gzip -9", kib(gzipped)],
      ...chunks,
      [`time to interactive, first view (median of ${size.loads} cold loads)`, ms(tti)],
    ],
    notes: [
      "This section alone: `pnpm --filter @idlink/bench run bench web` (after `pnpm run build` in apps/web-demo).",
      "Time to interactive: from navigation start to the first sign-in button rendered and the document complete, in headless Debian Chromium against the local emulator.",
      "The sign-in button waits for Auth0's SPA SDK, a chunk of its own fetched beside the page's configuration.",
      "Auth0's SPA SDK is built from the source it ships, without the features the page never calls (apps/web-demo/src/slim); zod is its mini build behind the builders core's rules use.",
    ],
    figures: { gzipped, tti },
  };
}
