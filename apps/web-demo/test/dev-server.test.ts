import { get } from "node:http";
import type { AddressInfo } from "node:net";
import { launchChromium, recordOutput } from "@idlink/test-kit";
import type { Browser } from "playwright-core";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { devBackend } from "../server/dev-backend.ts";
import { contentSecurityPolicy } from "../server/security.ts";
import type { PageConfig } from "../src/lib/api-types.ts";
import { appDir } from "./helpers/build.ts";

const alice = "auth0|64f1a2b3c4d5e6f708192a3b";
const bob = "auth0|64f1a2b3c4d5e6f708192a4c";
const bobGithub = "github|5812345";
let vite: ViteDevServer;
let origin: string;
const seen: string[] = [];

beforeAll(async () => {
  // `pnpm dev` as dev.mjs starts it, on a free port, with no AUTH0_* set: the emulator.
  vite = await createServer({
    root: appDir,
    plugins: [devBackend({})],
    server: { port: 0 },
    logLevel: "silent",
    clearScreen: false,
  });
  await vite.listen();
  const address = vite.httpServer?.address();
  if (address === null || address === undefined || typeof address === "string")
    throw new Error("not listening");
  const { port } = address as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  recordOutput("web-demo: dev server answers", seen.join("\n"));
  await vite?.close();
});

async function page(): Promise<{ csp: string; html: string; nonce: string }> {
  const response = await fetch(`${origin}/`);
  expect(response.status).toBe(200);
  const csp = response.headers.get("content-security-policy") ?? "";
  const html = await response.text();
  seen.push(html);
  const nonce = /'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1] ?? "";
  return { csp, html, nonce };
}

describe("pnpm dev", () => {
  test("serves the page with the built page's CSP plus a fresh nonce and the HMR websocket", async () => {
    const config = (await (await fetch(`${origin}/api/config`)).json()) as PageConfig;
    const first = await page();
    const second = await page();
    expect(first.nonce).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(second.nonce).not.toBe(first.nonce);
    // One policy, from server/security.ts: the built page's, with exactly Vite's two needs added.
    expect(first.csp).toBe(
      contentSecurityPolicy(config.tenant, { nonce: first.nonce, websocket: origin.replace("http:", "ws:") }),
    );
    expect(first.csp).not.toContain("unsafe-inline");
    expect(first.csp).not.toContain("unsafe-eval");
    // Every script and style tag of the page carries that nonce; none is left without.
    const tags = first.html.match(/<(script|style)\b[^>]*>/g) ?? [];
    expect(tags.length).toBeGreaterThanOrEqual(3);
    for (const tag of tags) expect(tag).toContain(`nonce="${first.nonce}"`);
    expect(first.html).toContain(`<meta property="csp-nonce" nonce="${first.nonce}">`);
    expect(first.html).not.toContain("placeholder");
  });

  test("serves the linking page (/link) too, with the linking page's CSP (no form-action) and a fresh nonce", async () => {
    const config = (await (await fetch(`${origin}/api/config`)).json()) as PageConfig;
    const response = await fetch(`${origin}/link?session_token=x&state=y`);
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1] ?? "";
    seen.push(await response.text());
    expect(csp).toBe(
      contentSecurityPolicy(config.tenant, { nonce, websocket: origin.replace("http:", "ws:") }, "link"),
    );
  });

  test("proxies the demo server's API, which accepts the dev page (origin and proof) and refuses others", async () => {
    const config = (await (await fetch(`${origin}/api/config`)).json()) as PageConfig;
    expect(config).toMatchObject({ mode: "emulator", spaClientId: expect.any(String) });
    expect(config.tenant).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The proof, as the dev page gets it: the demo server's per-start secret in the page Vite serves.
    const { html } = await page();
    const proof = /<meta name="idlink-csrf" content="([^"]+)">/.exec(html)?.[1] ?? "";
    expect(proof).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const plan = (origin_: string, headers: Record<string, string> = { "x-idlink-csrf": proof }) =>
      fetch(`${origin}/api/plan`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: origin_, ...headers },
        body: JSON.stringify({
          primary: bob,
          body: { provider: "github", user_id: bobGithub.split("|")[1] },
        }),
      });
    const ours = await plan(origin);
    const text = await ours.text();
    seen.push(text);
    expect(ours.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ plan: { primary: { user_id: bob } } });
    const theirs = await plan("http://evil.example");
    expect(theirs.status).toBe(403);
    expect(await theirs.text()).toContain("requests from http://evil.example are not allowed");
    // Through the proxy as well: no proof, no plan (and no read of a user).
    const unproven = await plan(origin, {});
    expect(unproven.status).toBe(403);
    expect(await unproven.text()).toContain("the x-idlink-csrf header is missing");
    expect((await fetch(`${origin}/api/users/${encodeURIComponent(bob)}`)).status).toBe(403);
  });

  test("refuses a page request under another Host name", async () => {
    // fetch cannot set Host (a forbidden header): node:http can, as a DNS-rebinding page's request would carry it.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${origin}/`, { headers: { host: "evil.example" } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on("error", reject);
    });
    expect(status).toBe(403);
  });
});

describe("pnpm dev in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("renders, connects the hot-reload socket, signs in, with no CSP violation", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(() => {
      const violations: string[] = [];
      Object.assign(window, { __violations: violations });
      document.addEventListener("securitypolicyviolation", (e) => {
        violations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    const consoleLines: string[] = [];
    page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    const hmr = page.waitForEvent("websocket", (ws) => ws.url().startsWith(origin.replace("http:", "ws:")));
    await page.goto(`${origin}/`);
    await page
      .getByRole("heading", { name: "Link as the signed-in user" })
      .waitFor()
      .catch((error: unknown) => {
        throw new Error(`the page did not render: ${consoleLines.join("\n")}`, { cause: error });
      });
    await hmr;
    await page.waitForFunction(() => document.querySelectorAll("style[nonce]").length > 0);

    // The user flow's redirect sign-in through the SDK, its worker and the emulator, as on the built page.
    const userFlow = page.getByRole("region", { name: "Link as the signed-in user" });
    await userFlow.getByRole("button", { name: "Sign in as primary" }).click();
    await page.waitForURL(/\/u\/login\?/);
    await page.getByRole("button", { name: alice }).click();
    await page.waitForURL(`${origin}/`);
    await userFlow.getByRole("button", { name: "Sign out" }).waitFor();

    const violations = await page.evaluate(
      () => (window as unknown as { __violations: string[] }).__violations,
    );
    expect(violations).toEqual([]);
    expect(consoleLines.filter((l) => l.includes("Content Security Policy"))).toEqual([]);
    recordOutput("web-demo: dev page console", consoleLines.join("\n"));
    await context.close();
  });
});
