// `idlink action deploy | status | rollback | remove`, in-process (runCli) against the emulator, whose Actions routes
// are the Management API's: what is sent, what is printed, and that no secret value ever is.
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as kit from "@idlink/test-kit";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  expectNoSecrets,
  idlink,
  idlinkBin,
  json,
  startTenant,
  type Tenant,
  tempDir,
  writes,
} from "./helpers.ts";

const dir = tempDir();
const secretValues = {
  MANAGEMENT_API_DOMAIN: "acme.eu.auth0.com",
  MANAGEMENT_API_CLIENT_ID: "link-action-client",
  MANAGEMENT_API_CLIENT_SECRET: "Xq9-client-secret-value-NEVER-printed-7Hk2Pq9e",
  SESSION_TOKEN_SECRET: "session-token-secret-NEVER-printed-0123456789abcdef",
  LINK_PAGE_URL: "https://link.example.com/",
};
const neverShown = [secretValues.MANAGEMENT_API_CLIENT_SECRET, secretValues.SESSION_TOKEN_SECRET];

function file(name: string, text: string, mode = 0o600): string {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}
const codeV1 = file("v1.js", "exports.onExecutePostLogin = async (event, api) => { /* v1 */ };\n", 0o644);
const codeV2 = file("v2.js", "exports.onExecutePostLogin = async (event, api) => { /* v2 */ };\n", 0o644);
const envFile = file(
  "action.env",
  [
    "# the Action's secrets",
    ...Object.entries(secretValues).map(([k, v], i) =>
      i === 0 ? `export ${k}=${v}` : i === 1 ? `${k}="${v}"` : `${k}=${v}`,
    ),
    "SKIP_DAYS=3  # a comment",
  ].join("\n"),
);

const allActionScopes = ["read:actions", "create:actions", "update:actions", "delete:actions"];

