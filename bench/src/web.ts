import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { launchChromium } from "@idlink/test-kit";
import { bins } from "./processes.ts";
import { median, ms, type Section } from "./stats.ts";

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
  // Vite names the page's entry chunk index-*.js; the others (Auth0's SDK, its token worker) load after it.
  const entry = js.filter((f) => f.startsWith("index-")).reduce((n, f) => n + gzip(f), 0);
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
      ["JavaScript, raw", `${(raw / 1024).toFixed(1)} KiB`],
      ["JavaScript, gzip -9", `${(gzipped / 1024).toFixed(1)} KiB`],
      ["JavaScript, gzip -9, entry chunk", `${(entry / 1024).toFixed(1)} KiB`],
      [`time to interactive, first view (median of ${size.loads} cold loads)`, ms(tti)],
    ],
    notes: [
      "Time to interactive: from navigation start to the first sign-in button rendered and the document complete, in headless Debian Chromium against the local emulator.",
      "The sign-in button waits for Auth0's SPA SDK, a chunk of its own fetched beside the page's configuration.",
    ],
    figures: { gzipped, tti },
  };
}
