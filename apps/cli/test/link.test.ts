import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  expectNoSecrets,
  frank,
  frankGithub,
  idlink,
  idlinkBin,
  jane,
  janeSaml,
  json,
  startTenant,
  type Tenant,
  tempDir,
  writes,
} from "./helpers.ts";

let tenant: Tenant;
const dir = tempDir();

beforeAll(async () => {
  tenant = await startTenant({ rateLimit: false });
});
afterAll(async () => {
  await tenant.stop();
  dir.cleanup();
});
beforeEach(() => tenant.emu.state.reset());

const identitiesOf = (id: string) =>
  (tenant.emu.state.getUser(id)?.identities ?? []).map((i) => `${i.provider}|${i.user_id}`);

describe("idlink link", () => {
  test("links a full-id secondary with --yes", async () => {
    const result = await idlink(["link", alice, aliceGoogle, "--yes"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Linked");
    expect(identitiesOf(alice)).toEqual([alice, aliceGoogle]);
    expect(tenant.emu.state.getUser(aliceGoogle)).toBeUndefined();
    expectNoSecrets(result, tenant.secrets);
  });

  test("prints the plan and sends nothing with --dry-run", async () => {
    const result = await idlink(["link", alice, aliceGoogle, "--dry-run"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("identities of the primary afterwards");
    expect(result.stdout).toContain("metadata will be discarded");
    expect(result.stdout).toContain("Dry run");
    expect(writes(tenant.emu)).toEqual([]);
    expect(identitiesOf(alice)).toEqual([alice]);
  });

  test("--json prints one document with the plan and the identities (end to end: the built bin)", async () => {
    const result = await idlinkBin(["link", alice, aliceGoogle, "--yes", "--json"], { env: tenant.env });
    expect(result.code).toBe(0);
    const doc = json(result);
    expect(doc.ok).toBe(true);
    expect(doc.identities).toEqual([
      { id: alice, provider: "auth0", connection: "Username-Password-Authentication" },
      { id: aliceGoogle, provider: "google-oauth2", connection: "google-oauth2" },
    ]);
    expect(doc.plan).toMatchObject({ primary: { user_id: alice }, secondary: { user_id: aliceGoogle } });
    expectNoSecrets(result, tenant.secrets);
  });

  test("--dry-run --json has the plan and no identities", async () => {
    const doc = json(await idlink(["link", alice, aliceGoogle, "--dry-run", "--json"], { env: tenant.env }));
    expect(doc).toMatchObject({ ok: true, dryRun: true });
    expect(doc.plan).toMatchObject({ mergeableKeys: ["newsletter"] });
  });

  test("links with --provider and --user-id (a numeric GitHub id)", async () => {
    const result = await idlink(["link", bob, "--provider", "github", "--user-id", "5812345", "--yes"], {
      env: tenant.env,
    });
    expect(result.code).toBe(0);
    expect(identitiesOf(bob)).toEqual([bob, bobGithub]);
  });

  test("links an enterprise id split on the first | with a connection id", async () => {
    const result = await idlink(
      ["link", jane, janeSaml, "--connection-id", "con_AcmeSaml7Hk2Pq9e", "--yes"],
      {
        env: tenant.env,
      },
    );
    expect(result.code).toBe(0);
    expect(identitiesOf(jane)).toEqual([jane, janeSaml]);
  });

  test("links with client credentials from AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET", async () => {
    const result = await idlink(["link", alice, aliceGoogle, "--yes"], { env: tenant.clientEnv });
    expect(result.code).toBe(0);
    expect(identitiesOf(alice)).toContain(aliceGoogle);
    expectNoSecrets(result, tenant.secrets);
  });

  test("reads the token from --token-file and --token-stdin", async () => {
    const file = join(dir.path, "token.txt");
    writeFileSync(file, `${tenant.adminToken}\n`);
    const env = { AUTH0_DOMAIN: tenant.emu.url };
    const fromFile = await idlink(["link", alice, aliceGoogle, "--yes", "--token-file", file], { env });
    expect(fromFile.code).toBe(0);
    tenant.emu.state.reset();
    // End to end: a real pipe into the built bin's stdin.
    const fromStdin = await idlinkBin(["link", alice, aliceGoogle, "--yes", "--token-stdin"], {
      env,
      input: tenant.adminToken,
    });
    expect(fromStdin.code).toBe(0);
    expectNoSecrets(fromFile, tenant.secrets);
    expectNoSecrets(fromStdin, tenant.secrets);
  });

  test("links with the token variant: the user's own token and the secondary's ID token on stdin", async () => {
    const primary = await tenant.emu.login(alice);
    const secondary = await tenant.emu.login(aliceGoogle);
    const result = await idlink(["link", alice, "--link-with", "-", "--yes", "--json"], {
      env: { AUTH0_DOMAIN: tenant.emu.url, AUTH0_TOKEN: primary.access_token },
      input: secondary.id_token,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(identitiesOf(alice)).toEqual([alice, aliceGoogle]);
    expectNoSecrets(result, [...tenant.secrets, primary.access_token, secondary.id_token, primary.id_token]);
  });

  test("reads the ID token from --link-with-file", async () => {
    const primary = await tenant.emu.login(alice);
    const secondary = await tenant.emu.login(aliceGoogle);
    const file = join(dir.path, "id-token.txt");
    writeFileSync(file, secondary.id_token);
    const result = await idlink(["link", alice, "--link-with-file", file, "--yes"], {
      env: { AUTH0_DOMAIN: tenant.emu.url, AUTH0_TOKEN: primary.access_token },
    });
    expect(result.code).toBe(0);
    expect(identitiesOf(alice)).toContain(aliceGoogle);
    expectNoSecrets(result, [primary.access_token, secondary.id_token]);
  });

  test("refuses an ID token given as a flag value, without echoing it", async () => {
    const secondary = await tenant.emu.login(aliceGoogle);
    const result = await idlink(["link", alice, "--link-with", secondary.id_token, "--yes"], {
      env: tenant.env,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--link-with takes '-'");
    expectNoSecrets(result, [secondary.id_token, ...tenant.secrets]);
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("--print-curl prints the request with $AUTH0_TOKEN and sends nothing", async () => {
    const result = await idlink(["link", alice, aliceGoogle, "--print-curl"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"authorization: Bearer $AUTH0_TOKEN"');
    expect(result.stdout).toContain(
      `${tenant.emu.url}/api/v2/users/auth0%7C64f1a2b3c4d5e6f708192a3b/identities`,
    );
    expect(result.stdout).toContain(`'{"provider":"google-oauth2","user_id":"108234567890123456789"}'`);
    expect(tenant.emu.state.requests).toEqual([]);
    expectNoSecrets(result, tenant.secrets);
  });

  test("--print-curl of the token variant uses $LINK_WITH, never the ID token", async () => {
    const secondary = await tenant.emu.login(aliceGoogle);
    const result = await idlink(["link", alice, "--link-with", "-", "--print-curl"], {
      env: tenant.env,
      input: secondary.id_token,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("$LINK_WITH");
    expectNoSecrets(result, [secondary.id_token]);
  });

  test("--merge-metadata copies the secondary's user_metadata keys the primary lacks", async () => {
    const result = await idlink(["link", alice, aliceGoogle, "--merge-metadata", "--yes"], {
      env: tenant.env,
    });
    expect(result.code).toBe(0);
    expect(tenant.emu.state.getUser(alice)?.user_metadata).toEqual({
      theme: "dark",
      locale: "en-GB",
      newsletter: true,
    });
  });

  test("needs --yes when not on a terminal", async () => {
    const result = await idlink(["link", alice, aliceGoogle], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--yes");
    expect(writes(tenant.emu)).toEqual([]);
  });
});

describe("idlink link errors", () => {
  test.each([
    {
      name: "the seed page's empty strings (mixed variant)",
      args: ["--provider", "", "--user-id", "", "--connection-id", "", "--link-with-file", "EMPTY"],
      fields: ["link_with", "provider"],
    },
    {
      name: "a full id together with an ID token",
      args: [aliceGoogle, "--link-with-file", "EMPTY"],
      fields: ["secondary"],
    },
    {
      name: "provider and user_id together with link_with",
      args: [
        "--provider",
        "google-oauth2",
        "--user-id",
        "108234567890123456789",
        "--link-with-file",
        "EMPTY",
      ],
      fields: ["link_with"],
    },
    {
      name: "a malformed connection id",
      args: [aliceGoogle, "--connection-id", "con_nope"],
      fields: ["connection_id"],
    },
    { name: "a self-link", args: [alice], fields: ["secondary"] },
    { name: "an unknown provider", args: ["gogle|123"], fields: ["secondary"] },
  ])("rejects $name with exit 2, naming the field, sending nothing", async ({ args, fields }) => {
    const empty = join(dir.path, "empty.txt");
    writeFileSync(empty, "");
    const argv = ["link", alice, ...args.map((a) => (a === "EMPTY" ? empty : a)), "--yes"];
    const human = await idlink(argv, { env: tenant.env });
    expect(human.code).toBe(2);
    for (const field of fields) expect(human.stderr).toContain(`${field}:`);
    const doc = json(await idlink([...argv, "--json"], { env: tenant.env }));
    expect(doc).toMatchObject({ ok: false, exitCode: 2 });
    const issues = (doc.error as { issues: { path: string }[] }).issues.map((i) => i.path);
    for (const field of fields) expect(issues).toContain(field);
    expect(tenant.emu.state.requests).toEqual([]);
  });

  test("a well-formed connection id of another connection is refused by Auth0 (exit 1)", async () => {
    const result = await idlink(
      ["link", alice, aliceGoogle, "--connection-id", "con_GitHubSocial0042", "--yes", "--json"],
      {
        env: tenant.env,
      },
    );
    expect(result.code).toBe(1);
    expect(json(result)).toMatchObject({ ok: false, error: { status: 400 } });
    expect(result.stderr).toContain("The provider/connection is not configured.");
    expect(identitiesOf(alice)).toEqual([alice]);
  });

  test("the reader client lacks update:users: refused before anything is sent", async () => {
    const result = await idlink(["link", alice, aliceGoogle, "--yes"], {
      env: {
        ...tenant.clientEnv,
        AUTH0_CLIENT_ID: "idlink-reader",
        AUTH0_CLIENT_SECRET: "emulator-only-secret-reader",
      },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("update:users");
    expect(writes(tenant.emu)).toEqual([]);
    expectNoSecrets(result, tenant.secrets);
  });

  test("a refused client secret is an API error (exit 1) that does not echo the secret", async () => {
    const result = await idlink(["show", alice], {
      env: { ...tenant.clientEnv, AUTH0_CLIENT_SECRET: "wrong-secret-value-123" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Unauthorized");
    expect(result.stdout + result.stderr).not.toContain("wrong-secret-value-123");
  });

  test("a missing primary is Auth0's 404 (exit 1)", async () => {
    const result = await idlink(["link", "auth0|nobody", aliceGoogle, "--yes", "--json"], {
      env: tenant.env,
    });
    expect(result.code).toBe(1);
    expect(json(result)).toMatchObject({ ok: false, exitCode: 1, error: { status: 404 } });
  });

  test("a link whose answer is lost after the write is settled by reading the primary (exit 0), sent once", async () => {
    tenant.emu.setFaults({ dropAfterRate: 1, methods: ["POST"] });
    const result = await idlink(["link", alice, aliceGoogle, "--yes", "--json"], { env: tenant.env });
    tenant.emu.setFaults({});
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ ok: true, secondary: aliceGoogle });
    expect(result.stderr).toContain("reading the primary shows it linked");
    expect(writes(tenant.emu).filter((w) => w.startsWith("POST"))).toHaveLength(1);
    expect(identitiesOf(alice).includes(aliceGoogle)).toBe(true);
    expectNoSecrets(result, tenant.secrets);
  });

  test("a link answered with 5xx twice stays an unknown outcome (exit 4): re-sent only after reading it absent", async () => {
    tenant.emu.setFaults({ errorRate: 1, methods: ["POST"] });
    const result = await idlink(["link", alice, aliceGoogle, "--yes", "--json"], { env: tenant.env });
    tenant.emu.setFaults({});
    expect(result.code).toBe(4);
    expect(json(result)).toMatchObject({ ok: false, exitCode: 4, error: { title: "Outcome unknown" } });
    expect(result.stdout).toContain("read the primary user's identities");
    const calls = tenant.emu.state.requests.map((r) => r.method).filter((m) => m !== "PATCH");
    // plan (2 reads), link, read the primary, link again
    expect(calls.slice(-3)).toEqual(["POST", "GET", "POST"]);
    expect(identitiesOf(alice).includes(aliceGoogle)).toBe(false);
    expectNoSecrets(result, tenant.secrets);
  });

  test("a missing secondary blocks the link (exit 1), nothing sent", async () => {
    const result = await idlink(["link", alice, "google-oauth2|999", "--yes"], { env: tenant.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("does not exist");
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("an identity linked into another user: the block names that user and the two ways on (exit 1)", async () => {
    const result = await idlink(["link", alice, frankGithub, "--yes", "--json"], { env: tenant.env });
    expect(result.code).toBe(1);
    const text = JSON.stringify(json(result).error);
    expect(text).toContain(`${frankGithub} is not a user of its own: it is linked into ${frank} (frank@`);
    expect(text).toContain(`unlink it from ${frank} first`);
    expect(text).toContain(`or link ${frank} itself into ${alice}`);
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("an identity already linked to the primary: nothing to do (exit 1)", async () => {
    const result = await idlink(["link", frank, "github|7700123", "--yes", "--json"], { env: tenant.env });
    expect(result.code).toBe(1);
    const doc = json(result);
    expect(JSON.stringify(doc.error)).toContain("already linked");
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("no tenant, or no credentials: usage errors (exit 2)", async () => {
    const noDomain = await idlink(["show", alice], { env: { AUTH0_TOKEN: tenant.adminToken } });
    expect(noDomain.code).toBe(2);
    expect(noDomain.stderr).toContain("AUTH0_DOMAIN");
    const noCreds = await idlink(["show", alice], { env: { AUTH0_DOMAIN: tenant.emu.url } });
    expect(noCreds.code).toBe(2);
    expect(noCreds.stderr).toContain("AUTH0_TOKEN");
    const half = await idlink(["show", alice], {
      env: { AUTH0_DOMAIN: tenant.emu.url, AUTH0_CLIENT_ID: "idlink-admin" },
    });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain("AUTH0_CLIENT_SECRET");
    expectNoSecrets(noDomain, tenant.secrets);
  });

  test("plain http to a non-loopback host is refused", async () => {
    const result = await idlink(["show", alice], {
      env: { ...tenant.env, AUTH0_DOMAIN: "http://example.com" },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("https");
  });

  test("an unknown flag is a usage error; with --json still one document", async () => {
    const result = await idlink(["link", alice, aliceGoogle, "--frobnicate", "--json"], { env: tenant.env });
    expect(result.code).toBe(2);
    expect(json(result)).toMatchObject({ ok: false, exitCode: 2 });
  });
});