/** The emulator, with a token holding every Actions scope and what the tests read of it. */
interface ActionTenant {
  tenant: Tenant;
  env: Record<string, string>;
  /** Every request received (the emulator's log; emptied by `reset`). */
  requests: Tenant["emu"]["state"]["requests"];
  mint(scopes: string[]): Promise<string>;
  /** The post-login Actions the logins run, as bound through the Management API. */
  bound(): ReturnType<Tenant["emu"]["state"]["boundPostLoginActions"]>;
  /** The Management API writes received. */
  writes(): string[];
  reset(): void;
  /** Sends one request with the admin token (to set the tenant up). */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

async function startActionTenant(): Promise<ActionTenant> {
  const started = await startTenant({
    rateLimit: false,
    actionBuilds: {
      delayMs: 0,
      fail: (code) => (code.includes("BREAKS-THE-BUILD") ? "failed" : undefined),
    },
  });
  const { emu } = started;
  const mint = async (scopes: string[]) => {
    const token = await emu.mintToken({ scopes });
    kit.recordSecrets(token);
    return token;
  };
  const admin = await mint(allActionScopes);
  return {
    tenant: started,
    env: { AUTH0_DOMAIN: emu.url, AUTH0_TOKEN: admin },
    requests: emu.state.requests,
    mint,
    bound: () => emu.state.boundPostLoginActions(),
    writes: () => writes(emu),
    reset: () => emu.state.reset(),
    async call(method, path, body) {
      const response = await fetch(`${emu.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    stop: () => started.stop(),
  };
}

let tenant: ActionTenant;
beforeAll(async () => {
  tenant = await startActionTenant();
});
afterAll(async () => {
  await tenant.stop();
  dir.cleanup();
});
beforeEach(() => tenant.reset());

const run = (args: string[], env: Record<string, string> = {}) =>
  idlink(["action", ...args], { env: { ...tenant.env, ...env } });

/** Another Action, deployed and bound to post-login by someone else. */
async function foreign(name: string) {
  const created = await tenant.call("POST", "/api/v2/actions/actions", {
    name,
    supported_triggers: [{ id: "post-login", version: "v3" }],
    code: "exports.onExecutePostLogin = async () => {};",
  });
  const id = (created.body as { id: string }).id;
  await tenant.call("POST", `/api/v2/actions/actions/${id}/deploy`);
  const current = (await tenant.call("GET", "/api/v2/actions/triggers/post-login/bindings")).body as {
    bindings: { action: { id: string }; display_name: string }[];
  };
  await tenant.call("PATCH", "/api/v2/actions/triggers/post-login/bindings", {
    bindings: [
      ...current.bindings.map((b) => ({
        ref: { type: "action_id", value: b.action.id },
        display_name: b.display_name,
      })),
      { ref: { type: "action_id", value: id } },
    ],
  });
  tenant.requests.length = 0;
  return id;
}

describe("idlink action deploy", () => {
  test("--dry-run says what will be created and the bindings before and after; sends nothing; no secret value shown", async () => {
    await foreign("Add roles");
    const result = await run(["deploy", "--code", codeV1, "--secrets", envFile, "--dry-run"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /Plan: create idlink-account-linking and deploy it, code [0-9a-f]{12}; bind it at 2 of 2 on post-login/,
    );
    expect(result.stdout).toContain("before: 1. Add roles");
    expect(result.stdout).toContain("after:  1. Add roles  2. idlink-account-linking (idlink)");
    expect(result.stdout).toContain("LINK_PAGE_URL, MANAGEMENT_API_CLIENT_ID, MANAGEMENT_API_CLIENT_SECRET");
    expect(result.stdout).toContain("(values not shown)");
    expect(result.stdout).toContain("Dry run: nothing was sent.");
    expect(tenant.writes()).toEqual([]);
    expectNoSecrets(result, neverShown);
  });

  test("deploys, binds last keeping the others' order; the logins run it; again: nothing to do, no new version", async () => {
    await foreign("Add roles");
    const result = await run(["deploy", "--code", codeV1, "--secrets", envFile, "--yes"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /Deployed idlink-account-linking: version 1 runs code [0-9a-f]{12}, bound at 2 of 2 on post-login\./,
    );
    expect(result.stderr).toContain("idlink: creating the Action…");
    expect(tenant.bound().map((a) => a.name)).toEqual(["Add roles", "idlink-account-linking"]);
    expect(tenant.bound()[1]?.secrets).toEqual({ ...secretValues, SKIP_DAYS: "3" });
    expectNoSecrets(result, neverShown);

    tenant.requests.length = 0;
    const again = await run(["deploy", "--code", codeV1, "--secrets", envFile, "--yes"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(
      /already runs this code \(version 1, code [0-9a-f]{12}\), bound at 2 of 2 on post-login: nothing to do/,
    );
    expect(tenant.writes()).toEqual([]);
  });

  test("--json: one document with the plan and the outcome, secrets by name only", async () => {
    const result = await run([
      "deploy",
      "--code",
      codeV1,
      "--secrets",
      envFile,
      "--yes",
      "--json",
      "--position",
      "first",
    ]);
    expect(result.code).toBe(0);
    const doc = json(result) as {
      ok: boolean;
      plan: { secrets: string[] };
      outcome: { version: { number: number } };
    };
    expect(doc.ok).toBe(true);
    expect(doc.outcome.version.number).toBe(1);
    expect(doc.plan.secrets).toContain("SESSION_TOKEN_SECRET");
    expectNoSecrets(result, neverShown);
  });

  test("secrets from IDLINK_ACTION_SECRET_<NAME> variables; a JSON --secrets file", async () => {
    const env = Object.fromEntries(
      Object.entries(secretValues).map(([k, v]) => [`IDLINK_ACTION_SECRET_${k}`, v]),
    );
    expect((await run(["deploy", "--code", codeV1, "--dry-run"], env)).code).toBe(0);
    const jsonFile = file("secrets.json", JSON.stringify(secretValues));
    expect((await run(["deploy", "--code", codeV1, "--secrets", jsonFile, "--dry-run"])).code).toBe(0);
  });

  test("new code is a new version; status tells the deployed build by hash; rollback deploys the old code again", async () => {
    expect((await run(["deploy", "--code", codeV1, "--secrets", envFile, "--yes"])).code).toBe(0);
    expect((await run(["deploy", "--code", codeV2, "--secrets", envFile, "--yes"])).stdout).toContain(
      "version 2 runs",
    );
    const status = await run(["status", "--code", codeV2]);
    expect(status.stdout).toMatch(
      /deployed {4}version 2, node22, code [0-9a-f]{12} — idlink's current build/,
    );
    expect(status.stdout).toContain("bound       post-login, 1 of 1");
    expect((await run(["status", "--code", codeV1])).stdout).toContain("not the current build");

    const dry = await run(["rollback", "--dry-run"]);
    expect(dry.stdout).toMatch(
      /roll idlink-account-linking back from version 2 \(code \w{12}\) to version 1 \(code \w{12}\)/,
    );
    const rolled = await run(["rollback", "--yes"]);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(/Rolled back idlink-account-linking: version 3 runs the code of version 1/);
    expect(tenant.bound()[0]?.code).toContain("/* v1 */");
    expect((await run(["status", "--code", codeV1, "--json"])).stdout).toContain('"current": true');
  });

  test("remove unbinds (others kept in order), then deletes; again there is nothing to remove", async () => {
    await foreign("Add roles");
    await run(["deploy", "--code", codeV1, "--secrets", envFile, "--yes", "--position", "first"]);
    await foreign("Audit log");
    const dry = await run(["remove", "--dry-run"]);
    expect(dry.stdout).toContain("unbind idlink-account-linking from post-login, then delete it");
    expect(dry.stdout).toContain("after:  1. Add roles  2. Audit log");
    const removed = await run(["remove", "--yes"]);
    expect(removed.code).toBe(0);
    expect(tenant.bound().map((a) => a.name)).toEqual(["Add roles", "Audit log"]);
    expect(
      tenant
        .writes()
        .slice(-2)
        .map((w) => w.split(" ")[0]),
    ).toEqual(["PATCH", "DELETE"]);
    expect((await run(["remove", "--yes"])).stdout).toContain("nothing to remove");
  });
});

describe("bad input: a message naming the problem and the fix, and nothing half-done", () => {
  test("a missing secret names its variable and the file; nothing is sent", async () => {
    const partial = file("partial.env", "LINK_PAGE_URL=https://link.example.com/\n");
    const result = await run(["deploy", "--code", codeV1, "--secrets", partial, "--yes"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "secret SESSION_TOKEN_SECRET is missing: the Action cannot run without it — set IDLINK_ACTION_SECRET_SESSION_TOKEN_SECRET, or add SESSION_TOKEN_SECRET=… to the --secrets file",
    );
    expect(tenant.requests).toEqual([]);
  });

  test("a secrets file others may read is refused, as a key file is", async () => {
    const open = file("open.env", "LINK_PAGE_URL=https://link.example.com/\n", 0o644);
    const result = await run(["deploy", "--code", codeV1, "--secrets", open, "--dry-run"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/may be read by others \(mode 644\).*\n.*chmod 600/);
    expect(tenant.requests).toEqual([]);
  });

  test("a token without the scopes: every missing scope named before anything is sent", async () => {
    const reader = await tenant.mint(["read:actions"]);
    const result = await run(["deploy", "--code", codeV1, "--secrets", envFile, "--yes"], {
      AUTH0_TOKEN: reader,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "the token lacks create:actions, needed to create the Action and deploy its versions",
    );
    expect(result.stderr).toContain("the token lacks update:actions");
    expect(tenant.requests).toEqual([]);
    // A dry run needs to read only.
    expect(
      (await run(["deploy", "--code", codeV1, "--secrets", envFile, "--dry-run"], { AUTH0_TOKEN: reader }))
        .code,
    ).toBe(0);
  });

  test("another Action of the same name (not idlink's) is refused and left as it is", async () => {
    const id = await foreign("idlink-account-linking");
    const result = await run(["deploy", "--code", codeV1, "--secrets", envFile, "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/is not idlink's.*never overwrites.*--name/s);
    expect(tenant.writes()).toEqual([]);
    expect(
      (await run(["deploy", "--code", codeV1, "--secrets", envFile, "--yes", "--name", "idlink-2"])).code,
    ).toBe(0);
    expect(tenant.bound().map((a) => a.name)).toEqual(["idlink-account-linking", "idlink-2"]);
    expect(id).toBeTruthy();
  });

  test("a failed build: the previous version stays deployed and bound, the draft is put back", async () => {
    await run(["deploy", "--code", codeV1, "--secrets", envFile, "--yes"]);
    const broken = file(
      "broken.js",
      "exports.onExecutePostLogin = async () => { /* BREAKS-THE-BUILD */ };\n",
    );
    const result = await run(["deploy", "--code", broken, "--secrets", envFile, "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /could not build the Action's code.*Version 1, deployed before, keeps running.*put the draft's previous code back/s,
    );
    expect(tenant.bound()[0]?.code).toContain("/* v1 */");
    const status = await run(["status", "--code", codeV1]);
    expect(status.stdout).toContain("idlink's current build");
  });

  test("code that does not compile is refused before anything is sent", async () => {
    const bad = file("bad.js", "exports.onExecutePostLogin = async () => {\n");
    const result = await run(["deploy", "--code", bad, "--secrets", envFile, "--yes"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the Action's code does not compile");
    expect(tenant.requests).toEqual([]);
  });

  test("off a terminal a change needs --yes; options of another step, or an unknown step, are usage errors", async () => {
    const noYes = await run(["deploy", "--code", codeV1, "--secrets", envFile]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain("Pass --yes");
    expect(tenant.writes()).toEqual([]);
    expect((await run(["status", "--position", "first"])).stderr).toContain(
      "--position does not apply to idlink action status",
    );
    expect((await run(["publish"])).stderr).toContain("'publish' is not a step of idlink action");
    expect(
      (await run(["deploy", "--code", codeV1, "--secrets", envFile, "--position", "middle", "--dry-run"]))
        .stderr,
    ).toContain("position must be first, last");
  });

  test("status without an Action, with --json and --debug: nothing secret in the trail", async () => {
    const result = await run(["status", "--json", "--debug"]);
    expect(result.code).toBe(0);
    expect((json(result) as { status: { exists: boolean } }).status.exists).toBe(false);
    expect(result.stderr).toContain("GET /api/v2/actions/actions");
    expectNoSecrets(result, [tenant.env.AUTH0_TOKEN ?? ""]);
  });
});

describe("the built bin", () => {
  test("idlink action deploy and status run from the bundle (the command is a chunk loaded on first use)", async () => {
    const env = { ...tenant.env };
    const deployed = await idlinkBin(["action", "deploy", "--code", codeV1, "--secrets", envFile, "--yes"], {
      env,
    });
    expect(deployed.code).toBe(0);
    const status = await idlinkBin(["action", "status", "--code", codeV1], { env });
    expect(status.stdout).toContain("idlink's current build");
    expectNoSecrets(deployed, neverShown);
    const help = await idlinkBin(["--help"]);
    expect(help.stdout).toMatch(/action \[options\] <step>/);
  });

  test("without --code, the bin deploys the @idlink/link-action build it carries (its text embedded, by hash)", async () => {
    const built = readFileSync(
      new URL("../../../packages/link-action/dist/link-action.js", import.meta.url),
      "utf8",
    );
    const sha256 = createHash("sha256").update(built).digest("hex");
    const dry = await idlinkBin(["action", "deploy", "--secrets", envFile, "--dry-run", "--json"], {
      env: tenant.env,
    });
    expect(dry.code).toBe(0);
    const doc = json(dry) as { plan: { hash: string }; code: string };
    expect(doc.plan.hash).toBe(sha256);
    expect(doc.code).toContain("built into idlink");
    const text = await idlinkBin(["action", "deploy", "--secrets", envFile, "--dry-run"], {
      env: tenant.env,
    });
    expect(text.stdout).toContain(`code ${sha256.slice(0, 12)}`);
    expect(tenant.writes()).toEqual([]);
    expectNoSecrets(dry, neverShown);
  });
});
