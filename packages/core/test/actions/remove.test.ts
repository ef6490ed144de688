import { describe, expect, test } from "vitest";
import { ActionDeployError } from "../../src/actions/errors.ts";
import { executeActionRemove, planActionRemove } from "../../src/actions/remove.ts";
import type { ValidationError } from "../../src/present/errors.ts";
import { fakeTenant } from "./fake-tenant.ts";
import { deploy } from "./fixtures.ts";

describe("remove", () => {
  test("unbinds (every other binding kept in its order), then deletes", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    await deploy(tenant);
    tenant.addForeign("Audit log");
    const plan = await planActionRemove(tenant.client);
    expect(plan.bindings.change).toBe("unbind");
    expect(plan.bindings.after.map((b) => b.display_name)).toEqual(["Add roles", "Audit log"]);
    const before = tenant.writes().length;
    const outcome = await executeActionRemove(tenant.client, plan);
    expect(outcome.removed).toBe(true);
    expect(tenant.order()).toEqual(["Add roles", "Audit log"]);
    expect([...tenant.actions.values()].map((a) => a.name)).toEqual(["Add roles", "Audit log"]);
    expect(
      tenant
        .writes()
        .slice(before)
        .map((r) => r.method),
    ).toEqual(["PATCH", "DELETE"]);
  });

  test("nothing to remove is not an error, and sends no write", async () => {
    const tenant = fakeTenant();
    const plan = await planActionRemove(tenant.client);
    expect(await executeActionRemove(tenant.client, plan)).toEqual({
      removed: false,
      actionId: undefined,
      bindings: undefined,
    });
    expect(tenant.writes()).toEqual([]);
  });

  test("another Action of the same name is refused; a token without delete:actions is told before sending", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("idlink-account-linking");
    await expect(planActionRemove(tenant.client)).rejects.toThrow(ActionDeployError);
    const weak = fakeTenant({ scopes: ["read:actions", "update:actions"] });
    const error = await planActionRemove(weak.client).catch((e: unknown) => e);
    expect((error as ValidationError).issues.map((i) => i.message.split(" — ")[0])).toEqual([
      "the token lacks delete:actions, needed to delete it",
    ]);
    expect(weak.requests).toEqual([]);
  });

  test("bound again by someone between the unbind and the delete: Auth0's 409 is explained, nothing deleted", async () => {
    const tenant = fakeTenant();
    await deploy(tenant);
    const plan = await planActionRemove(tenant.client);
    tenant.hooks.push((method) => {
      if (method === "DELETE") {
        tenant.bindings
          .get("post-login")
          ?.push({ id: "again", actionId: plan.actionId ?? "", display_name: "again" });
      }
    });
    const error = await executeActionRemove(tenant.client, plan).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/was unbound, but Auth0 says it is bound again \(409/);
    expect(tenant.actions.size).toBe(1);
  });
});
