import { writeFileSync } from "node:fs";
import { adminClient, createEmulator, defaultSeed, type Emulator, withSpaOrigins } from "@idlink/emulator";
import { actionSource } from "@idlink/link-action";
import { launchChromium, recordOutput, recordSecrets } from "@idlink/test-kit";
import { decodeJwt } from "jose";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type DemoServer, startDemoServer } from "../server/demo-server.ts";
import { createLinkSecret } from "../server/link-at-login.ts";
import { emulatorSetup } from "../server/start-demo.ts";
import { proofMarker } from "../src/link/link-types.ts";
import { type BuiltDemo, buildDemo } from "./helpers/build.ts";
import { buildIdlinkCli, type IdlinkCli } from "./helpers/idlink-cli.ts";
import { alice, aliceEmail, aliceGoogle } from "./helpers/link-tokens.ts";

// End to end: the post-login Action (packages/link-action's built file) deployed and bound to post-login through the
// Management API by the built `idlink action deploy` (apps/cli, the code it carries), sending the browser to this
// demo's linking page, and the page's answer resuming the login at /continue. Then rollback and remove, by idlink.

const secret = createLinkSecret();
recordSecrets(secret);
let built: BuiltDemo;
let server: DemoServer;
let emulator: Emulator;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let consoleErrors: string[];
/** The ID tokens the tenant handed the page, newest last. */
let idTokens: string[];
/** The linking page's POSTs to /continue: URL and form body. */
let continues: { url: string; body: string }[];
let cli: IdlinkCli;
/** idlink's connection: the emulator and a Management token with the Actions scopes. */
let cliEnv: Record<string, string>;
let secretsFile: string;

beforeAll(async () => {
  browser = await launchChromium();
  [built, cli] = await Promise.all([buildDemo(), buildIdlinkCli()]);
  server = await startDemoServer({ clientDir: built.clientDir });
  const seed = withSpaOrigins(defaultSeed(), server.origins);
  emulator = await createEmulator({ seed, corsOrigins: server.origins });
  server.attach(emulatorSetup(emulator, seed, { linkSecret: secret, pageOrigin: server.origin }));
  const admin = adminClient(seed);
  if (!admin) throw new Error("the seed has no admin client");
  secrets = {
    MANAGEMENT_API_DOMAIN: emulator.url,
    MANAGEMENT_API_CLIENT_ID: admin.clientId,
    MANAGEMENT_API_CLIENT_SECRET: admin.clientSecret,
    SESSION_TOKEN_SECRET: secret,
    LINK_PAGE_URL: `${server.origin}/link`,
  };
  secretsFile = cli.secretsFile(secrets);
  const token = await emulator.mintToken({
    scopes: ["read:actions", "create:actions", "update:actions", "delete:actions"],
  });
  recordSecrets(token);
  cliEnv = { AUTH0_DOMAIN: emulator.url, AUTH0_TOKEN: token };
});

let secrets: Record<string, string>;

/** `idlink action …`, the built bin, against the emulator. */
const action = (...args: string[]) => cli.idlink(["action", ...args], cliEnv);

/** Deploys the Action with `idlink action deploy` (the code idlink carries) and checks it is what logins run. */
async function deployAction() {
  const deployed = await action("deploy", "--secrets", secretsFile, "--yes");
  expect(deployed.code, deployed.stderr).toBe(0);
  const bound = emulator.state.boundPostLoginActions();
  expect(bound.map((a) => a.name)).toEqual(["idlink-account-linking"]);
  expect(bound[0]?.code.endsWith(actionSource)).toBe(true);
}

/** The post-login bindings as the Management API answers them: Action id, name and display name, in order. */
async function postLoginBindings() {
  const response = await fetch(`${emulator.url}/api/v2/actions/triggers/post-login/bindings`, {
    headers: { authorization: `Bearer ${cliEnv.AUTH0_TOKEN}` },
  });
  const { bindings } = (await response.json()) as {
    bindings: { display_name: string; action: { id: string; name: string } }[];
  };
  return bindings.map((b) => ({ id: b.action.id, name: b.action.name, display_name: b.display_name }));
}

