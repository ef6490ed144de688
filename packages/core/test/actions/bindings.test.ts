import { describe, expect, test } from "vitest";
import {
  type BindingSummary,
  describePosition,
  parseBindingPosition,
  placeBinding,
  sameBindings,
  summarizeBindings,
  withoutBinding,
  writeBindings,
} from "../../src/actions/bindings.ts";
import { ActionDeployError } from "../../src/actions/errors.ts";
import { fakeTenant } from "./fake-tenant.ts";

const b = (name: string, idlink = false): BindingSummary => ({
  action_id: `id-${name}`,
  action_name: name,
  display_name: name,
  idlink,
});
const own = { action_id: "id-idlink", action_name: "idlink", display_name: "idlink" };
const names = (list: BindingSummary[]) => list.map((x) => x.display_name);
const placed = (list: BindingSummary[], position?: Parameters<typeof placeBinding>[2]) => {
  const result = placeBinding(list, own, position);
  return result.ok ? names(result.value) : result.issues[0]?.message;
};

describe("parseBindingPosition", () => {
  test("first, last, a number from 1, before:NAME, after:NAME", () => {
    expect(parseBindingPosition("first")).toEqual({ ok: true, value: "first" });
    expect(parseBindingPosition("2")).toEqual({ ok: true, value: { index: 2 } });
    expect(parseBindingPosition("before:Add roles")).toEqual({ ok: true, value: { before: "Add roles" } });
    expect(parseBindingPosition("after: Audit ")).toEqual({ ok: true, value: { after: "Audit" } });
    for (const bad of ["0", "middle", "before:", "-1"]) expect(parseBindingPosition(bad).ok).toBe(false);
    expect(describePosition({ after: "Audit" })).toBe("after Audit");
  });
});

describe("placeBinding keeps every other binding in its order", () => {
  const list = [b("A"), b("B"), b("C")];
  test("last by default, first, a number, before and after another", () => {
    expect(placed(list)).toEqual(["A", "B", "C", "idlink"]);
    expect(placed(list, "first")).toEqual(["idlink", "A", "B", "C"]);
    expect(placed(list, { index: 2 })).toEqual(["A", "idlink", "B", "C"]);
    expect(placed(list, { before: "C" })).toEqual(["A", "B", "idlink", "C"]);
    expect(placed(list, { after: "A" })).toEqual(["A", "idlink", "B", "C"]);
  });

  test("an Action already bound stays where it is unless a position is asked; asked, it moves", () => {
    const bound = [b("A"), { ...own, idlink: true }, b("B")];
    expect(placed(bound)).toEqual(["A", "idlink", "B"]);
    expect(placed(bound, "last")).toEqual(["A", "B", "idlink"]);
  });

  test("a position past the end or naming no binding is refused with the list", () => {
    expect(placed(list, { index: 5 })).toMatch(
      /^position 5 is past the end: post-login has 3 other bindings, so give 1 to 4/,
    );
    expect(placed(list, { after: "Z" })).toBe(
      "no other binding is named Z (post-login runs: A, B, C) — name one of them, or use first or last",
    );
  });

  test("withoutBinding and sameBindings", () => {
    expect(names(withoutBinding([b("A"), { ...own, idlink: true }], own.action_id))).toEqual(["A"]);
    expect(sameBindings([b("A"), b("B")], [b("A"), b("B")])).toBe(true);
    expect(sameBindings([b("A"), b("B")], [b("B"), b("A")])).toBe(false);
    expect(
      summarizeBindings([{ id: "x", display_name: "Shown", action: { id: "a1", name: "Real" } }], "a1"),
    ).toEqual([{ action_id: "a1", action_name: "Real", display_name: "Shown", idlink: true }]);
  });
});

describe("writeBindings", () => {
  function tenantWith(...names: string[]) {
    const tenant = fakeTenant();
    const actions = names.map((name) => tenant.addForeign(name));
    return { tenant, actions };
  }

  test("reads, reads again just before writing, writes the whole list, reads it back", async () => {
    const { tenant, actions } = tenantWith("A", "B");
    const result = await writeBindings(
      tenant.client,
      "post-login",
      (current) => ({ ok: true, value: [...current].reverse() }),
      { ownId: actions[0]?.id ?? "" },
    );
    expect(result.written).toBe(true);
    expect(tenant.order()).toEqual(["B", "A"]);
    expect(tenant.requests.map((r) => r.method)).toEqual(["GET", "GET", "PATCH", "GET"]);
    expect(tenant.requests[2]?.body).toEqual({
      bindings: [
        { ref: { type: "action_id", value: actions[1]?.id }, display_name: "B" },
        { ref: { type: "action_id", value: actions[0]?.id }, display_name: "A" },
      ],
    });
  });

  test("a list already as wanted is not written", async () => {
    const { tenant } = tenantWith("A");
    const result = await writeBindings(
      tenant.client,
      "post-login",
      (current) => ({ ok: true, value: current }),
      { ownId: "x" },
    );
    expect(result.written).toBe(false);
    expect(tenant.writes()).toEqual([]);
  });

  test("a change between the two reads is started over from the new list, and reported", async () => {
    const { tenant, actions } = tenantWith("A", "B");
    let reads = 0;
    tenant.hooks.push((method, path) => {
      if (method === "GET" && path.endsWith("/bindings") && ++reads === 2) {
        tenant.bindings
          .get("post-login")
          ?.push({ id: "new", actionId: actions[0]?.id ?? "", display_name: "Meanwhile" });
      }
    });
    const result = await writeBindings(
      tenant.client,
      "post-login",
      (current) => ({ ok: true, value: current.filter((x) => x.display_name !== "B") }),
      { ownId: "x" },
    );
    expect(result.changedSinceRead).toBe(true);
    expect(tenant.order()).toEqual(["A", "Meanwhile"]);
  });

  test("a change right after the write is detected and reported, naming both lists", async () => {
    const { tenant, actions } = tenantWith("A", "B");
    tenant.hooks.push((method) => {
      if (method === "PATCH") {
        queueMicrotask(() =>
          tenant.bindings
            .get("post-login")
            ?.push({ id: "late", actionId: actions[0]?.id ?? "", display_name: "Late" }),
        );
      }
    });
    const error = await writeBindings(
      tenant.client,
      "post-login",
      (current) => ({ ok: true, value: current.slice(0, 1) }),
      { ownId: "x" },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionDeployError);
    expect((error as Error).message).toMatch(
      /changed right after idlink wrote them: idlink wrote \[A\], the tenant now runs \[A, Late\]/,
    );
  });

  test("a placement that cannot be made is refused with nothing written", async () => {
    const { tenant } = tenantWith("A");
    const error = await writeBindings(
      tenant.client,
      "post-login",
      () => ({ ok: false, issues: [{ path: "position", message: "no such binding" }] }),
      { ownId: "x" },
    ).catch((e: unknown) => e);
    expect((error as Error).message).toBe("Cannot place the binding: no such binding. Nothing was written.");
    expect(tenant.writes()).toEqual([]);
  });
});
