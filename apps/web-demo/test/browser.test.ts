import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createManagementClient } from "@idlink/core";
import { clientCredentialsToken } from "@idlink/core/node";
import { createEmulator, defaultSeed, seedSecrets, withSpaOrigins } from "@idlink/emulator";
import { launchChromium, recordOutput, recordSecrets } from "@idlink/test-kit";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startDemoServer } from "../server/demo-server.ts";
import { type RunningDemo, startDemo } from "../server/start-demo.ts";
import { axeViolations } from "./helpers/axe.ts";
import { appDir, type BuiltDemo, buildDemo } from "./helpers/build.ts";

const shots = join(appDir, "test-results", "screenshots");
const alice = "auth0|64f1a2b3c4d5e6f708192a3b";
const aliceGoogle = "google-oauth2|108234567890123456789";
const bob = "auth0|64f1a2b3c4d5e6f708192a4c";
const carol = "auth0|65b7c8d9e0f1a2b3c4d5e6f7";
const carolGoogle = "google-oauth2|117700000000000000042";
const jwtPattern = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./;

let built: BuiltDemo;
let demo: RunningDemo;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const requestedOrigins = new Set<string>();
const demoResponses: string[] = [];
const consoleErrors: string[] = [];
let navigations: string[] = [];
/** This test's console errors and failed answers (4xx/5xx), in the page, its popups and its worker. */
let failures: { console: string[]; responses: string[] };

function tenant(): string {
  if (!demo.emulator) throw new Error("the browser tests run against the emulator");
  return demo.emulator.url;
}

async function shot(name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  // Chromium first: without it this suite fails at once, with the message that says how to install it.
  browser = await launchChromium();
  built = await buildDemo();
  demo = await startDemo({ mode: "emulator", port: 0 }, built.clientDir);
  await mkdir(shots, { recursive: true });
});

afterAll(async () => {
  for (const body of demoResponses) recordOutput("web-demo: answers to the page", body);
  recordOutput("web-demo: console errors", consoleErrors.join("\n"));
  await context?.close();
  await browser?.close();
  await demo?.stop();
  await built?.remove();
});

