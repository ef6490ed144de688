import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  alice,
  aliceGoogle,
  carol,
  carolGoogle,
  expectNoSecrets,
  frank,
  frankGithub,
  idlink,
  json,
  startTenant,
  type Tenant,
  writes,
} from "./helpers.ts";

let tenant: Tenant;
beforeAll(async () => {
  tenant = await startTenant({ rateLimit: false });
});
afterAll(() => tenant.stop());
beforeEach(() => tenant.emu.state.reset());

const identitiesOf = (id: string) =>
  (tenant.emu.state.getUser(id)?.identities ?? []).map((i) => `${i.provider}|${i.user_id}`);

describe("idlink unlink", () => {
  test("unlinks a linked identity, which becomes a user again", async () => {
    const result = await idlink(["unlink", frank, frankGithub, "--yes", "--json"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({
      ok: true,
      identities: [{ id: frank, provider: "auth0", connection: "Username-Password-Authentication" }],
    });
    expect(identitiesOf(frank)).toEqual([frank]);
    expect(tenant.emu.state.getUser(frankGithub)).toBeDefined();
    expectNoSecrets(result, tenant.secrets);
  });

  test("takes --provider and --user-id", async () => {
    const result = await idlink(["unlink", frank, "--provider", "github", "--user-id", "7700123", "--yes"], {
      env: tenant.env,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Unlinked");
    expect(identitiesOf(frank)).toEqual([frank]);
  });

  test("--dry-run shows what stays and sends nothing", async () => {
    const result = await idlink(["unlink", frank, frankGithub, "--dry-run"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("becomes a separate user again");
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("--print-curl prints the DELETE with $AUTH0_TOKEN", async () => {
    const result = await idlink(["unlink", frank, frankGithub, "--print-curl"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--request DELETE");
    expect(result.stdout).toContain(
      "/api/v2/users/auth0%7C6600aa11bb22cc33dd44ee55/identities/github/7700123",
    );
    expect(result.stdout).toContain("$AUTH0_TOKEN");
    expectNoSecrets(result, tenant.secrets);
  });

  test("an identity that is not linked to the primary: exit 1, nothing sent", async () => {
    const result = await idlink(["unlink", alice, aliceGoogle, "--yes"], { env: tenant.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not linked to");
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("an identity linked into another user: says which (exit 1), nothing sent", async () => {
    const result = await idlink(["unlink", alice, frankGithub, "--yes"], { env: tenant.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`it is linked into ${frank} (frank@`);
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("the main identity cannot be removed: exit 2", async () => {
    const result = await idlink(["unlink", frank, frank, "--yes"], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("main identity");
  });

  test("the reader client's token is refused by the preflight (exit 2), naming the missing scope; nothing sent", async () => {
    const result = await idlink(["unlink", frank, frankGithub, "--yes", "--json"], {
      env: { AUTH0_DOMAIN: tenant.emu.url, AUTH0_TOKEN: tenant.readerToken },
    });
    expect(result.code).toBe(2);
    expect(json(result)).toMatchObject({ ok: false, exitCode: 2, error: { issues: [{ path: "token" }] } });
    expect(result.stderr).toContain("lacks update:users");
    expect(tenant.emu.state.requests).toEqual([]);
    expect(identitiesOf(frank)).toEqual([frank, frankGithub]);
    expectNoSecrets(result, tenant.secrets);
  });

  test("needs --yes when not on a terminal", async () => {
    const result = await idlink(["unlink", frank, frankGithub], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(writes(tenant.emu)).toEqual([]);
  });
});

describe("idlink show", () => {
  test("shows the identities with identity-provider tokens redacted", async () => {
    const result = await idlink(["show", frank], { env: tenant.clientEnv });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("github");
    expect(result.stdout).toContain("7700123");
    expect(result.stdout).toContain("access_token [redacted]");
    expect(result.stdout).toContain('{"timezone":"Europe/Madrid"}');
    expectNoSecrets(result, tenant.secrets);
  });

  test("--json prints the user with its tokens redacted", async () => {
    const result = await idlink(["show", frank, "--json"], { env: tenant.env });
    expect(result.code).toBe(0);
    const doc = json(result) as {
      ok: boolean;
      user: { identities: { access_token?: string }[] };
      identities: { id: string }[];
    };
    expect(doc.ok).toBe(true);
    expect(doc.user.identities[1]?.access_token).toBe("[redacted]");
    expect(doc.identities.map((i) => i.id)).toEqual([frank, frankGithub]);
    expectNoSecrets(result, tenant.secrets);
  });

  test("a missing user is Auth0's 404 (exit 1)", async () => {
    const result = await idlink(["show", "auth0|nobody", "--json"], { env: tenant.env });
    expect(result.code).toBe(1);
    expect(json(result)).toMatchObject({ ok: false, error: { status: 404, code: "inexistent_user" } });
    expect(result.stderr).toContain("The user does not exist.");
  });

  test("an identity linked into another user is no user of its own: the 404 names its owner", async () => {
    const result = await idlink(["show", frankGithub, "--json"], { env: tenant.env });
    expect(result.code).toBe(1);
    expect(json(result)).toMatchObject({ ok: false, error: { status: 404 } });
    expect(result.stderr).toContain(`(user ${frankGithub}, linked into ${frank} (frank@`);
    expect(result.stderr).toContain(`act on ${frank} instead, or unlink ${frankGithub} from it first`);
  });

  test("a percent-encoded id is refused before sending", async () => {
    const result = await idlink(["show", "auth0%7C123"], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(tenant.emu.state.requests).toEqual([]);
  });

  // As people type them: cmd.exe passes single quotes on, an email where the id goes, a provider in capitals.
  test.each([
    ["'auth0|64f1a2b3c4d5e6f708192a3b'", "user: user is wrapped in quotes — pass the id without them"],
    ["alice.martin@example.com", "user: user is an email address — pass the user's id, provider|id"],
    ["Auth0|64f1a2b3c4d5e6f708192a3b", "did you mean auth0|64f1a2b3c4d5e6f708192a3b?"],
  ])("%s is refused before sending, with the fix", async (id, message) => {
    const result = await idlink(["show", id], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(tenant.emu.state.requests).toEqual([]);
  });
});

describe("idlink candidates", () => {
  test("suggests verified matches with the exact link command", async () => {
    const result = await idlink(["candidates", "alice.martin@example.com"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`idlink link '${alice}' '${aliceGoogle}'`);
    expectNoSecrets(result, tenant.secrets);
  });

  test("--json lists candidates with their commands", async () => {
    const doc = json(await idlink(["candidates", alice, "--json"], { env: tenant.env }));
    expect(doc).toMatchObject({
      ok: true,
      email: "alice.martin@example.com",
      primary: { user_id: alice },
      candidates: [{ user_id: aliceGoogle, command: `idlink link '${alice}' '${aliceGoogle}'` }],
      unverified: [],
    });
  });

  test("lists unverified matches apart with Auth0's warning, never as suggestions", async () => {
    const result = await idlink(["candidates", carol, "--json"], { env: tenant.env });
    expect(result.code).toBe(0);
    const doc = json(result) as {
      candidates: unknown[];
      unverified: { account: { user_id: string }; reason: string }[];
    };
    expect(doc.candidates).toEqual([]);
    expect(doc.unverified.map((u) => u.account.user_id)).toEqual([carolGoogle]);
    expect(doc.unverified[0]?.reason).toContain("not verified");
    const human = await idlink(["candidates", "carol@example.org"], { env: tenant.env });
    expect(human.stdout).toContain("Not suggested");
    expect(human.stdout).not.toContain("idlink link");
  });
});
