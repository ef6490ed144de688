import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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

type Timed = Window & { __interactiveAt?: number };

/**
 * Runs in the page before its scripts: records `performance.now()` at the first moment the primary's sign-in
 * button is rendered and enabled and the document is complete (a mutation observer and the load event, so the
 * time is the page's own, free of the harness's round trips). A string, so no helper of the TypeScript loader
 * (such as esbuild's `__name`) is needed in the page.
 */
const markInteractive = `(() => {
  const check = () => {
    if (window.__interactiveAt !== undefined || document.readyState !== "complete") return;
    const ready = Array.from(document.querySelectorAll("button")).some(
      (b) => !b.disabled && (b.textContent || "").includes("Sign in as primary"),
    );
    if (ready) window.__interactiveAt = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
  window.addEventListener("load", check);
})();`;

/** The page's gzipped JavaScript, and the time from navigation to the first control being usable in Chromium. */
export async function web(size: { loads: number }): Promise<Section> {
  const assets = join(bins.demoClient, "assets");
  // The demo page's first load: the linking page (/link, link at login) is a chunk of its own, loaded only there.
  const js = readdirSync(assets).filter((f) => f.endsWith(".js") && !f.startsWith("link-page-"));
  const raw = js.reduce((n, f) => n + readFileSync(join(assets, f)).length, 0);
  const gzip = (f: string) => gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
  const gzipped = js.reduce((n, f) => n + gzip(f), 0);
  // Each chunk by its name without Vite's hash: the entry (index), Auth0's SDK (Auth0Client), its token worker.
  const chunks = js.map((f) => [`JavaScript, gzip -9, ${f.replace(/-[\w-]{8}\.js$/, "")}`, kib(gzip(f))]);
  const demo = await startDemo();
  // The floor, measured the same way in the same run: a page of one such button and no script, served on loopback
  // with the demo page's own response headers (its cross-origin-opener-policy alone makes Chromium start the page
  // in a new process). What the demo takes above it is the page's own.
  const demoHeaders: Record<string, string> = {};
  (await fetch(demo.url)).headers.forEach((value, name) => {
    if (!/^(content-length|date|etag|last-modified|connection|keep-alive|transfer-encoding)$/.test(name)) {
      demoHeaders[name] = value;
    }
  });
  const floor = createServer((_request, response) => {
    response.writeHead(200, { ...demoHeaders, "content-type": "text/html; charset=utf-8" });
    response.end('<!doctype html><meta charset="utf-8"><button type="button">Sign in as primary</button>');
  }).listen(0, "127.0.0.1");
  await once(floor, "listening");
  const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;
  const browser = await launchChromium();
  const times: number[] = [];
  const floorTimes: number[] = [];
  const timeLoad = async (url: string) => {
    const context = await browser.newContext(); // a cold cache every load
    try {
      const page = await context.newPage();
      // Timed inside the page, when it happens, not when the harness's polling notices it (which added 0.3–0.4 s).
      await page.addInitScript({ content: markInteractive });
      await page.goto(url);
      const at = await page.waitForFunction(() => (window as Timed).__interactiveAt);
      return Number(await at.jsonValue());
    } finally {
      await context.close();
    }
  };
  try {
    for (let i = 0; i < size.loads; i++) {
      times.push(await timeLoad(demo.url));
      floorTimes.push(await timeLoad(floorUrl));
    }
  } finally {
    await browser.close();
    demo.stop();
    floor.close();
  }
  const tti = median(times);
  const floorTti = median(floorTimes);
  return {
    title: "5. Web demo",
    command: "pnpm bench",
    table: [
      ["figure", "value"],
      ["JavaScript, raw", kib(raw)],
      ["JavaScript, gzip -9", kib(gzipped)],
      ...chunks,
      [`time to interactive, first view (median of ${size.loads} cold loads)`, ms(tti)],
      [
        `the floor: one button, no script, the demo's headers, same run (median of ${size.loads})`,
        ms(floorTti),
      ],
      ["the page above the floor", ms(tti - floorTti)],
    ],
    notes: [
      "This section alone: `pnpm --filter @idlink/bench run bench web` (after `pnpm run build` in apps/web-demo).",
      "Time to interactive: from navigation start to the first moment the primary's sign-in button is rendered and enabled and the document is complete, recorded inside the page (a mutation observer installed before the page's scripts), in headless Debian Chromium against the local emulator, a fresh browser context (cold cache) per load.",
      "The sign-in button waits for Auth0's SPA SDK, a chunk of its own fetched beside the page's configuration.",
      "Auth0's SPA SDK is built from the source it ships, without the features the page never calls (apps/web-demo/src/slim); zod is its mini build behind the builders core's rules use.",
    ],
    figures: { gzipped, tti, floorTti },
  };
}
