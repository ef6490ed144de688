import { describe, expect, test } from "vitest";
import {
  BlockedPlanError,
  createManagementClient,
  describeError,
  executeLink,
  executeUnlink,
  IdlinkError,
  ManagementApiError,
  maxIdLength,
  NetworkError,
  parseUnlinkArguments,
  planLink,
  prepareLink,
  prepareUnlink,
  previewUnlink,
  redactText,
  resolveCredentials,
  ValidationError,
} from "../src/index.ts";
import { createRecordingFetch, json, networkError, type Reply } from "./fetch-recorder.ts";

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

function setup(replies: Reply[], token = management) {
  const recorder = createRecordingFetch(replies);
  const client = createManagementClient({ domain: "t.auth0.com", token, fetch: recorder.fetch });
  return { client, sent: () => recorder.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`) };
}

describe("parseUnlinkArguments", () => {
  test.each([
    [
      { primary: "auth0|a1", secondary: "github|7" },
      { provider: "github", user_id: "7" },
    ],
    [
      { primary: "auth0|a1", provider: "github", user_id: 7 },
      { provider: "github", user_id: "7" },
    ],
    [
      { primary: "auth0|a1", secondary: "samlp|conn|x" },
      { provider: "samlp", user_id: "conn|x" },
    ],
  ])("takes %j", (args, secondary) => {
    expect(parseUnlinkArguments(args)).toEqual({ ok: true, value: { primary: "auth0|a1", secondary } });
  });

  test.each([
    [{ primary: "auth0|", secondary: "github|7" }, "primary", "must be a full user id"],
    [{ primary: "github", secondary: "github|7" }, "primary", "must be a full user id"],
    [{ primary: "auth0|a1" }, "secondary", "no identity given"],
    [{ primary: "auth0|a1", secondary: "auth0|a1" }, "secondary", "main identity"],
    [{ primary: "auth0|a1", secondary: "github|7", provider: "github" }, "secondary", "not both"],
    [{ primary: "auth0|a1", provider: "nope", user_id: "7" }, "provider", "not an Auth0 identity provider"],
    [{ primary: "auth0|a1", provider: "github" }, "user_id", "required"],
    [{ primary: "auth0|a1", secondary: "github|7", link_with: "x" }, "link_with", "for linking only"],
    [{ primary: `auth0|${"x".repeat(maxIdLength)}`, secondary: "github|7" }, "primary", "at most 512"],
  ])("refuses %j, naming %s", (args, path, message) => {
    const result = parseUnlinkArguments(args);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toContainEqual({ path, message: expect.stringContaining(message) });
  });

  test("echoes a long bad value cut short", () => {
    const result = parseUnlinkArguments({ primary: `nope|${"y".repeat(5000)}`, secondary: "github|7" });
    expect(!result.ok && JSON.stringify(result.issues).length).toBeLessThan(300);
  });
});

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

describe("execute", () => {
  test("refuses a blocked plan with a typed error, sending nothing", async () => {
    const { client, sent } = setup([
      json(200, linked),
      json(404, { statusCode: 404, message: "The user does not exist." }),
    ]);
    const plan = await planLink(client, "auth0|a1", { provider: "github", user_id: "7" });
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
    const plan = await planLink(client, "auth0|a1", { provider: "github", user_id: "7" });
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
    const plan = await planLink(client, "auth0|a1", { provider: "github", user_id: "7" });
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

describe("errors", () => {
  test("a 404 names the account and its id", async () => {
    const { client } = setup([
      json(404, { statusCode: 404, error: "Not Found", message: "The user does not exist." }),
    ]);
    const error = await planLink(client, "auth0|gone", { provider: "github", user_id: "7" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as Error).message).toContain("(primary auth0|gone)");
    expect(describeError(error).hint).toContain("primary's id (auth0|gone)");
  });

  test("a network error keeps its operation and cause", async () => {
    const recorder = createRecordingFetch(Array.from({ length: 3 }, () => networkError("ECONNREFUSED")));
    const client = createManagementClient({
      domain: "t.auth0.com",
      token: management,
      fetch: recorder.fetch,
      retry: { maxRetries: 1 },
    });
    const error = await client.getUser("auth0|a1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ operation: "Get user", cause: expect.any(TypeError) });
  });

  test("redaction keeps Auth0's own words readable", () => {
    expect(redactText("User to be acted on does not match subject in bearer token.")).toBe(
      "User to be acted on does not match subject in bearer token.",
    );
    expect(redactText("Authorization: Bearer 9f8e7d6c5b4a")).toBe("Authorization: Bearer [redacted]");
  });
});

describe("resolveCredentials", () => {
  const read = (value: string) => async () => value;

  test.each([
    [{ env: { AUTH0_TOKEN: "t" } }, { source: "AUTH0_TOKEN", token: "t" }],
    [
      { env: { AUTH0_CLIENT_ID: "c", AUTH0_CLIENT_SECRET: "s" } },
      { source: "client c", clientCredentials: { clientId: "c", clientSecret: "s" } },
    ],
    [
      { env: { AUTH0_TOKEN: "t" }, file: { name: "--token-file", read: read(" f \n") } },
      { source: "--token-file", token: "f" },
    ],
  ])("resolves %j", async (sources, expected) => {
    expect(await resolveCredentials(sources)).toEqual(expected);
  });

  test.each([
    [{ env: { AUTH0_TOKEN: "" } }, "AUTH0_TOKEN", "is set but empty"],
    [{ env: { AUTH0_CLIENT_ID: "c" } }, "AUTH0_CLIENT_SECRET", "without a way to authenticate"],
    [{ env: { AUTH0_TOKEN: "t", AUTH0_CLIENT_ID: "c" } }, "AUTH0_TOKEN", "keep one way"],
    [{ env: {} }, "AUTH0_TOKEN", "no Auth0 credentials"],
    [{ env: {}, stdin: { name: "--token-stdin", read: read("  ") } }, "--token-stdin", "empty token"],
  ])("refuses %j, naming %s", async (sources, path, message) => {
    const error = await resolveCredentials(sources).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toContainEqual({
      path,
      message: expect.stringContaining(message),
    });
  });
});
