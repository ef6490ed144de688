import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createEmulator, defaultSeed, type Emulator, withSpaOrigins } from "@idlink/emulator";
import { launchChromium, recordOutput, recordSecrets } from "@idlink/test-kit";
import { type JWTPayload, jwtVerify } from "jose";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type DemoServer, startDemoServer } from "../server/demo-server.ts";
import { createLinkSecret, type LinkAtLoginSetup, linkAtLoginSetup } from "../server/link-at-login.ts";
import { emulatorSetup } from "../server/start-demo.ts";
import { axeViolations } from "./helpers/axe.ts";
import { appDir, type BuiltDemo, buildDemo } from "./helpers/build.ts";
import {
  alice,
  aliceEmail,
  aliceGoogle,
  bob,
  jane,
  janeEmail,
  janeSaml,
  type SessionOptions,
  signSession,
  tamper,
} from "./helpers/link-tokens.ts";

const shots = join(appDir, "test-results", "screenshots");
const secret = createLinkSecret();
recordSecrets(secret);

/** A stand-in for the tenant's /continue: a loopback server that records each POST and answers a small page. */
interface Recorder {
  continueUri: string;
  posts: { query: URLSearchParams; fields: URLSearchParams; contentType: string | undefined }[];
  server: Server;
}

async function startRecorder(): Promise<Recorder> {
  const posts: Recorder["posts"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://recorder");
      if (req.method === "POST" && url.pathname === "/continue") {
        posts.push({
          query: url.searchParams,
          fields: new URLSearchParams(Buffer.concat(chunks).toString("utf8")),
          contentType: req.headers["content-type"],
        });
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(
        '<!doctype html><html lang="en"><title>Continued</title><main><h1>Continued</h1></main></html>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { continueUri: `http://127.0.0.1:${port}/continue`, posts, server };
}

let built: BuiltDemo;
let server: DemoServer;
let emulator: Emulator;
let recorder: Recorder;
let link: LinkAtLoginSetup;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[];
let violations: string[];
const requestedOrigins = new Set<string>();

beforeAll(async () => {
  browser = await launchChromium();
  built = await buildDemo();
  server = await startDemoServer({ clientDir: built.clientDir });
  const seed = withSpaOrigins(defaultSeed(), server.origins);
  emulator = await createEmulator({ seed, corsOrigins: server.origins });
  recorder = await startRecorder();
  const setup = emulatorSetup(emulator, seed, { linkSecret: secret, pageOrigin: server.origin });
  // The tenant's own /continue, and the recorder standing in for it (the Action is not loaded here).
  link = linkAtLoginSetup({
    secret,
    tenant: emulator.url,
    spaClientId: setup.spaClientId,
    pageOrigin: server.origin,
    continueUris: [`${emulator.url}/continue`, recorder.continueUri],
  });
  server.attach({ ...setup, linkAtLogin: link });
  await mkdir(shots, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await Promise.allSettled([server?.stop(), emulator?.stop()]);
  recorder?.server.close();
  await built?.remove();
});

async function openContext(locale = "en-US") {
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1000, height: 900 }, locale });
  page = await context.newPage();
  consoleErrors = [];
  violations = [];
  context.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  await context.exposeBinding("__violation", (_, text: string) => violations.push(text));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __violation: (t: string) => void }).__violation(
        `${e.violatedDirective} ${e.blockedURI}`,
      );
    });
  });
  context.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol !== "data:") requestedOrigins.add(url.origin);
  });
}

beforeEach(async () => {
  emulator.state.reset();
  recorder.posts.length = 0;
  // Each test is a new login (the server answers each login once).
  link.answered.clear();
  await openContext();
});

const session = (options: Partial<SessionOptions> = {}) =>
  signSession({ secret, tenant: emulator.url, continueUri: recorder.continueUri, ...options });

async function open(token: string, state = "state-abc") {
  await page.goto(`${server.origin}/link?session_token=${token}&state=${encodeURIComponent(state)}`);
}

const heading = () => page.getByRole("heading", { level: 1 });

/** The one POST to the recorder: its outcome token, checked with the shared secret. */
async function posted(): Promise<{ payload: JWTPayload; state: string | null }> {
  await expect.poll(() => recorder.posts.length).toBe(1);
  const [post] = recorder.posts;
  expect(post?.contentType).toBe("application/x-www-form-urlencoded");
  const token = post?.fields.get("session_token") ?? "";
  recordSecrets(token);
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret));
  expect(protectedHeader.alg).toBe("HS256");
  return { payload, state: post?.query.get("state") ?? null };
}

