import { describe, expect, test } from "vitest";
import { describeDeployPlan, executeActionDeploy, planActionDeploy } from "../../src/actions/deploy.ts";
import { ActionDeployError } from "../../src/actions/errors.ts";
import { readMarker } from "../../src/actions/marker.ts";
import { ValidationError } from "../../src/present/errors.ts";
import { fakeTenant, fast } from "./fake-tenant.ts";
import { codeV2, deploy, request, secrets } from "./fixtures.ts";

describe("deploy to a tenant without idlink's Action", () => {
  test("creates it with its code (marked), runtime and secrets, waits for the build, deploys, binds it last keeping the others' order", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    tenant.addForeign("Audit log");
    const { plan, outcome } = await deploy(tenant);
    expect(plan.change).toBe("create");
    expect(plan.bindings.before.map((b) => b.display_name)).toEqual(["Add roles", "Audit log"]);
    expect(plan.bindings.after.map((b) => b.display_name)).toEqual([
      "Add roles",
      "Audit log",
      "idlink-account-linking",
    ]);
    expect(plan.bindings.change).toBe("bind");
    expect(plan.secrets).toEqual(Object.keys(secrets).sort());
    expect(JSON.stringify(plan)).not.toContain(secrets.MANAGEMENT_API_CLIENT_SECRET);
    expect(describeDeployPlan(plan)).toMatch(
      /^create idlink-account-linking and deploy it, code [0-9a-f]{12}; bind it at 3 of 3 on post-login$/,
    );

    expect(outcome.version.number).toBe(1);
    expect(tenant.order()).toEqual(["Add roles", "Audit log", "idlink-account-linking"]);
    const created = tenant.requests.find((r) => r.method === "POST" && r.path === "/api/v2/actions/actions");
    const body = created?.body as {
      code: string;
      runtime: string;
      secrets: { name: string; value: string }[];
      supported_triggers: unknown;
    };
    expect(body.runtime).toBe("node22");
    expect(body.supported_triggers).toEqual([{ id: "post-login", version: "v3" }]);
    expect(body.secrets).toContainEqual({ name: "LINK_PAGE_URL", value: "https://link.example.com/" });
    expect(await readMarker(body.code)).toEqual({ hash: plan.hash, intact: true });
    // The order of the steps: create, then deploy only once built, then bind.
    const writes = tenant.writes().map((r) => `${r.method} ${r.path.replace(/act-[\w-]+/, "{id}")}`);
    expect(writes).toEqual([
      "POST /api/v2/actions/actions",
      "POST /api/v2/actions/actions/{id}/deploy",
      "PATCH /api/v2/actions/triggers/post-login/bindings",
    ]);
  });

  test("goes first, or where asked, when asked", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    tenant.addForeign("Audit log");
    await deploy(tenant, {}, { position: { before: "Audit log" } });
    expect(tenant.order()).toEqual(["Add roles", "idlink-account-linking", "Audit log"]);
    await deploy(tenant, {}, { position: "first" });
    expect(tenant.order()).toEqual(["idlink-account-linking", "Add roles", "Audit log"]);
  });

  test("a dry run (a plan) needs read:actions only and sends no write", async () => {
    const tenant = fakeTenant({ scopes: ["read:actions"] });
    const plan = await planActionDeploy(tenant.client, request(), { dryRun: true });
    expect(plan.change).toBe("create");
    expect(tenant.writes()).toEqual([]);
  });
});

describe("deploy again", () => {
  test("unchanged code creates no new version and sends no write (idempotent)", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    await deploy(tenant);
    const before = tenant.writes().length;
    const { plan, outcome } = await deploy(tenant);
    expect(plan.change).toBe("unchanged");
    expect(plan.bindings.change).toBe("none");
    expect(outcome.version.number).toBe(1);
    expect(tenant.writes().length).toBe(before);
    expect(
      [...tenant.actions.values()].find((a) => a.name === "idlink-account-linking")?.versions,
    ).toHaveLength(1);
  });

  test("new code updates the draft and deploys version 2; the binding keeps its place", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    await deploy(tenant, {}, { position: "first" });
    tenant.addForeign("Audit log");
    const { plan, outcome } = await deploy(tenant, { code: codeV2 });
    expect(plan.change).toBe("update");
    expect(plan.differences).toEqual(["code"]);
    expect(plan.bindings.change).toBe("none");
    expect(outcome.version.number).toBe(2);
    expect(tenant.order()).toEqual(["idlink-account-linking", "Add roles", "Audit log"]);
  });

  test("new secret names update the Action; --update-secrets sends the values again", async () => {
    const tenant = fakeTenant();
    await deploy(tenant);
    const more = await deploy(tenant, { secrets: { ...secrets, SKIP_DAYS: "3" } });
    expect(more.plan.differences).toEqual(["secret names"]);
    expect(more.outcome.version.number).toBe(2);
    const asked = await deploy(tenant, { secrets: { ...secrets, SKIP_DAYS: "3" } }, { updateSecrets: true });
    expect(asked.plan.differences).toEqual(["secret values (asked for)"]);
    expect(asked.outcome.version.number).toBe(3);
  });

  test("code edited on the tenant after idlink deployed it is told apart and replaced", async () => {
    const tenant = fakeTenant();
    await deploy(tenant);
    const action = [...tenant.actions.values()][0];
    const version = action?.versions[0];
    if (!version) throw new Error("no version");
    version.code = version.code.replace("v1", "edited");
    const { plan } = await deploy(tenant);
    expect(plan.differences).toEqual(["code (edited on the tenant since idlink deployed it)"]);
  });
});

