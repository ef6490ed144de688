import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createManagementClient, type DebugEvent, formatDebugEvent } from "@idlink/core";
import { clientCredentialsToken } from "@idlink/core/node";
import { seedSecrets } from "@idlink/emulator";
import { recordOutput } from "@idlink/test-kit";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startDemoServer } from "../server/demo-server.ts";
import { readEnv } from "../server/env.ts";
import { contentSecurityPolicy } from "../server/security.ts";
import { type RunningDemo, startDemo } from "../server/start-demo.ts";
import {
  type ErrorResponse,
  type IdentitiesResponse,
  type PageConfig,
  type PlanResponse,
  proofHeader,
} from "../src/lib/api-types.ts";

const alice = "auth0|64f1a2b3c4d5e6f708192a3b";
const bob = "auth0|64f1a2b3c4d5e6f708192a4c";
const jwtPattern = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./;
const seen: string[] = [];
let clientDir: string;
let demo: RunningDemo;

beforeAll(async () => {
  clientDir = await mkdtemp(join(tmpdir(), "idlink-demo-page-"));
  await mkdir(join(clientDir, "assets"));
  // As the build writes them: the demo page with its prerendered first view, the linking page's HTML without it.
  await writeFile(
    join(clientDir, "index.html"),
    '<!doctype html><title>demo</title><div id="root"><h1>first view</h1></div>',
  );
  await writeFile(join(clientDir, "link.html"), '<!doctype html><title>demo</title><div id="root"></div>');
  await writeFile(join(clientDir, "assets", "app.js"), "console.log(1)");
  demo = await startDemo({ mode: "emulator", port: 0 }, clientDir);
});
afterAll(async () => {
  for (const text of seen) recordOutput("web-demo: demo server answers", text);
  await demo.stop();
  await rm(clientDir, { recursive: true, force: true });
});
beforeEach(() => demo.emulator?.state.reset());

function tenant(): string {
  if (!demo.emulator) throw new Error("expected the emulator");
  return demo.emulator.url;
}

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${demo.server.origin}${path}`, init);
  const text = await response.text();
  seen.push(text, [...response.headers].join("\n"));
  return { status: response.status, body: text.startsWith("{") ? JSON.parse(text) : text };
}

/** The page's proof (the meta tag's content), as the page sends it on every admin-API call. */
const proof = () => ({ [proofHeader]: demo.server.proof });

/** A call as the page makes it (with the proof), unless `headers` says otherwise. */
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...proof(), ...headers },
    body: JSON.stringify(body),
  });

describe("the page", () => {
  test("is served with a CSP that forbids eval and inline scripts and allows only the tenant", async () => {
    const response = await fetch(`${demo.server.origin}/`);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(response.status).toBe(200);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${tenant()}`);
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    // The sign-in popup keeps its opener (to post its answer back); nothing else may open this page and reach it.
    expect(response.headers.get("cross-origin-opener-policy")).toBe("same-origin-allow-popups");
  });

  test("serves the linking page (/link) as the page without its first view, with its proof and a CSP without form-action", async () => {
    const response = await fetch(`${demo.server.origin}/link?session_token=x&state=y`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`<meta name="idlink-csrf" content="${demo.server.proof}">`);
    expect(html).toContain('<div id="root"></div>');
    expect(await (await fetch(`${demo.server.origin}/`)).text()).toContain("<h1>first view</h1>");
    const csp = response.headers.get("content-security-policy") ?? "";
    // Its form POSTs to the tenant's /continue, which redirects to the application: form-action cannot list it.
    expect(csp).toBe(contentSecurityPolicy(tenant(), undefined, "link"));
    expect(csp).not.toContain("form-action");
    expect(csp).toContain("script-src 'self';");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  test("serves hashed assets and nothing outside the page's folder", async () => {
    expect((await call("/assets/app.js")).status).toBe(200);
    expect((await call("/../package.json")).status).toBe(404);
    expect((await call("/%2e%2e/%2e%2e/package.json")).status).toBe(404);
    expect((await call("/missing.js")).status).toBe(404);
  });
});

