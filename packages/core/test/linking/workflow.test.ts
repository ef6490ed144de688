import { describe, expect, test } from "vitest";
import {
  BlockedPlanError,
  createManagementClient,
  describeError,
  ensureLinked,
  executeLink,
  executeUnlink,
  IdlinkError,
  type LinkTarget,
  ManagementApiError,
  OutcomeUnknownError,
  parseLinkArguments,
  parseUnlinkArguments,
  planLink,
  prepareLink,
  prepareUnlink,
  previewLink,
  previewUnlink,
} from "../../src/index.ts";
import { createRecordingFetch, json, networkError, type Reply } from "../fetch-recorder.ts";

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.c2ln`;
const management = jwt({ scope: "read:users update:users", azp: "m2m", iss: "https://t.auth0.com/" });
const readOnly = jwt({ scope: "read:users", azp: "reader" });

const alice = {
  user_id: "auth0|a1",
  email: "a@example.com",
  email_verified: true,
  identities: [{ provider: "auth0", user_id: "a1", connection: "db" }],
};
const aliceGithub = {
  user_id: "github|7",
  email: "a@example.com",
  email_verified: true,
  identities: [{ provider: "github", user_id: "7", connection: "github" }],
};
const linked = { ...alice, identities: [...alice.identities, ...aliceGithub.identities] };

/** What a face hands the workflow after parsing its arguments. */
function linkTarget(primary: string, body: { provider: string; user_id: string }): LinkTarget {
  const parsed = parseLinkArguments({ primary, ...body });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

function setup(replies: Reply[], token = management) {
  const recorder = createRecordingFetch(replies);
  const client = createManagementClient({ domain: "t.auth0.com", token, fetch: recorder.fetch });
  return {
    client,
    fetch: recorder.fetch,
    sent: () => recorder.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`),
  };
}

/** A user search that finds no one (include_totals=true). */
const noMatch = { start: 0, limit: 5, length: 0, total: 0, users: [] };

describe("prepare", () => {
  test("preflights the client's own token for a link: nothing is sent", async () => {
    const { client, sent } = setup([], readOnly);
    const prepared = await prepareLink(client, { primary: "auth0|a1", secondary: "github|7" });
    expect(prepared).toEqual({
      ok: false,
      issues: [{ path: "token", message: expect.stringContaining("lacks update:users") }],
    });
    expect(sent()).toEqual([]);
  });

  test("preflights the client's own token for an unlink too", async () => {
    const { client, sent } = setup([], readOnly);
    const prepared = await prepareUnlink(client, { primary: "auth0|a1", secondary: "github|7" });
    expect(!prepared.ok && prepared.issues[0]?.path).toBe("token");
    expect(sent()).toEqual([]);
  });

  test("a user's own token may unlink only from its own account", async () => {
    const own = jwt({ sub: "auth0|a1", scope: "update:current_user_identities" });
    const { client } = setup([], own);
    expect((await prepareUnlink(client, { primary: "auth0|a1", secondary: "github|7" })).ok).toBe(true);
    const other = await prepareUnlink(client, { primary: "auth0|b2", secondary: "github|7" });
    expect(!other.ok && other.issues[0]?.message).toContain("only unlink from its own account");
  });
});

describe("prepare, given a target the face parsed already", () => {
  test("takes it as it is: the same frozen target comes back", async () => {
    const { client } = setup([]);
    const target = linkTarget("auth0|a1", { provider: "github", user_id: "7" });
    expect(await prepareLink(client, target)).toEqual({ ok: true, value: target });
    expect(((await prepareLink(client, target)) as { value: LinkTarget }).value).toBe(target);
    const parsed = parseUnlinkArguments({ primary: "auth0|a1", secondary: "github|7" });
    if (!parsed.ok) throw new Error("expected a target");
    expect(((await prepareUnlink(client, parsed.value)) as { value: unknown }).value).toBe(parsed.value);
  });

  test("a hand-built target is parsed as arguments, so its faults are found", async () => {
    const { client, sent } = setup([]);
    const prepared = await prepareUnlink(client, { primary: "auth0|a1", secondary: "auth0|a1" });
    expect(prepared).toEqual({
      ok: false,
      issues: [
        { path: "secondary", message: expect.stringContaining("auth0|a1 is the main identity of auth0|a1") },
      ],
    });
    expect(sent()).toEqual([]);
  });

  test("a parsed target is still preflighted against the client's token", async () => {
    const { client } = setup([], readOnly);
    const prepared = await prepareLink(client, linkTarget("auth0|a1", { provider: "github", user_id: "7" }));
    expect(!prepared.ok && prepared.issues[0]?.path).toBe("token");
  });
});

describe("preview", () => {
  test("a link's arguments in, its plan out, reading but changing nothing", async () => {
    const { client, sent } = setup([json(200, alice), json(200, aliceGithub)]);
    const preview = await previewLink(client, { primary: "auth0|a1", secondary: "github|7" });
    expect(preview.ok && preview.value.identitiesAfter.map((i) => i.id)).toEqual(["auth0|a1", "github|7"]);
    expect(preview.ok && preview.value.request).toMatchObject({
      primary: "auth0|a1",
      body: { provider: "github", user_id: "7" },
    });
    expect(sent()).toEqual(["GET /api/v2/users/auth0%7Ca1", "GET /api/v2/users/github%7C7"]);
  });

  test("bad arguments come back as issues, and nothing is read", async () => {
    const { client, sent } = setup([]);
    const preview = await previewLink(client, { primary: "auth0|a1" });
    expect(preview).toEqual({
      ok: false,
      issues: [{ path: "secondary", message: expect.stringContaining("no secondary") }],
    });
    expect(sent()).toEqual([]);
  });
});