/** The proof: the popup's fresh sign-in on the emulator's Universal Login, as `userId`. */
async function proveAs(email: string, userId: string) {
  const [popup] = await Promise.all([
    page.waitForEvent("popup"),
    page.getByRole("button", { name: `Sign in to ${email} to link it` }).click(),
  ]);
  await popup.waitForURL(`${emulator.url}/u/login?**`);
  const closed = popup.waitForEvent("close");
  await popup.getByRole("button", { name: userId }).click();
  await closed;
}

function lastAuthorize(): URLSearchParams {
  const request = emulator.state.requests.filter((r) => r.path === "/authorize").at(-1);
  return new URLSearchParams(request?.query ?? "");
}

const identities = (id: string) =>
  emulator.state.getUser(id)?.identities.map((i) => `${i.provider}|${i.user_id}`);

describe("the linking page", () => {
  test("shows the candidate with core's plan, proves ownership with a fresh sign-in, links and POSTs the outcome", async () => {
    await open(await session());
    await expect.poll(() => heading().textContent()).toBe("Link your accounts?");
    // Focus moves to the step's heading; the address bar no longer holds the session token.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Link your accounts?");
    expect(page.url()).toBe(`${server.origin}/link`);
    expect(
      await page.getByText(`You are signing in as ${aliceEmail} — google-oauth2 (google-oauth2).`).count(),
    ).toBe(1);
    const plan = page.getByRole("region", {
      name: "That account stays the primary; this login becomes one of its identities.",
    });
    expect(await plan.getByText("Why: it has a database (password) identity.").count()).toBe(1);
    expect(
      await plan
        .getByRole("list", { name: "Identities after linking" })
        .getByRole("listitem")
        .allTextContents(),
    ).toEqual([`auth0 ${alice}`, `google-oauth2 ${aliceGoogle}`]);
    expect(await plan.locator("pre").first().textContent()).toBe(
      JSON.stringify({ newsletter: true, theme: "light" }, null, 2),
    );
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, "link-page-1-choose.png"), fullPage: true });

    await plan.getByRole("checkbox", { name: /Copy newsletter/ }).check();
    await proveAs(aliceEmail, alice);
    const authorize = lastAuthorize();
    expect(authorize.get("prompt")).toBe("login");
    expect(authorize.get("max_age")).toBe("0");
    expect(authorize.get("login_hint")).toBe(aliceEmail);
    expect(authorize.get("response_type")).toBe("code");
    expect(authorize.get("code_challenge_method")).toBe("S256");

    const { payload, state } = await posted();
    expect(state).toBe("state-abc");
    expect(payload).toMatchObject({
      sub: aliceGoogle,
      iss: server.origin,
      state: "state-abc",
      outcome: "linked",
      primary_user_id: alice,
      candidates: [alice],
    });
    expect((payload.exp ?? 0) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(300);
    expect(typeof payload.iat).toBe("number");
    expect(identities(alice)).toEqual([alice, aliceGoogle]);
    expect(emulator.state.getUser(aliceGoogle)).toBeUndefined();
    expect(emulator.state.getUser(alice)?.user_metadata).toMatchObject({ newsletter: true, theme: "dark" });
    await page.waitForURL(`${recorder.continueUri}?state=state-abc`);
    expect(consoleErrors).toEqual([]);
    expect(violations).toEqual([]);
  });

  test("links an enterprise id with a | in its user_id into the current login", async () => {
    await open(
      await session({
        current: { user_id: jane, provider: "auth0", connection: "Username-Password-Authentication" },
        candidates: [{ user_id: janeSaml, provider: "samlp", connection: "acme-saml", email: janeEmail }],
      }),
    );
    await expect.poll(() => heading().textContent()).toBe("Link your accounts?");
    expect(
      await page
        .getByRole("region", {
          name: "This login's account stays the primary; the other one becomes one of its identities.",
        })
        .count(),
    ).toBe(1);
    await proveAs(janeEmail, janeSaml);
    const { payload } = await posted();
    expect(payload).toMatchObject({
      sub: jane,
      outcome: "linked",
      primary_user_id: jane,
      candidates: [janeSaml],
    });
    expect(emulator.state.getUser(jane)?.identities.at(-1)).toMatchObject({
      provider: "samlp",
      user_id: "acme-saml|jdoe@acme.example",
    });
    expect(emulator.state.getUser(janeSaml)).toBeUndefined();
    expect(consoleErrors).toEqual([]);
  });

  test("refuses a proof by another account (nothing linked), then takes the right one", async () => {
    await open(await session());
    await heading().filter({ hasText: "Link your accounts?" }).waitFor();
    await proveAs(aliceEmail, bob);
    const alert = page.getByRole("alert").filter({ hasText: "Nothing was linked" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain("You signed in to another account than the one you chose.");
    expect(await alert.textContent()).toContain(`the sign-in was to ${bob}, not to ${alice}`);
    // Focus moves to the problem, so it is read first.
    expect(await page.evaluate(() => document.activeElement?.classList.contains("link-problem"))).toBe(true);
    expect(identities(alice)).toEqual([alice]);
    expect(identities(aliceGoogle)).toEqual([aliceGoogle]);
    expect(recorder.posts).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, "link-page-wrong-account.png"), fullPage: true });
    // The refusal's 403 is the one console line (Chromium logs every failed request).
    expect(consoleErrors).toEqual([expect.stringContaining("status of 403")]);

    await proveAs(aliceEmail, alice);
    expect((await posted()).payload.outcome).toBe("linked");
    expect(identities(alice)).toEqual([alice, aliceGoogle]);
  });

  test("Skip for now answers skipped and links nothing", async () => {
    await open(await session());
    await page.getByRole("button", { name: "Skip for now" }).click();
    const { payload } = await posted();
    expect(payload).toMatchObject({
      sub: aliceGoogle,
      state: "state-abc",
      outcome: "skipped",
      candidates: [alice],
    });
    expect(payload).not.toHaveProperty("primary_user_id");
    expect(identities(alice)).toEqual([alice]);
    expect(consoleErrors).toEqual([]);
  });

  test("Not mine answers not_mine and links nothing; without allow_skip there is no Skip", async () => {
    await open(await session({ allowSkip: false }));
    await heading().filter({ hasText: "Link your accounts?" }).waitFor();
    expect(await page.getByRole("button", { name: "Skip for now" }).count()).toBe(0);
    await page.getByRole("button", { name: "None of these accounts are mine" }).click();
    const { payload } = await posted();
    expect(payload).toMatchObject({ outcome: "not_mine", candidates: [alice] });
    expect(identities(alice)).toEqual([alice]);
    expect(identities(aliceGoogle)).toEqual([aliceGoogle]);
    expect(consoleErrors).toEqual([]);
  });

  test.each([
    [
      "tampered",
      () => session().then((t) => tamper(t, (p) => (p.allow_skip = false))),
      "The session token was changed, or signed with another secret.",
    ],
    ["expired", () => session({ expiresIn: -30 }), "The session token has expired."],
    [
      "foreign",
      () => session({ iss: "acme.eu.auth0.com" }),
      "The session token comes from another Auth0 tenant.",
    ],
  ])("refuses a %s session token, naming why, and offers nothing", async (kind, make, words) => {
    await open(await make());
    await heading().filter({ hasText: "This linking page cannot be used" }).waitFor();
    const alert = page.getByRole("alert");
    expect(await alert.textContent()).toContain(words);
    expect(await page.getByRole("button").count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, `link-page-refused-${kind}.png`), fullPage: true });
    expect(consoleErrors).toEqual([expect.stringContaining("status of 403")]);
    expect(recorder.posts).toEqual([]);
  });

  test("works with the keyboard alone", async () => {
    await open(await session());
    await heading().filter({ hasText: "Link your accounts?" }).waitFor();
    let focused = "";
    for (let i = 0; i < 10 && focused !== "None of these accounts are mine"; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => document.activeElement?.textContent ?? "");
    }
    expect(focused).toBe("None of these accounts are mine");
    await page.keyboard.press("Enter");
    expect((await posted()).payload.outcome).toBe("not_mine");
  });

  test("speaks the browser's language: French", async () => {
    await openContext("fr-FR");
    await open(await session());
    await expect.poll(() => heading().textContent()).toBe("Relier vos comptes ?");
    expect(await page.evaluate(() => document.documentElement.lang)).toBe("fr");
    expect(await page.title()).toBe("Relier vos comptes");
    expect(
      await page.getByText("Pourquoi : il a une identité de base de données (mot de passe).").count(),
    ).toBe(1);
    expect(
      await page.getByRole("button", { name: `Se connecter à ${aliceEmail} pour le relier` }).count(),
    ).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: join(shots, "link-page-fr.png"), fullPage: true });
    await page.getByRole("button", { name: "Plus tard" }).click();
    expect((await posted()).payload.outcome).toBe("skipped");
    expect(consoleErrors).toEqual([]);
  });

  test("made requests only to the demo, the tenant and the tenant's /continue (the recorder)", () => {
    recordOutput("web-demo: link page console errors", consoleErrors.join("\n"));
    expect([...requestedOrigins].sort()).toEqual(
      [server.origin, emulator.url, new URL(recorder.continueUri).origin].sort(),
    );
  });
});