describe("the admin API", () => {
  test("gives the page its tenant, SPA client and dev-login users, and nothing secret", async () => {
    const { status, body } = await call("/api/config");
    const config = body as PageConfig;
    expect(status).toBe(200);
    expect(config).toMatchObject({ mode: "emulator", tenant: tenant(), spaClientId: "idlink-spa" });
    expect(config.devUsers.map((u) => u.user_id)).toContain(alice);
  });

  test("plans a link: identities after, discarded metadata, mergeable keys", async () => {
    const { status, body } = await post("/api/plan", {
      primary: bob,
      body: { provider: "github", user_id: "5812345" },
    });
    const { plan } = body as PlanResponse;
    expect(status).toBe(200);
    expect(plan.identitiesAfter.map((i) => i.id)).toEqual([bob, "github|5812345"]);
    expect(plan.discarded.user_metadata).toEqual({ editor: "vim" });
    expect(plan.mergeableKeys).toEqual(["editor"]);
    expect(demo.emulator?.state.getUser(bob)?.identities).toHaveLength(1);
  });

  test("links with a metadata merge, then unlinks", async () => {
    const linked = await post("/api/link", {
      primary: bob,
      body: { provider: "github", user_id: 5812345 },
      mergeMetadata: true,
    });
    expect(linked.status).toBe(200);
    expect(linked.body).toEqual({
      identities: [
        { id: bob, provider: "auth0", connection: "Username-Password-Authentication" },
        { id: "github|5812345", provider: "github", connection: "github" },
      ],
      merged: ["editor"],
    });
    expect(demo.emulator?.state.getUser(bob)?.user_metadata).toEqual({ editor: "vim" });

    const unlinked = await post("/api/unlink", { primary: bob, provider: "github", user_id: "5812345" });
    expect((unlinked.body as IdentitiesResponse).identities.map((i) => i.id)).toEqual([bob]);
    expect(demo.emulator?.state.getUser("github|5812345")).toBeDefined();
  });

  test("rejects the seed page's body with an issue per field and sends nothing", async () => {
    const { status, body } = await post("/api/link", {
      primary: alice,
      body: { link_with: "", provider: "", user_id: "", connection_id: "" },
    });
    const { error } = body as ErrorResponse;
    expect(status).toBe(400);
    expect(error.title).toBe("Invalid input — nothing was sent");
    expect(error.issues?.map((i) => i.path).sort()).toEqual([
      "connection_id",
      "link_with",
      "provider",
      "user_id",
    ]);
    expect(demo.emulator?.state.requests.filter((r) => r.path.startsWith("/api/v2"))).toEqual([]);
  });

  test("passes Auth0's status and message on, in plain words", async () => {
    const { status, body } = await post("/api/plan", {
      primary: "auth0|000000000000000000000000",
      body: { provider: "github", user_id: "5812345" },
    });
    const { error } = body as ErrorResponse;
    expect(status).toBe(404);
    expect(error).toMatchObject({ title: "Not found", status: 404 });
    expect(error.message).toContain("The user does not exist.");
  });

  test("answers 409 for an identity that is already linked: the plan blocks it, nothing is sent", async () => {
    const body = { primary: alice, body: { provider: "google-oauth2", user_id: "108234567890123456789" } };
    expect((await post("/api/link", body)).status).toBe(200);
    const writes = () =>
      (demo.emulator?.state.requests ?? []).filter(
        (r) => r.method === "POST" && r.path.startsWith("/api/v2/"),
      );
    const before = writes().length;
    const again = await post("/api/link", body);
    expect(again.status).toBe(409);
    expect((again.body as ErrorResponse).error).toMatchObject({ title: "Cannot link — nothing was sent" });
    expect((again.body as ErrorResponse).error.issues?.[0]?.message).toContain("already linked");
    expect(writes().length).toBe(before);
  });

  test("reads a user's identities without their IdP tokens", async () => {
    const { status, body } = await call(
      `/api/users/${encodeURIComponent("auth0|6600aa11bb22cc33dd44ee55")}`,
      {
        headers: proof(),
      },
    );
    expect(status).toBe(200);
    expect(JSON.stringify(body)).not.toContain("emulator-only-idp");
    expect(JSON.stringify(body)).toContain("github|7700123");
  });

  test("refuses calls from another origin, with another Host, or not as JSON", async () => {
    const body = { primary: alice, body: { provider: "github", user_id: "5812345" } };
    expect((await post("/api/link", body, { origin: "https://evil.example" })).status).toBe(403);
    const form = await call("/api/link", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(body),
    });
    expect(form.status).toBe(403);
    const { request } = await import("node:http");
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        `${demo.server.origin}/api/config`,
        { headers: { host: "rebound.example" } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
    expect(demo.emulator?.state.getUser(alice)?.identities).toHaveLength(1);
  });

  test("never answers a Management token, a client secret or an IdP token", () => {
    expect(seen.length).toBeGreaterThan(10);
    for (const text of seen) {
      expect(text).not.toMatch(jwtPattern);
      for (const secret of seedSecrets()) expect(text).not.toContain(secret);
    }
  });
});

test("describes a refused client-credentials grant without the secret", async () => {
  const server = await startDemoServer({ clientDir });
  try {
    server.attach({
      mode: "tenant",
      tenant: tenant(),
      spaClientId: "idlink-spa",
      client: createManagementClient({
        domain: tenant(),
        getToken: clientCredentialsToken({ clientId: "idlink-admin", clientSecret: "not-the-secret-42" }),
      }),
    });
    const response = await fetch(`${server.origin}/api/users/${encodeURIComponent(alice)}`, {
      headers: { [proofHeader]: server.proof },
    });
    const text = await response.text();
    expect(response.status).toBe(401);
    expect(text).not.toContain("not-the-secret-42");
    expect((JSON.parse(text) as ErrorResponse).error.status).toBe(401);
  } finally {
    await server.stop();
  }
});

test("IDLINK_DEBUG: the demo server's calls to the tenant are traced, redacted", async () => {
  const config = await readEnv({ IDLINK_DEBUG: "1" });
  expect(config).toEqual({ mode: "emulator", port: 0, debug: true });
  const events: DebugEvent[] = [];
  const traced = await startDemo(config, undefined, { onEvent: (event) => events.push(event) });
  try {
    const origin = traced.server.origin;
    const response = await fetch(`${origin}/api/users/${encodeURIComponent(alice)}`, {
      headers: { [proofHeader]: traced.server.proof },
    });
    expect(response.status).toBe(200);
    const trail = events.map(formatDebugEvent);
    expect(trail[0]).toMatch(/→ POST \/oauth\/token \(Get Management token\)$/);
    expect(trail).toContainEqual(expect.stringMatching(/← 200 GET \/api\/v2\/users\/auth0%7C\w+ \d+ ms/));
    const text = `${trail.join("\n")}\n${JSON.stringify(events)}`;
    recordOutput("web-demo: debug trail", text);
    expect(text).not.toMatch(jwtPattern);
    for (const secret of seedSecrets()) expect(text).not.toContain(secret);
    // Without a page folder the server answers only its API.
    expect((await fetch(`${origin}/`)).status).toBe(404);
  } finally {
    await traced.stop();
  }
});