describe("bad input and a hostile tenant", () => {
  test("another Action of the same name (not idlink's) is refused and never touched", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("idlink-account-linking");
    const error = await planActionDeploy(tenant.client, request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionDeployError);
    expect((error as Error).message).toMatch(/is not idlink's.*never overwrites.*--name/s);
    expect(tenant.writes()).toEqual([]);
  });

  test("a token without the scopes is named, scope by scope, before anything is sent", async () => {
    const tenant = fakeTenant({ scopes: ["read:actions"] });
    const error = await planActionDeploy(tenant.client, request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const messages = (error as ValidationError).issues.map((i) => i.message).join("\n");
    expect(messages).toContain("lacks create:actions");
    expect(messages).toContain("lacks update:actions");
    expect(tenant.requests).toEqual([]);
  });

  test("a failed build of new code puts the draft back; the version deployed before stays bound and running", async () => {
    const tenant = fakeTenant({ failBuild: (code) => code.includes("v2") });
    tenant.addForeign("Add roles");
    await deploy(tenant);
    const req = request({ code: codeV2 });
    const plan = await planActionDeploy(tenant.client, req);
    const error = await executeActionDeploy(tenant.client, plan, req, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionDeployError);
    expect((error as ActionDeployError).step).toBe("build");
    expect((error as Error).message).toMatch(
      /could not build.*Version 1, deployed before, keeps running.*put the draft's previous code back/s,
    );
    const action = [...tenant.actions.values()].find((a) => a.name === "idlink-account-linking");
    expect(action?.versions).toHaveLength(1);
    expect(action?.code).toContain("v1");
    expect(tenant.order()).toEqual(["Add roles", "idlink-account-linking"]);
  });

  test("a failed first build deletes the Action it created: the tenant is as before", async () => {
    const tenant = fakeTenant({ failBuild: () => true });
    tenant.addForeign("Add roles");
    const req = request();
    const plan = await planActionDeploy(tenant.client, req);
    const error = await executeActionDeploy(tenant.client, plan, req, fast).catch((e: unknown) => e);
    expect((error as ActionDeployError).restored).toEqual(["deleted the Action this run had created"]);
    expect([...tenant.actions.values()].map((a) => a.name)).toEqual(["Add roles"]);
    expect(tenant.order()).toEqual(["Add roles"]);
  });

  test("a version whose build fails after deploy leaves the previous version running, with Auth0's errors", async () => {
    const tenant = fakeTenant({ failVersion: (code) => code.includes("v2") });
    await deploy(tenant);
    const req = request({ code: codeV2 });
    const plan = await planActionDeploy(tenant.client, req);
    const error = await executeActionDeploy(tenant.client, plan, req, fast).catch((e: unknown) => e);
    expect((error as ActionDeployError).step).toBe("deploy");
    expect((error as Error).message).toContain("Cannot find module 'left-pad'");
    const action = [...tenant.actions.values()][0];
    expect(action?.versions.find((v) => v.id === action.deployedId)?.number).toBe(1);
  });

  test("a build that never ends gives up, says so, and puts the draft back", async () => {
    const tenant = fakeTenant({ buildReads: 1_000 });
    const req = request();
    const plan = await planActionDeploy(tenant.client, req);
    const error = await executeActionDeploy(tenant.client, plan, req, fast).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/had not finished building/);
    expect(tenant.actions.size).toBe(0);
  });

  test("a binding list changed by someone else between the plan and the write is re-read, and the change made on it", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    const req = request();
    const plan = await planActionDeploy(tenant.client, req);
    tenant.addForeign("Added meanwhile");
    const outcome = await executeActionDeploy(tenant.client, plan, req, fast);
    expect(outcome.bindings.changedSinceRead).toBe(true);
    expect(tenant.order()).toEqual(["Add roles", "Added meanwhile", "idlink-account-linking"]);
  });

  test("a binding list that keeps changing stops with nothing written, and the Action created for it is deleted", async () => {
    const tenant = fakeTenant();
    const other = tenant.addForeign("Busy editor");
    const req = request();
    const plan = await planActionDeploy(tenant.client, req);
    // Every read of the bindings finds another list: someone else rewrites the flow all the time.
    tenant.hooks.push((method, path) => {
      if (method === "GET" && path.endsWith("/bindings")) {
        const list = tenant.bindings.get("post-login") ?? [];
        list.push({ id: `b${list.length}`, actionId: other.id, display_name: `Busy ${list.length}` });
      }
    });
    const error = await executeActionDeploy(tenant.client, plan, req, fast).catch((e: unknown) => e);
    expect((error as ActionDeployError).step).toBe("bind");
    expect((error as Error).message).toMatch(
      /changed every time idlink read them.*Nothing was written.*deleted again/s,
    );
    expect(tenant.writes().filter((r) => r.method === "PATCH")).toEqual([]);
    expect([...tenant.actions.values()].map((a) => a.name)).toEqual(["Busy editor"]);
  });

  test("a position naming no binding is refused before anything is written", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    const error = await planActionDeploy(tenant.client, request(), { position: { after: "Nope" } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain("no other binding is named Nope (post-login runs: Add roles)");
    expect(tenant.writes()).toEqual([]);
  });
});