describe("execute", () => {
  test("refuses a blocked plan with a typed error, sending nothing", async () => {
    const { client, sent } = setup([
      json(200, linked),
      json(404, { statusCode: 404, message: "The user does not exist." }),
    ]);
    const plan = await planLink(client, linkTarget("auth0|a1", { provider: "github", user_id: "7" }));
    const before = sent().length;
    const error = await executeLink(client, plan).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlockedPlanError);
    expect(error).toBeInstanceOf(IdlinkError);
    expect(describeError(error)).toMatchObject({ title: "Cannot link — nothing was sent" });
    expect(sent().length).toBe(before);
  });

  test("settles a link whose answer was lost by reading the primary: linked once, never twice", async () => {
    const { client, sent } = setup([
      json(200, alice),
      json(200, aliceGithub),
      networkError("ECONNRESET"),
      json(200, linked),
    ]);
    const plan = await planLink(client, linkTarget("auth0|a1", { provider: "github", user_id: "7" }));
    const outcome = await executeLink(client, plan);
    expect(outcome.via).toBe("reconcile");
    expect(outcome.identities.map((i) => i.id)).toEqual(["auth0|a1", "github|7"]);
    expect(sent().filter((s) => s.startsWith("POST"))).toHaveLength(1);
  });

  test("links again after a lost answer when the secondary is absent", async () => {
    const { client, sent } = setup([
      json(200, alice),
      json(200, aliceGithub),
      json(503, { message: "busy" }),
      json(200, alice),
      json(201, linked.identities),
    ]);
    const plan = await planLink(client, linkTarget("auth0|a1", { provider: "github", user_id: "7" }));
    expect((await executeLink(client, plan)).via).toBe("link");
    expect(sent().filter((s) => s.startsWith("POST"))).toHaveLength(2);
  });

  test("unlinks through the same prepare, plan and execute", async () => {
    const { client } = setup([json(200, linked), json(200, alice.identities)]);
    const preview = await previewUnlink(client, { primary: "auth0|a1", secondary: "github|7" });
    if (!preview.ok) throw new Error("expected a plan");
    expect((await executeUnlink(client, preview.value)).map((i) => i.id)).toEqual(["auth0|a1"]);
  });
});

describe("execute, further", () => {
  test("merges the secondary's metadata first when asked", async () => {
    const withMetadata = { ...aliceGithub, user_metadata: { locale: "fr" } };
    const { client, sent } = setup([
      json(200, alice),
      json(200, withMetadata),
      json(200, alice),
      json(200, withMetadata),
      json(200, { ...alice, user_metadata: { locale: "fr" } }),
      json(201, linked.identities),
    ]);
    const plan = await planLink(client, linkTarget("auth0|a1", { provider: "github", user_id: "7" }));
    const outcome = await executeLink(client, plan, { mergeMetadata: true });
    expect(outcome).toMatchObject({ mergedMetadataKeys: ["locale"], via: "link" });
    expect(sent().slice(-2)).toEqual([
      "PATCH /api/v2/users/auth0%7Ca1",
      "POST /api/v2/users/auth0%7Ca1/identities",
    ]);
  });

  test("when even the read after a lost answer fails, the unknown outcome is what is thrown", async () => {
    const { client } = setup([json(200, alice), json(200, aliceGithub)]);
    const plan = await planLink(client, linkTarget("auth0|a1", { provider: "github", user_id: "7" }));
    const unknown = new OutcomeUnknownError({ operation: "Link", method: "POST", path: "/p", reason: "503" });
    const unreachable = setup([networkError("ECONNRESET")]);
    const offline = createManagementClient({
      domain: "t.auth0.com",
      token: management,
      fetch: unreachable.fetch,
      retry: { maxRetries: 0 },
    });
    await expect(ensureLinked(offline, plan, unknown)).rejects.toBe(unknown);
    expect(unreachable.sent()).toEqual(["GET /api/v2/users/auth0%7Ca1"]);
  });

  test("refuses a blocked unlink plan, sending nothing", async () => {
    const { client, sent } = setup([json(200, alice), json(200, noMatch)]);
    const preview = await previewUnlink(client, { primary: "auth0|a1", secondary: "github|7" });
    if (!preview.ok) throw new Error("expected a plan");
    expect(preview.value.blockers[0]?.message).toContain("github|7 is not linked to auth0|a1");
    await expect(executeUnlink(client, preview.value)).rejects.toBeInstanceOf(BlockedPlanError);
    // Reads only: the primary, and a search for where github|7 lives.
    expect(sent()).toEqual(["GET /api/v2/users/auth0%7Ca1", "GET /api/v2/users"]);
  });
});

describe("errors", () => {
  test("a 404 names the account and its id", async () => {
    const { client } = setup([
      json(404, { statusCode: 404, error: "Not Found", message: "The user does not exist." }),
      json(200, noMatch),
    ]);
    const error = await planLink(
      client,
      linkTarget("auth0|gone", { provider: "github", user_id: "7" }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as Error).message).toContain("(primary auth0|gone)");
    expect(describeError(error).hint).toContain("primary's id (auth0|gone)");
  });
});