beforeEach(async () => {
  demo.emulator?.state.reset();
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  await page.addInitScript(() => {
    const violations: string[] = [];
    Object.assign(window, { __violations: violations });
    document.addEventListener("securitypolicyviolation", (e) => {
      violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page.on("request", (request) => {
    const url = new URL(request.url());
    // data: URLs (the inline favicon) are not requests to any origin.
    if (url.protocol !== "data:") requestedOrigins.add(url.origin);
  });
  // The tokens the tenant hands the page (from the page itself or the SDK's worker) are secrets the scan looks
  // for in everything else.
  context.on("response", async (response) => {
    if (!response.url().endsWith("/oauth/token")) return;
    const tokens = (await response.json().catch(() => ({}))) as Record<string, string | undefined>;
    recordSecrets(tokens.id_token, tokens.access_token, tokens.refresh_token);
  });
  failures = { console: [], responses: [] };
  context.on("console", (message) => {
    if (message.type() === "error") failures.console.push(message.text());
  });
  context.on("response", (response) => {
    if (response.status() >= 400) {
      failures.responses.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    }
  });
  navigations = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });
  page.on("response", async (response) => {
    if (!response.url().startsWith(demo.server.origin)) return;
    demoResponses.push(await response.text().catch(() => ""));
  });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  await page.goto(demo.url);
  await page.getByRole("heading", { name: "Link as the signed-in user" }).waitFor();
});

async function cspViolations(): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
}

const userFlow = () => page.getByRole("region", { name: "Link as the signed-in user" });
const adminFlow = () => page.getByRole("region", { name: "Link as an administrator" });

/** The emulator's login page: the button of one seeded user (its name holds the user id). */
const loginButton = (on: Page, userId: string) => on.getByRole("button", { name: userId });

/** "Sign in as primary": the redirect to the emulator's Universal Login, a user picked, the redirect back. */
async function signInPrimary(userId: string) {
  await userFlow().getByRole("button", { name: "Sign in as primary" }).click();
  await page.waitForURL(`${tenant()}/u/login?**`);
  await loginButton(page, userId).click();
  await page.waitForURL(demo.url);
  await userFlow().getByRole("button", { name: "Sign out" }).waitFor();
}

/** "Link another account": a fresh login in a popup; the page (and the primary's session) stays. */
async function signInSecondary(userId: string) {
  const [popup] = await Promise.all([
    page.waitForEvent("popup"),
    userFlow().getByRole("button", { name: "Link another account: sign in" }).click(),
  ]);
  await popup.waitForURL(`${tenant()}/u/login?**`);
  const closed = popup.waitForEvent("close");
  await loginButton(popup, userId).click();
  await closed;
  await userFlow().getByRole("button", { name: "Use another account" }).waitFor();
}

/** The /authorize URL the SDK sent the browser to last (from the emulator's request log). */
function lastAuthorizeUrl(): URL {
  const request = demo.emulator?.state.requests.filter((r) => r.path === "/authorize").at(-1);
  if (!request) throw new Error("no /authorize request");
  return new URL(`${tenant()}/authorize?${request.query}`);
}

/** The tenant's answers that were refused or failed (4xx, 5xx, or a dropped connection), from its own log. */
function tenantFailures(): string[] {
  return (demo.emulator?.state.requests ?? [])
    .filter((r) => r.status >= 400 || r.status === 0)
    .map((r) => `${r.status} ${r.method} ${r.path}`);
}

/** Every URL of the tab's history, from Chromium itself. */
async function historyUrls(): Promise<string[]> {
  const cdp = await context.newCDPSession(page);
  const { entries } = (await cdp.send("Page.getNavigationHistory")) as { entries: { url: string }[] };
  await cdp.detach();
  return entries.map((e) => e.url);
}

describe("link as the signed-in user", () => {
  test("signs in on Universal Login, then a fresh login for the secondary, links, unlinks and signs out", async () => {
    const flow = userFlow();
    await signInPrimary(alice);
    const identities = flow.getByRole("list", { name: `Identities of ${alice}` });
    await expect.poll(() => identities.getByRole("listitem").count()).toBe(1);
    await expect.poll(() => flow.getByText("email verified").count()).toBe(1);
    const primaryAuthorize = lastAuthorizeUrl().searchParams;
    expect(primaryAuthorize.get("response_type")).toBe("code");
    expect(primaryAuthorize.get("code_challenge_method")).toBe("S256");
    expect(primaryAuthorize.get("audience")).toBe(`${tenant()}/api/v2/`);
    expect(primaryAuthorize.get("scope")?.split(" ")).toContain("offline_access");
    expect(primaryAuthorize.get("prompt")).toBe("login");

    await signInSecondary(aliceGoogle);
    const secondaryAuthorize = lastAuthorizeUrl().searchParams;
    expect(secondaryAuthorize.get("prompt")).toBe("login");
    expect(secondaryAuthorize.get("response_mode")).toBe("web_message");
    // The secondary's own access token may read the secondary: the primary's may not (Auth0 answers 403).
    expect(secondaryAuthorize.get("audience")).toBe(`${tenant()}/api/v2/`);
    expect(secondaryAuthorize.get("scope")?.split(" ")).toContain("read:current_user");
    expect(secondaryAuthorize.get("scope")?.split(" ")).not.toContain("update:current_user_identities");
    // The primary is still the primary: the secondary's login did not replace it.
    expect(await flow.getByText(alice).count()).toBeGreaterThan(0);
    const after = flow.getByRole("list", { name: "Identities after linking" });
    await expect
      .poll(() => after.getByRole("listitem").allTextContents())
      .toEqual([`auth0 ${alice}`, `google-oauth2 ${aliceGoogle}`]);
    // The plan read the secondary with its own token, so it shows the metadata the link discards (seeded:
    // user_metadata { newsletter: true, theme: "light" }, no app_metadata).
    const plan = flow.locator(".plan");
    expect(await plan.textContent()).toContain(`Discarded with ${aliceGoogle}`);
    expect(await plan.locator("pre").first().textContent()).toBe(
      JSON.stringify({ newsletter: true, theme: "light" }, null, 2),
    );
    expect(await flow.getByRole("list", { name: "Warnings" }).textContent()).toContain(
      "the secondary's metadata will be discarded (user_metadata: newsletter, theme; app_metadata: none)",
    );
    const reads = demo.emulator?.state.requests.filter((r) => r.method === "GET") ?? [];
    expect(reads.map((r) => `${r.status} ${decodeURIComponent(r.path)}`)).toContain(
      `200 /api/v2/users/${aliceGoogle}`,
    );
    const preview = await flow.getByTestId("request-preview").textContent();
    expect(preview).toContain(`POST ${tenant()}/api/v2/users/auth0%7C64f1a2b3c4d5e6f708192a3b/identities`);
    expect(preview).toContain("authorization: Bearer <PRIMARY_ACCESS_TOKEN>");
    expect(preview).toContain('"link_with": "<SECONDARY_ID_TOKEN>"');
    expect(preview).not.toMatch(jwtPattern);
    await shot("user-flow-1-before-link");

    await flow.getByRole("button", { name: "Link accounts" }).click();
    await expect.poll(() => identities.getByRole("listitem").count()).toBe(2);
    await expect
      .poll(() => flow.locator(".status-line").textContent())
      .toContain(`${aliceGoogle} is now an identity of ${alice}`);
    expect(demo.emulator?.state.getUser(alice)?.identities.map((i) => i.provider)).toEqual([
      "auth0",
      "google-oauth2",
    ]);
    await shot("user-flow-2-linked");

    await flow.getByRole("button", { name: `Unlink ${aliceGoogle}` }).click();
    await expect.poll(() => identities.getByRole("listitem").count()).toBe(1);
    expect(demo.emulator?.state.getUser(aliceGoogle)).toBeDefined();
    await shot("user-flow-3-unlinked");
    expect(await cspViolations()).toEqual([]);

    await flow.getByRole("button", { name: "Sign out" }).click();
    // The tenant's session ended too (/v2/logout answered the redirect back to an allowed logout URL). The page
    // shows its sign-in button before the browser leaves for /v2/logout, so the tenant's log is waited for.
    const logout = () => demo.emulator?.state.requests.filter((r) => r.path === "/v2/logout").at(-1);
    await expect.poll(() => logout()?.status).toBe(302);
    expect(new URLSearchParams(logout()?.query).get("returnTo")).toBe(demo.url);
    await page.waitForURL(demo.url, { waitUntil: "load" });
    await flow.getByRole("button", { name: "Sign in as primary" }).waitFor();
    // Nothing was refused on the way: no request failed, in the page, the popup or the SDK's worker.
    expect(tenantFailures()).toEqual([]);
    expect(failures.responses).toEqual([]);
    expect(failures.console).toEqual([]);
  });

  test("settles a link whose answer was lost by reading the primary, and shows the identities", async () => {
    const flow = userFlow();
    await signInPrimary(alice);
    await signInSecondary(aliceGoogle);
    await flow.getByRole("list", { name: "Identities after linking" }).waitFor();
    // The tenant applies the link, then drops the connection without answering: the page cannot know the outcome.
    demo.emulator?.setFaults({ dropAfterRate: 1, methods: ["POST"] });
    try {
      await flow.getByRole("button", { name: "Link accounts" }).click();
      const identities = flow.getByRole("list", { name: `Identities of ${alice}` });
      await expect
        .poll(() => identities.getByRole("listitem").allTextContents())
        .toEqual([expect.stringContaining(alice), expect.stringContaining(aliceGoogle)]);
    } finally {
      demo.emulator?.setFaults({});
    }
    const status = await flow.locator(".status-line").textContent();
    expect(status).toContain(`${aliceGoogle} is now an identity of ${alice}`);
    expect(status).toContain("answer was lost");
    expect(await flow.getByRole("alert").count()).toBe(0);
    // The link went out (and its answer was lost), then core's workflow read the primary, found the secondary
    // linked, and sent nothing again.
    const log = demo.emulator?.state.requests.filter((r) => r.path.startsWith("/api/v2/")) ?? [];
    const links = log.filter((r) => r.method === "POST");
    expect(links.length).toBeGreaterThan(0);
    expect(links.every((r) => r.status === 0)).toBe(true);
    const lastLink = log.lastIndexOf(links.at(-1) as (typeof log)[number]);
    expect(
      log.slice(lastLink + 1).map((r) => `${r.status} ${r.method} ${decodeURIComponent(r.path)}`),
    ).toContain(`200 GET /api/v2/users/${alice}`);
    expect(demo.emulator?.state.getUser(alice)?.identities.map((i) => i.provider)).toEqual([
      "auth0",
      "google-oauth2",
    ]);
    await shot("user-flow-reconciled");
  });

  test("leaves no code or token in the address bar or the tab's history", async () => {
    await signInPrimary(alice);
    expect(page.url()).toBe(demo.url);
    const history = await historyUrls();
    expect(history.some((url) => url.startsWith(`${tenant()}/u/login`))).toBe(true);
    // The code passes through the address bar once (that is the protocol) and is gone from the history after.
    expect(navigations.some((url) => url.startsWith(`${demo.url}?code=`))).toBe(true);
    for (const url of history.filter((u) => u.startsWith(demo.server.origin))) {
      expect(url).not.toMatch(/[?&#](code|state)=/);
    }
    for (const url of [...history, ...navigations]) {
      expect(url).not.toMatch(jwtPattern);
      expect(url).not.toMatch(/[?&#](id_token|access_token|refresh_token)=/);
    }
    expect(history.at(-1)).toBe(demo.url);
  });

  test.each([
    ["state", "Invalid state"],
    ["nonce", "Nonce (nonce) claim mismatch in the ID token"],
  ])("refuses a sign-in answer whose %s is not the one it asked for", async (param, message) => {
    const flow = userFlow();
    await flow.getByRole("button", { name: "Sign in as primary" }).click();
    await page.waitForURL(`${tenant()}/u/login?**`);
    // An attacker's authorization request: the page's own, with another state or nonce.
    const forged = lastAuthorizeUrl();
    forged.searchParams.set(param, "forged-by-someone-else");
    await page.goto(forged.toString());
    await loginButton(page, alice).click();
    await page.waitForURL(demo.url);
    const alert = flow.getByRole("alert").filter({ hasText: "Sign-in did not complete" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(message);
    expect(await flow.getByRole("button", { name: "Sign in as primary" }).isEnabled()).toBe(true);
    expect(page.url()).toBe(demo.url);
  });

  test("a callback URL that is not allowed is refused by the tenant, which redirects nowhere", async () => {
    await userFlow().getByRole("button", { name: "Sign in as primary" }).click();
    await page.waitForURL(`${tenant()}/u/login?**`);
    const forged = lastAuthorizeUrl();
    forged.searchParams.set("redirect_uri", "https://attacker.example/");
    const response = await page.goto(forged.toString());
    expect(response?.status()).toBe(400);
    expect(await page.getByRole("alert").textContent()).toContain(
      "Callback URL mismatch. https://attacker.example/ is not in the list of allowed callback URLs.",
    );
    expect(page.url()).toBe(forged.toString());
    await shot("callback-url-refused");
  });

  test("refuses to link an account whose email is not verified, with Auth0's reasoning", async () => {
    const flow = userFlow();
    await signInPrimary(carol);
    await flow.locator(".badge-warn").waitFor();
    await signInSecondary(carolGoogle);
    // Core's plan refuses it (one email policy for every face), and the page shows the plan's reason.
    const refusal = flow.getByRole("alert").filter({ hasText: "This link cannot go ahead" });
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain("is not verified");
    expect(await refusal.textContent()).toContain("linking only accounts whose emails are verified");
    expect(await flow.getByRole("button", { name: "Link accounts" }).isDisabled()).toBe(true);
    await shot("user-flow-unverified-refused");
  });

  test("works with the keyboard alone", async () => {
    await userFlow().getByRole("button", { name: "Sign in as primary" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(`${tenant()}/u/login?**`);
    await page.keyboard.press("Tab"); // the first seeded user
    await page.keyboard.press("Enter");
    await page.waitForURL(demo.url);
    await userFlow().getByRole("button", { name: "Sign out" }).waitFor();
    expect(await userFlow().getByText(alice).count()).toBeGreaterThan(0);
  });
});

describe("link as an administrator", () => {
  test("reviews the plan, merges metadata, links through the demo server and unlinks", async () => {
    const flow = adminFlow();
    await flow.getByLabel("Primary user id").fill(bob);
    await flow.getByLabel("provider", { exact: true }).fill("github");
    await flow.getByLabel("user_id", { exact: true }).fill("5812345");
    await flow.getByText("The body is valid (identity variant).").waitFor();
    const preview = await flow.getByTestId("request-preview").textContent();
    expect(preview).toContain("authorization: Bearer <MANAGEMENT_API_TOKEN>");
    expect(preview).toContain('"user_id": "5812345"');

    await flow.getByRole("button", { name: "Review the plan" }).click();
    const after = flow.getByRole("list", { name: "Identities after linking" });
    await expect.poll(() => after.getByRole("listitem").count()).toBe(2);
    expect(await flow.locator(".plan").textContent()).toContain('"editor": "vim"');
    await flow.getByRole("checkbox", { name: /Copy the secondary's user_metadata \(editor\)/ }).check();
    await shot("admin-flow-1-plan");

    await flow.getByRole("button", { name: "Link accounts" }).click();
    const identities = flow.getByRole("list", { name: `Identities of ${bob}` });
    await expect.poll(() => identities.getByRole("listitem").count()).toBe(2);
    await expect.poll(() => flow.locator(".status-line").textContent()).toContain("editor");
    expect(demo.emulator?.state.getUser(bob)?.user_metadata).toEqual({ editor: "vim" });
    await shot("admin-flow-2-linked");

    await flow.getByRole("button", { name: "Unlink github|5812345" }).click();
    await expect.poll(() => identities.getByRole("listitem").count()).toBe(1);
    expect(demo.emulator?.state.getUser("github|5812345")).toBeDefined();
    expect(await cspViolations()).toEqual([]);
  });

  test("validates as the user types, each message under its field, submit disabled while invalid", async () => {
    const flow = adminFlow();
    const submit = flow.getByRole("button", { name: "Review the plan" });
    await flow.getByLabel("Primary user id").fill(alice);
    await flow.getByLabel("provider", { exact: true }).fill("googl");
    await flow.getByLabel("user_id", { exact: true }).fill("123");
    const providerError = flow.locator('[data-field="admin-provider"]');
    expect(await providerError.textContent()).toContain('provider "googl" is not an Auth0 identity provider');
    expect(await flow.getByLabel("provider", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(await submit.isDisabled()).toBe(true);

    await flow.getByLabel("provider", { exact: true }).fill("google-oauth2");
    await flow.getByLabel("user_id", { exact: true }).fill(aliceGoogle);
    // Auth0 accepts the full id in user_id (recorded); core sends its bare part, so the form is valid.
    expect(await flow.locator('[data-field="admin-user_id"]').count()).toBe(0);
    expect(await providerError.count()).toBe(0);
    expect(await submit.isEnabled()).toBe(true);

    await flow.getByLabel("user_id", { exact: true }).fill("108234567890123456789");
    await flow.getByLabel(/connection_id/).fill("con_123");
    expect(await flow.locator('[data-field="admin-connection_id"]').textContent()).toContain(
      "connection_id must look like con_ followed by 16 letters or digits",
    );
    await shot("admin-live-validation");
    await flow.getByLabel(/connection_id/).fill("");
    await flow.getByText("The body is valid (identity variant).").waitFor();
    expect(await submit.isEnabled()).toBe(true);
  });

  test("rejects the seed page's body visibly, in one click, and sends nothing", async () => {
    const flow = adminFlow();
    await flow.getByRole("button", { name: "Load the seed page's body" }).click();
    const messages = async (field: string) => flow.locator(`[data-field="admin-${field}"]`).textContent();
    expect(await messages("link_with")).toContain("link_with cannot be combined with provider");
    expect(await messages("provider")).toContain("provider must not be empty");
    expect(await messages("user_id")).toContain("user_id must not be empty");
    expect(await messages("connection_id")).toContain("connection_id must not be empty");
    expect(await flow.getByText(/Rejected before sending: 4 problem/).count()).toBe(1);
    expect(await flow.getByRole("button", { name: "Review the plan" }).isDisabled()).toBe(true);
    expect(await flow.getByTestId("request-preview").textContent()).toContain('"connection_id": ""');
    await shot("admin-seed-body-rejected");
    expect(demo.emulator?.state.requests.filter((r) => r.path.startsWith("/api/v2"))).toEqual([]);
  });

  test("shows an API error in plain words with Auth0's status and message", async () => {
    const flow = adminFlow();
    await flow.getByLabel("Primary user id").fill("auth0|000000000000000000000000");
    await flow.getByLabel("provider", { exact: true }).fill("github");
    await flow.getByLabel("user_id", { exact: true }).fill("5812345");
    await flow.getByRole("button", { name: "Review the plan" }).click();
    const alert = flow.getByRole("alert").filter({ hasText: "Not found" });
    await alert.waitFor();
    expect(await alert.locator(".status").textContent()).toContain("404");
    expect(await alert.textContent()).toContain("The user does not exist.");
    expect(await alert.textContent()).toContain("Check the primary's id (auth0|000000000000000000000000)");
    await shot("admin-api-error");
  });

  test("says where an identity linked into another user lives: as the secondary, and as the primary", async () => {
    const flow = adminFlow();
    await flow.getByLabel("Primary user id").fill(alice);
    await flow.getByLabel("provider", { exact: true }).fill("github");
    await flow.getByLabel("user_id", { exact: true }).fill("7700123");
    await flow.getByRole("button", { name: "Review the plan" }).click();
    const blocked = flow.getByRole("alert").filter({ hasText: "This link cannot go ahead" });
    await blocked.waitFor();
    expect(await blocked.textContent()).toContain(
      "github|7700123 is not a user of its own: it is linked into auth0|6600aa11bb22cc33dd44ee55 (frank@example.com)",
    );
    expect(await flow.getByRole("button", { name: "Link accounts" }).isDisabled()).toBe(true);

    await flow.getByLabel("Primary user id").fill("github|7700123");
    await flow.getByLabel("user_id", { exact: true }).fill("5812345");
    await flow.getByRole("button", { name: "Review the plan" }).click();
    const notFound = flow.getByRole("alert").filter({ hasText: "Not found" });
    await notFound.waitFor();
    expect(await notFound.textContent()).toContain(
      "linked into auth0|6600aa11bb22cc33dd44ee55 (frank@example.com)",
    );
    expect(await notFound.textContent()).toContain("act on auth0|6600aa11bb22cc33dd44ee55 instead");
    await shot("admin-linked-elsewhere");
  });
});

describe("the page", () => {
  test("fits a narrow screen", async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    await adminFlow().getByRole("button", { name: "Fill an example" }).click();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot("narrow-screen");
  });

  test("has no axe-core violations: on load, and with both flows showing a plan and the admin's identities", async () => {
    expect(await axeViolations(page)).toEqual([]);
    // The primary's sign-in reloads the page: the user flow first, then the administrator's form.
    await signInPrimary(alice);
    await signInSecondary(aliceGoogle);
    await userFlow().getByRole("list", { name: "Identities after linking" }).waitFor();
    const flow = adminFlow();
    await flow.getByLabel("Primary user id").fill(bob);
    await flow.getByLabel("provider", { exact: true }).fill("github");
    await flow.getByLabel("user_id", { exact: true }).fill("5812345");
    await flow.getByRole("button", { name: "Show the primary's identities" }).click();
    await flow.getByRole("list", { name: `Identities of ${bob}` }).waitFor();
    await flow.getByRole("button", { name: "Review the plan" }).click();
    await flow.getByRole("list", { name: "Identities after linking" }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  test("labels every form control for screen readers", async () => {
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea, button")]
        .filter((el) => {
          const labelled = el.getAttribute("aria-label") || (el as HTMLInputElement).labels?.length;
          const text = el.tagName === "BUTTON" && el.textContent?.trim();
          return !labelled && !text;
        })
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
  });

  test("made requests only to its own origin and the tenant's, and got no secret from its server", () => {
    expect([...requestedOrigins].sort()).toEqual([demo.server.origin, tenant()].sort());
    const secrets = seedSecrets();
    for (const body of demoResponses) {
      for (const secret of secrets) expect(body).not.toContain(secret);
      expect(body).not.toMatch(jwtPattern);
    }
    expect(demoResponses.length).toBeGreaterThan(5);
    expect(consoleErrors.filter((e) => /Content Security Policy|unsafe-eval/i.test(e))).toEqual([]);
  });
});

// Last: it talks to a tenant of its own, which the origin check above must not see.
describe("refresh tokens", () => {
  test("the SDK renews the primary's short-lived access token with rotating refresh tokens, and links", async () => {
    // A tenant whose access tokens live 30 s: under the SDK's 60 s margin, so every token it needs is renewed.
    const server = await startDemoServer({ clientDir: built.clientDir });
    const emulator = await createEmulator({
      seed: withSpaOrigins(defaultSeed(), server.origins),
      corsOrigins: server.origins,
      tokenTtlSeconds: 30,
    });
    server.attach({
      mode: "emulator",
      tenant: emulator.url,
      spaClientId: "idlink-spa",
      client: createManagementClient({
        domain: emulator.url,
        getToken: clientCredentialsToken({
          clientId: "idlink-admin",
          clientSecret: "emulator-only-secret-admin",
        }),
      }),
    });
    const grants: string[] = [];
    context.on("request", (request) => {
      if (request.url() === `${emulator.url}/oauth/token`) {
        grants.push(new URLSearchParams(request.postData() ?? "").get("grant_type") ?? "");
      }
    });
    try {
      await page.goto(`${server.origin}/`);
      await userFlow().getByRole("button", { name: "Sign in as primary" }).click();
      await page.waitForURL(`${emulator.url}/u/login?**`);
      await loginButton(page, alice).click();
      await page.waitForURL(`${server.origin}/`);
      const identities = userFlow().getByRole("list", { name: `Identities of ${alice}` });
      // Each call renews a token first, so this page is slower than the others: a longer wait.
      await expect.poll(() => identities.getByRole("listitem").count(), { timeout: 20_000 }).toBe(1);
      const [popup] = await Promise.all([
        page.waitForEvent("popup"),
        userFlow().getByRole("button", { name: "Link another account: sign in" }).click(),
      ]);
      await loginButton(popup, aliceGoogle).click();
      await userFlow().getByRole("button", { name: "Link accounts" }).click();
      await expect.poll(() => identities.getByRole("listitem").count(), { timeout: 20_000 }).toBe(2);
      expect(grants[0]).toBe("authorization_code");
      expect(grants.filter((g) => g === "refresh_token").length).toBeGreaterThanOrEqual(2);
      // Every refresh succeeded: each rotated token was used once, so no reuse was detected.
      const refused = emulator.state.requests.filter(
        (r) => r.method === "POST" && r.path === "/oauth/token" && r.status !== 200,
      );
      expect(refused).toEqual([]);
    } finally {
      await Promise.allSettled([server.stop(), emulator.stop()]);
    }
  });
});
