import { describe, expect, test } from "vitest";
import {
  deleteAction,
  findActionsByName,
  getAction,
  listBindings,
  listTriggers,
  listVersions,
} from "../../src/actions/operations.ts";
import { ManagementApiError, ValidationError } from "../../src/present/errors.ts";
import { fakeTenant } from "./fake-tenant.ts";

describe("the Actions operations, through client.send", () => {
  test("find by exact name, asking Auth0 to filter by name and trigger, 100 a page", async () => {
    const tenant = fakeTenant();
    tenant.addForeign("idlink");
    tenant.addForeign("idlink-2");
    expect((await findActionsByName(tenant.client, "idlink", "post-login")).map((a) => a.name)).toEqual([
      "idlink",
    ]);
    expect(tenant.requests[0]?.path).toBe(
      "/api/v2/actions/actions?actionName=idlink&triggerId=post-login&page=0&per_page=100",
    );
  });

  test("every page of bindings, until a page comes back short (recorded pages past the first have no total)", async () => {
    const tenant = fakeTenant();
    const action = tenant.addForeign("A", { bind: false });
    const list = tenant.bindings.get("post-login") ?? [];
    for (let i = 0; i < 150; i++) list.push({ id: `b${i}`, actionId: action.id, display_name: `n${i}` });
    const all = await listBindings(tenant.client, "post-login");
    expect(all).toHaveLength(150);
    expect(all[149]?.display_name).toBe("n149");
    expect(tenant.requests.map((r) => r.path.split("?")[1])).toEqual([
      "page=0&per_page=100",
      "page=1&per_page=100",
    ]);
  });

  test("delete answers 204 without a body; a bound Action is refused 409 in Auth0's words", async () => {
    const tenant = fakeTenant();
    const free = tenant.addForeign("free", { bind: false });
    const bound = tenant.addForeign("bound");
    expect(await deleteAction(tenant.client, free.id)).toBe(true);
    const error = await deleteAction(tenant.client, bound.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as ManagementApiError).status).toBe(409);
    expect((error as ManagementApiError).apiMessage).toBe("Unable to delete an action bound to a trigger.");
  });

  test("versions come newest first; triggers list; an empty id is refused before sending", async () => {
    const tenant = fakeTenant();
    const a = tenant.addForeign("A");
    expect((await listVersions(tenant.client, a.id)).map((v) => v.number)).toEqual([1]);
    expect((await listTriggers(tenant.client)).map((t) => `${t.id} ${t.version}`)).toEqual([
      "post-login v1",
      "post-login v3",
    ]);
    await expect(getAction(tenant.client, "")).rejects.toThrow(ValidationError);
    const missing = await getAction(tenant.client, "nope").catch((e: unknown) => e);
    expect((missing as ManagementApiError).message).toBe(
      "Get action failed (404 Not Found): The action does not exist. — GET /api/v2/actions/actions/{id}",
    );
  });
});
