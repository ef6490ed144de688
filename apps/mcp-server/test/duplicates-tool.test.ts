import { describe, expect, test } from "vitest";
import { structured, textOf, useHarness } from "./helpers.ts";

const { emulator, open } = useHarness({ generate: { users: 300, duplicateRate: 0.3, seed: 4 } });

describe("find_duplicate_accounts", () => {
  test("reports counts and a bounded sample from an export job, and changes nothing", async () => {
    const { call } = await open();
    const result = await call("find_duplicate_accounts", { sample_size: 2 });
    expect(result.isError).toBeFalsy();
    const out = structured(result) as {
      users: number;
      groups: number;
      pairs: number;
      skipped: { unverified: number };
      sample: { groups: { primary: { user_id: string }; reason: string; secondaries: unknown[] }[] };
    };
    expect(out.users).toBe(12 + 300);
    expect(out.groups).toBeGreaterThan(2);
    expect(out.pairs).toBeGreaterThanOrEqual(out.groups);
    expect(out.skipped.unverified).toBeGreaterThan(0);
    expect(out.sample.groups).toHaveLength(2);
    expect(out.sample.groups[0]?.reason).not.toBe("");
    expect(textOf(result)).toContain(`${out.groups} groups of verified duplicates`);
    const writes = emulator().state.requests.filter(
      (r) => r.path.startsWith("/api/v2/") && r.method !== "GET" && r.path !== "/api/v2/jobs/users-exports",
    );
    expect(writes).toEqual([]);
  });

  test("refuses a malformed connection_id before sending anything", async () => {
    const { call } = await open();
    const result = await call("find_duplicate_accounts", { connection_id: "con_x" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("connection_id");
    expect(emulator().state.requests).toEqual([]);
  });

  test("answers Auth0's 403 as an isError result when the token lacks read:users", async () => {
    const em = emulator();
    const { call } = await open({ token: await em.mintToken({ scopes: ["update:users"] }) });
    const result = await call("find_duplicate_accounts", {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("read:users");
  });
});
