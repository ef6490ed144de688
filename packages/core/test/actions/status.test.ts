import { describe, expect, test } from "vitest";
import { ActionDeployError } from "../../src/actions/errors.ts";
import { readActionStatus } from "../../src/actions/status.ts";
import { ValidationError } from "../../src/present/errors.ts";
import { fakeTenant } from "./fake-tenant.ts";
import { codeV1, codeV2, deploy } from "./fixtures.ts";

describe("readActionStatus", () => {
  test("says whether the deployed code is the build given (by hash), which version runs, and where it is bound", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("Add roles");
    const { plan } = await deploy(tenant);
    tenant.addForeign("Audit log");
    const status = await readActionStatus(tenant.client, { code: codeV1 });
    expect(status).toMatchObject({
      exists: true,
      draft: { status: "built", allChangesDeployed: true },
      deployed: { number: 1, hash: plan.hash, intact: true, current: true, runtime: "node22" },
      expectedHash: plan.hash,
      position: 2,
      secrets: expect.arrayContaining(["LINK_PAGE_URL", "SESSION_TOKEN_SECRET"]),
    });
    expect(status.bindings.map((b) => `${b.display_name}${b.idlink ? " *" : ""}`)).toEqual([
      "Add roles",
      "idlink-account-linking *",
      "Audit log",
    ]);
    expect((await readActionStatus(tenant.client, { code: codeV2 })).deployed?.current).toBe(false);
    expect((await readActionStatus(tenant.client)).deployed?.current).toBeUndefined();
  });

  test("no Action: exists false, the bindings still read; read:actions is all it needs", async () => {
    const tenant = fakeTenant({ scopes: ["read:actions"] });
    tenant.addForeign("Add roles");
    const status = await readActionStatus(tenant.client);
    expect(status).toMatchObject({ exists: false, deployed: undefined, position: undefined });
    expect(status.bindings).toHaveLength(1);
    expect(tenant.writes()).toEqual([]);
  });

  test("another Action of the name is refused; a token without read:actions sends nothing", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("idlink-account-linking");
    await expect(readActionStatus(tenant.client)).rejects.toThrow(ActionDeployError);
    const bare = fakeTenant({ scopes: [] });
    await expect(readActionStatus(bare.client)).rejects.toThrow(ValidationError);
    expect(bare.requests).toEqual([]);
  });
});