/** Creates, deploys and binds a trivial Action of someone else's through the Management API, where `at` says. */
async function bindForeign(name: string, at: "first" | "last") {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${emulator.url}/api/v2/actions${path}`, {
      method,
      headers: { authorization: `Bearer ${cliEnv.AUTH0_TOKEN}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.ok).toBe(true);
    return (await response.json()) as { id: string };
  };
  const { id } = await call("POST", "/actions", {
    name,
    supported_triggers: [{ id: "post-login", version: "v3" }],
    code: "exports.onExecutePostLogin = async () => {};",
  });
  // The emulator builds in 300 ms; a deploy before the build is done is refused, so try until it is taken.
  for (let i = 0; ; i++) {
    const response = await fetch(`${emulator.url}/api/v2/actions/actions/${id}/deploy`, {
      method: "POST",
      headers: { authorization: `Bearer ${cliEnv.AUTH0_TOKEN}` },
    });
    if (response.ok) break;
    if (i > 50) throw new Error(`could not deploy ${name}: ${response.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const refs = (await postLoginBindings()).map((b) => ({
    ref: { type: "action_id", value: b.id },
    display_name: b.display_name,
  }));
  const mine = { ref: { type: "action_id", value: id }, display_name: name };
  await call("PATCH", "/triggers/post-login/bindings", {
    bindings: at === "first" ? [mine, ...refs] : [...refs, mine],
  });
}

afterAll(async () => {
  recordOutput("web-demo: link-at-login e2e action log", JSON.stringify(emulator?.state.actionLog ?? []));
  await context?.close();
  await browser?.close();
  await Promise.allSettled([server?.stop(), emulator?.stop()]);
  await built?.remove();
  cli?.remove();
});

beforeEach(async () => {
  emulator.state.reset();
  // Nothing bound but what the Management API binds: the logins run the Action idlink deploys, or none.
  emulator.setPostLoginActions([]);
  await deployAction();
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  consoleErrors = [];
  idTokens = [];
  continues = [];
  context.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  context.on("response", async (response) => {
    if (response.url() !== `${emulator.url}/oauth/token`) return;
    const tokens = (await response.json().catch(() => ({}))) as Record<string, string | undefined>;
    recordSecrets(tokens.id_token, tokens.access_token, tokens.refresh_token);
    if (tokens.id_token) idTokens.push(tokens.id_token);
  });
  context.on("request", (request) => {
    if (request.method() === "POST" && request.url().startsWith(`${emulator.url}/continue`)) {
      continues.push({ url: request.url(), body: request.postData() ?? "" });
    }
  });
});

const userFlow = () => page.getByRole("region", { name: "Link as the signed-in user" });

/** Signs in to the demo as `userId` (the primary's redirect sign-in), up to the linking page the Action sends to. */
async function signInToLinkPage(userId: string) {
  await page.goto(`${server.origin}/`);
  await userFlow().getByRole("button", { name: "Sign in as primary" }).click();
  await page.waitForURL(`${emulator.url}/u/login?**`);
  await page.getByRole("button", { name: userId }).click();
  await page.waitForURL(`${server.origin}/link**`);
  await page.getByRole("heading", { level: 1, name: "Link your accounts?" }).waitFor();
}

function lastProofAuthorize(): string {
  const request = emulator.state.requests
    .filter((r) => r.path === "/authorize" && r.query.includes("max_age"))
    .at(-1);
  return `${emulator.url}/authorize?${request?.query ?? ""}`;
}

/** Back in the demo, signed in: the user flow shows the account, and the last ID token's sub is `userId`. */
async function backInTheAppAs(userId: string) {
  await page.waitForURL(`${server.origin}/`);
  await userFlow().getByRole("button", { name: "Sign out" }).waitFor();
  expect(await userFlow().getByText(userId).count()).toBeGreaterThan(0);
  expect(decodeJwt(idTokens.at(-1) ?? "").sub).toBe(userId);
}

describe("link at login, with the post-login Action deployed by idlink", () => {
  // The proof is a sign-in through the same tenant, so the Action runs for it too; it must not send that login to
  // the linking page again (the popup would land there). The page marks it (`idlink_link_proof=1` in /authorize,
  // `event.request.query` in the Action), and the Action lets it through.
  test("a secondary sharing a verified email is sent to the linking page, proves the primary, and comes back as the primary", async () => {
    await signInToLinkPage(aliceGoogle);
    const [popup] = await Promise.all([
      page.waitForEvent("popup"),
      page.getByRole("button", { name: `Sign in to ${aliceEmail} to link it` }).click(),
    ]);
    await popup.waitForURL(`${emulator.url}/u/login?**`);
    const closed = popup.waitForEvent("close");
    await popup.getByRole("button", { name: alice }).click();
    await closed;
    await backInTheAppAs(alice);
    expect(emulator.state.getUser(alice)?.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual([
      alice,
      aliceGoogle,
    ]);
    expect(continues).toHaveLength(1);
    expect(new URL(lastProofAuthorize()).searchParams.get(proofMarker)).toBe("1");
    expect(consoleErrors).toEqual([]);
  });

  test("Skip for now: back in the app as the same login, nothing linked, the skip recorded", async () => {
    await signInToLinkPage(aliceGoogle);
    await page.getByRole("button", { name: "Skip for now" }).click();
    await backInTheAppAs(aliceGoogle);
    expect(emulator.state.getUser(alice)?.identities).toHaveLength(1);
    expect(emulator.state.getUser(aliceGoogle)?.app_metadata).toMatchObject({
      idlink_account_linking: { declined: [], skipped_until: expect.any(String) },
    });
    expect(consoleErrors).toEqual([]);
  });

  test("Not mine: back in the app as the same login, nothing linked, the candidate declined", async () => {
    await signInToLinkPage(aliceGoogle);
    await page.getByRole("button", { name: "None of these accounts are mine" }).click();
    await backInTheAppAs(aliceGoogle);
    expect(emulator.state.getUser(alice)?.identities).toHaveLength(1);
    expect(emulator.state.getUser(aliceGoogle)?.app_metadata).toMatchObject({
      idlink_account_linking: { declined: [alice] },
    });
  });

  test("a replayed /continue (the same outcome token and state again) resumes nothing", async () => {
    await signInToLinkPage(aliceGoogle);
    await page.getByRole("button", { name: "None of these accounts are mine" }).click();
    await backInTheAppAs(aliceGoogle);
    const [first] = continues;
    expect(first).toBeDefined();
    const replay = await fetch(first?.url ?? "", {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: first?.body,
    });
    expect(replay.status).toBe(400);
    expect(replay.headers.get("location")).toBeNull();
    expect(await replay.text()).toContain("invalid_request");
  });
});

describe("idlink action rollback and remove, on the emulator", () => {
  test("a second deploy is a new version; rollback runs the first code again; remove leaves the others' bindings as they were", async () => {
    await bindForeign("Add roles", "first");
    await bindForeign("Audit log", "last");
    const before = await postLoginBindings();
    expect(before.map((b) => b.name)).toEqual(["Add roles", "idlink-account-linking", "Audit log"]);

    const changed = `${cli.dir}/link-action-changed.js`;
    writeFileSync(changed, `${actionSource}\n// changed: a second build\n`);
    const second = await action("deploy", "--code", changed, "--secrets", secretsFile, "--yes");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("version 2 runs");
    expect((await action("status", "--code", changed)).stdout).toContain("idlink's current build");
    expect((await action("status")).stdout).toContain("not the current build");
    expect(await postLoginBindings()).toEqual(before);

    const rolled = await action("rollback", "--yes");
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(/Rolled back idlink-account-linking: version 3 runs the code of version 1/);
    const status = await action("status");
    expect(status.stdout).toMatch(
      /deployed {4}version 3, node22, code [0-9a-f]{12} — idlink's current build/,
    );
    const running = emulator.state.boundPostLoginActions().find((a) => a.name === "idlink-account-linking");
    expect(running?.code.endsWith(actionSource)).toBe(true);
    expect(running?.code).not.toContain("// changed");

    const removed = await action("remove", "--yes");
    expect(removed.code).toBe(0);
    expect(await postLoginBindings()).toEqual(before.filter((b) => b.name !== "idlink-account-linking"));
    expect(emulator.state.boundPostLoginActions().map((a) => a.name)).toEqual(["Add roles", "Audit log"]);
    expect((await action("status")).stdout).toContain("not on the tenant");
  });
});
