import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Launches Debian's Chromium (never a downloaded browser). Without it the browser tests fail with this message
 * instead of passing silently.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}. The web demo's browser tests need Debian's Chromium: ` +
        "run `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH). They fail rather than skip.",
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    // Without the networking flags Chromium floods a closed network with connection attempts (TOOLCHAIN.md #7).
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
