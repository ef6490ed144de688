import { describe, expect, test } from "vitest";
import { ActionDeployError } from "../../src/actions/errors.ts";
import { executeActionRollback, planActionRollback } from "../../src/actions/rollback.ts";
import { fakeTenant, fast } from "./fake-tenant.ts";
import { codeV2, deploy } from "./fixtures.ts";

const ownAction = (tenant: ReturnType<typeof fakeTenant>) =>
  [...tenant.actions.values()].find((a) => a.name === "idlink-account-linking");

describe("rollback", () => {
  test("deploys the previous version's code again as a new version; the binding stays", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    const first = await deploy(tenant);
    const second = await deploy(tenant, { code: codeV2 });
    const plan = await planActionRollback(tenant.client);
    expect(plan.from).toMatchObject({ number: 2, hash: second.plan.hash });
    expect(plan.to).toMatchObject({ number: 1, hash: first.plan.hash });
    const outcome = await executeActionRollback(tenant.client, plan, fast);
    expect(outcome.version.number).toBe(3);
    const action = ownAction(tenant);
    expect(action?.versions.find((v) => v.id === action.deployedId)?.code).toContain("v1");
    expect(tenant.order()).toEqual(["Add roles", "idlink-account-linking"]);
    // Rolling back again goes back to the code of version 2 (the version before the one that runs, with other code).
    expect((await planActionRollback(tenant.client)).to.number).toBe(2);
  });

  test("to a version asked by number; nothing to roll back to is said so", async () => {
    const tenant = fakeTenant();
    await deploy(tenant);
    const error = await planActionRollback(tenant.client).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionDeployError);
    expect((error as Error).message).toMatch(
      /no earlier version with other code to go back to \(version 1 runs\)/,
    );
    await deploy(tenant, { code: codeV2 });
    expect((await planActionRollback(tenant.client, { toVersion: 1 })).to.number).toBe(1);
    await expect(planActionRollback(tenant.client, { toVersion: 9 })).rejects.toThrow(
      /has no version 9 \(it has 2, 1\)/,
    );
    await expect(planActionRollback(tenant.client, { toVersion: 2 })).rejects.toThrow(
      /is the one that runs already/,
    );
  });

  test("a failed build of the old code puts the draft back; the running version keeps running", async () => {
    let failOld = false;
    const tenant = fakeTenant({ failBuild: (code) => failOld && code.includes("v1") });
    await deploy(tenant);
    await deploy(tenant, { code: codeV2 });
    const plan = await planActionRollback(tenant.client);
    failOld = true;
    const error = await executeActionRollback(tenant.client, plan, fast).catch((e: unknown) => e);
    expect((error as ActionDeployError).step).toBe("build");
    expect((error as Error).message).toMatch(
      /could not build version 1's code\. Version 2 keeps running\. idlink put the draft's previous code back/,
    );
    const action = ownAction(tenant);
    expect(action?.versions.find((v) => v.id === action.deployedId)?.number).toBe(2);
    expect(action?.code).toContain("v2");
  });

  test("no Action has nothing to roll back", async () => {
    const tenant = fakeTenant();
    await expect(planActionRollback(tenant.client)).rejects.toThrow(
      /no Action named idlink-account-linking to roll back/,
    );
  });
});
