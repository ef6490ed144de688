import type { Emulator } from "@idlink/emulator";
import { launchChromium } from "@idlink/test-kit";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type DemoServer, startDemoServer } from "../server/demo-server.ts";
import { attachTenant } from "../server/start-demo.ts";
import { startAssetGate } from "./helpers/asset-gate.ts";
import { type BuiltDemo, buildDemo } from "./helpers/build.ts";

// The page's first view and its first script (src/page-start.ts, src/main.tsx): the prerendered page answers the
// sign-in button before React has loaded, and says what could not load. The page is opened through a loopback
// proxy that holds back or refuses some of its files.

const alice = "auth0|64f1a2b3c4d5e6f708192a3b";

let built: BuiltDemo;
let browser: Browser;
let server: DemoServer;
let emulator: Emulator | undefined;
let gate: Awaited<ReturnType<typeof startAssetGate>>;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[];

function tenant(): string {
  if (!emulator) throw new Error("these tests run against the emulator");
  return emulator.url;
}

beforeAll(async () => {
  browser = await launchChromium();
  built = await buildDemo();
  server = await startDemoServer({ clientDir: built.clientDir });
  gate = await startAssetGate(server.origin);
  // The page is opened at the proxy's origin: the demo server and the emulator's SPA client accept it.
  server.allowOrigin(gate.origin);
  emulator = await attachTenant(server, { mode: "emulator", port: 0 }, [...server.origins, gate.origin]);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await gate?.stop();
  await Promise.allSettled([server?.stop(), emulator?.stop()]);
  await built?.remove();
});

beforeEach(async () => {
  gate.reset();
  await context?.close();
  context = await browser.newContext();
  page = await context.newPage();
  consoleErrors = [];
  context.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
});

const signInButton = () => page.getByRole("button", { name: "Sign in as primary" });
/** The tenant's name in the page's header: React shows it once the configuration is in. */
const tenantBadge = () => page.locator(".tenant");

describe("the first view", () => {
  test("is in the page's HTML, and React takes it over without a mismatch", async () => {
    const response = await page.goto(`${gate.origin}/`);
    const html = (await response?.text()) ?? "";
    expect(html).toContain('id="sign-in-primary">Sign in as primary</button>');
    expect(html).toContain("Link as an administrator");
    await tenantBadge().waitFor();
    expect(await tenantBadge().textContent()).toContain(tenant());
    // The request previews name the tenant once React has it (the prerendered page says {tenant}).
    await expect
      .poll(() => page.getByTestId("request-preview").first().textContent())
      .toContain(`POST ${tenant()}/api/v2/users/{id}/identities`);
    expect(consoleErrors).toEqual([]);
  });

  test("answers a click on the sign-in button before React has loaded, and React completes the sign-in", async () => {
    gate.hold("mount-");
    await page.goto(`${gate.origin}/`);
    await expect.poll(() => gate.waiting("mount-")).toBeGreaterThan(0);
    expect(await tenantBadge().count()).toBe(0); // React has not taken the page over
    await signInButton().click();
    await page.waitForURL(`${tenant()}/u/login?**`);
    gate.release("mount-");
    await page.getByRole("button", { name: alice }).click();
    await page.waitForURL(`${gate.origin}/`);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(await page.getByText(alice).count()).toBeGreaterThan(0);
    expect(consoleErrors).toEqual([]);
  });

  test("says why a sign-in an early click started could not start, once React has taken over", async () => {
    gate.hold("mount-");
    gate.refuse("Auth0Client-");
    await page.goto(`${gate.origin}/`);
    await signInButton().click();
    gate.release("mount-");
    const alert = page.getByRole("alert").filter({ hasText: "Sign-in did not complete" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain("/assets/Auth0Client-");
    expect(page.url()).toBe(`${gate.origin}/`);
    expect(await signInButton().isEnabled()).toBe(true);
  });

  test("says so when React's code cannot be loaded, and the sign-in button still signs in", async () => {
    gate.refuse("mount-");
    await page.goto(`${gate.origin}/`);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("The page's code could not be loaded");
    expect(await alert.textContent()).toContain("reload the page");
    await signInButton().click();
    await page.waitForURL(`${tenant()}/u/login?**`);
  });
});

describe("Auth0's SDK, set up when a sign-in needs it", () => {
  test("is not set up by the first view, but as a pointer is pressed on the sign-in button", async () => {
    // Setting it up starts its token worker: a request for the worker's file.
    const workers: string[] = [];
    context.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith("/assets/auth0-spa-js.worker."))
        workers.push(request.url());
    });
    await page.goto(`${gate.origin}/`);
    await tenantBadge().waitFor();
    expect(workers).toEqual([]);
    const box = await signInButton().boundingBox();
    if (!box) throw new Error("the sign-in button is not on screen");
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await expect.poll(() => workers.length).toBe(1);
    expect(page.url()).toBe(`${gate.origin}/`); // no click yet: still here
    await page.mouse.up();
    await page.waitForURL(`${tenant()}/u/login?**`);
  });
});

describe("core's linking code, loaded when a flow first needs it", () => {
  test("is not loaded by the first view", async () => {
    const loaded: string[] = [];
    page.on("request", (request) => loaded.push(new URL(request.url()).pathname));
    await page.goto(`${gate.origin}/`);
    await tenantBadge().waitFor();
    expect(loaded.some((path) => path.startsWith("/assets/mount-"))).toBe(true);
    expect(loaded.filter((path) => path.startsWith("/assets/linking-"))).toEqual([]);
  });

  test("the administrator's form says when it cannot be loaded, and loads it at the next use", async () => {
    gate.refuse("linking-");
    await page.goto(`${gate.origin}/`);
    await tenantBadge().waitFor();
    const flow = page.getByRole("region", { name: "Link as an administrator" });
    await flow.getByLabel("Primary user id").fill("not-an-id");
    const alert = flow.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toContain("/assets/linking-");
    expect(await flow.getByRole("button", { name: "Review the plan" }).isDisabled()).toBe(true);

    gate.reset();
    await flow.getByLabel("provider", { exact: true }).focus();
    await flow.getByLabel("provider", { exact: true }).fill("github");
    await flow.locator('[data-field="admin-primary"]').waitFor();
    expect(await flow.locator('[data-field="admin-primary"]').textContent()).toContain(
      "primary must be a full user id",
    );
  });

  test("a sign-in that comes back without it says so", async () => {
    gate.refuse("linking-");
    await page.goto(`${gate.origin}/`);
    await signInButton().click();
    await page.waitForURL(`${tenant()}/u/login?**`);
    await page.getByRole("button", { name: alice }).click();
    await page.waitForURL(`${gate.origin}/`);
    const alert = page.getByRole("alert").filter({ hasText: "Sign-in did not complete" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain("/assets/linking-");
  });
});
