import { afterAll, beforeAll, expect, test } from "vitest";
import { alice, bob, bobGithub, idlink, startTenant, type Tenant } from "./helpers.ts";

// What the CLI does with forms real Auth0 answers show accepted (the emulator's fidelity corpus).

let tenant: Tenant;
beforeAll(async () => {
  tenant = await startTenant({ rateLimit: false });
});
afterAll(async () => {
  await tenant.stop();
});

test("a full id in --user-id is sent as its bare part, and the CLI says so", async () => {
  const result = await idlink(
    ["link", alice, "--provider", "github", "--user-id", bobGithub, "--print-curl"],
    {
      env: tenant.env,
    },
  );
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`'{"provider":"github","user_id":"5812345"}'`);
  expect(result.stderr).toContain('user_id was the full id; sent "5812345"');
  expect(tenant.emu.state.requests).toEqual([]);
});

test("links with a full id in --user-id, as Auth0 does", async () => {
  const result = await idlink(["link", bob, "--provider", "github", "--user-id", bobGithub, "--yes"], {
    env: tenant.env,
  });
  expect(result.code).toBe(0);
  expect(tenant.emu.state.getUser(bob)?.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual([
    bob,
    bobGithub,
  ]);
});
