import { describe, expect, test } from "vitest";
import { defaultSeed, generatedTenant, seedUsers } from "../src/index.ts";
import {
  adminToken,
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  call,
  carol,
  enc,
  frank,
  grace,
  identitiesPath,
  jane,
  janeSaml,
  useEmulator,
} from "./helpers.ts";

const { carolGoogle, dave, erin } = seedUsers;
// The seed, newest first (by created_at): the order Auth0 answers without `sort`.
const newestFirst: string[] = [
  carolGoogle,
  carol,
  grace,
  bobGithub,
  aliceGoogle,
  dave,
  janeSaml,
  alice,
  erin,
  bob,
  jane,
  frank,
];

const emulator = useEmulator();
const ids = (body: unknown) => (body as { user_id: string }[]).map((user) => user.user_id);
const search = async (query: string, scopes?: string[]) => {
  const em = emulator();
  const token = scopes ? await em.mintToken({ scopes }) : await adminToken(em);
  return call(em, "GET", `/api/v2/users${query === "" ? "" : `?${query}`}`, { token });
};

describe("list users", () => {
  test("answers every user as a bare array, newest first", async () => {
    const res = await search("");
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(newestFirst);
  });

  test("answers the envelope with include_totals, its keys in Auth0's order", async () => {
    const res = await search("include_totals=true&per_page=5&page=1");
    expect(res.status).toBe(200);
    expect(Object.keys(res.body as object)).toEqual(["start", "limit", "length", "users", "total"]);
    expect(res.body).toMatchObject({ start: 5, limit: 5, length: 5, total: 12 });
    expect(ids((res.body as { users: unknown }).users)).toEqual(newestFirst.slice(5, 10));
  });

  test("pages through the matches; past the last one, an empty page", async () => {
    expect(ids((await search("per_page=5&page=2")).body)).toEqual(newestFirst.slice(10));
    expect((await search("per_page=5&page=3")).body).toEqual([]);
    expect((await search("per_page=0&include_totals=true")).body).toEqual({
      start: 0,
      limit: 0,
      length: 0,
      users: [],
      total: 12,
    });
  });

  test("pages through the first 1000 matches, to the last page of 100", async () => {
    const res = await search("page=9&per_page=100&include_totals=true");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ start: 900, limit: 100, length: 0, total: 12 });
  });
});

describe("search users", () => {
  test.each([
    ['email:"bob.chen@example.com"', [bobGithub, bob]],
    ["email:BOB.CHEN@example.com", [bobGithub, bob]],
    ["identities.user_id:7700123", [frank]],
    ["identities.connection:github", [bobGithub, dave, frank]],
    ['identities.provider:"samlp"', [janeSaml]],
    ["email_verified:false", [carolGoogle, carol]],
    ["app_metadata.plan:pro", [alice]],
    ["app_metadata.roles:admin", [erin]],
    ["user_metadata.theme:dark", [alice]],
    ["logins_count:[100 TO *]", [bob, frank]],
    ["created_at:[2025-03 TO *]", [carolGoogle, carol, grace]],
    ["name:*walsh*", [erin]],
    ["user_id:google-oauth2*", [carolGoogle, aliceGoogle, grace].sort(byNewest)],
    ["email.domain:acme.example AND NOT identities.provider:samlp", [jane]],
    ['name:("Dave Kim" OR "Grace Hopper")', [grace, dave]],
  ])("q=%s", async (q, expected) => {
    const v3 = await search(`q=${enc(q)}&search_engine=v3`);
    expect(v3.status).toBe(200);
    expect(ids(v3.body)).toEqual(expected);
    // Without search_engine, the tenant's engine: v3 (observed in terraform-provider-auth0's recording).
    expect(ids((await search(`q=${enc(q)}`)).body)).toEqual(expected);
  });

  test("sorts by a field either way; a field Auth0 cannot sort by keeps the default order", async () => {
    const byLogins = ids((await search("sort=logins_count:-1&per_page=3")).body);
    expect(byLogins).toEqual([frank, bob, janeSaml]);
    const byName = (await search("sort=name:1&fields=name")).body as { name: string }[];
    expect(byName.map((u) => u.name)).toEqual(byName.map((u) => u.name).sort());
    expect(ids((await search("sort=created_at:1")).body)).toEqual([...newestFirst].reverse());
    expect(ids((await search("sort=cheesy_variable_names:1")).body)).toEqual(newestFirst);
    expect(ids((await search("sort=app_metadata.plan:1")).body)).toEqual(newestFirst);
  });

  test("selects fields", async () => {
    const only = await search(`q=${enc("user_id:auth0|*")}&fields=user_id,email&per_page=1`);
    expect(only.body).toEqual([{ user_id: "auth0|65b7c8d9e0f1a2b3c4d5e6f7", email: "carol@example.org" }]);
    const without = await search("fields=identities,email&include_fields=false&per_page=1");
    expect((without.body as object[])[0]).not.toHaveProperty("identities");
    expect((without.body as object[])[0]).not.toHaveProperty("email");
    expect((without.body as object[])[0]).toHaveProperty("user_id", carolGoogle);
  });

  test("shows IdP tokens only with read:user_idp_tokens", async () => {
    const q = `q=${enc(`user_id:"${aliceGoogle}"`)}`;
    const reader = await search(q, ["read:users"]);
    expect(ids(reader.body)).toEqual([aliceGoogle]);
    expect(JSON.stringify(reader.body)).not.toContain("emulator-only-idp");
    expect(JSON.stringify((await search(q)).body)).toContain("emulator-only-idp-access-token-google-alice");
  });

  test("sees a link and a metadata change at once", async () => {
    const em = emulator();
    const token = await adminToken(em);
    const linked = await call(em, "POST", identitiesPath(bob), {
      token,
      body: { provider: "github", user_id: "5812345" },
    });
    expect(linked.status).toBe(201);
    expect(ids((await search(`q=${enc("identities.user_id:5812345")}`)).body)).toEqual([bob]);
    expect((await search(`q=${enc(`user_id:"${bobGithub}"`)}`)).body).toEqual([]);
    await call(em, "PATCH", `/api/v2/users/${enc(grace)}`, {
      token,
      body: { app_metadata: { plan: "pro" } },
    });
    expect(ids((await search(`q=${enc("app_metadata.plan:pro")}`)).body)).toEqual([grace, alice]);
  });
});

describe("refusals", () => {
  const queryError = (detail: string, property: string, description: string) => ({
    statusCode: 400,
    error: "Bad Request",
    message: `Query validation error: '${detail}' on property ${property} (${description}).`,
    errorCode: "invalid_query_string",
  });
  const paging = {
    statusCode: 400,
    error: "Bad Request",
    message:
      "You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation",
    errorCode: "invalid_paging",
  };
  const perPage = "Number of results per page";
  const page = "Page index of the results to return. First page is 0";

  test.each([
    ["per_page=101", queryError("Value 101 is greater than maximum 100", "per_page", perPage)],
    ["per_page=50000000", queryError("Value 50000000 is greater than maximum 100", "per_page", perPage)],
    ["page=-1", queryError("Value -1 is less than minimum 0", "page", page)],
    ["page=two", queryError("Expected type integer but found type string", "page", page)],
    ["per_page=1.5", queryError("Expected type integer but found type number", "per_page", perPage)],
    [
      "include_totals=yes",
      queryError(
        "Expected type boolean but found type string",
        "include_totals",
        "Return results inside an object that contains the total result count (true) or as a direct array of results (false, default)",
      ),
    ],
    [
      "sort=created_at",
      queryError(
        "String does not match pattern ^(([a-zA-Z0-9_\\.]+))\\:(1|-1)$: created_at",
        "sort",
        "Field to sort by. Use field:order where order is 1 for ascending and -1 for descending. e.g. created_at:1",
      ),
    ],
    [
      "search_engine=v4",
      queryError('No enum match for: "v4"', "search_engine", "The version of the search engine"),
    ],
    [
      "per_page=5&limit=5&offset=0",
      {
        statusCode: 400,
        error: "Bad Request",
        message: "Query validation error: 'Additional properties not allowed: limit,offset'.",
        errorCode: "invalid_query_string",
      },
    ],
    ["page=10&per_page=100", paging],
    ["page=20", paging],
    ["page=33&per_page=30", paging],
    [
      "search_engine=v1&q=name%3Azelda",
      {
        statusCode: 400,
        error: "Bad Request",
        message: "You are not allowed to use search_engine=v1.",
        errorCode: "operation_not_supported",
      },
    ],
    [
      "search_engine=v2",
      {
        statusCode: 400,
        error: "Bad Request",
        message: "You are not allowed to use search_engine=v2. Use search_engine=v3 instead.",
        errorCode: "operation_not_supported",
      },
    ],
    [
      `q=${enc("for:the horde")}`,
      {
        statusCode: 400,
        error: "Bad Request",
        message: 'filter can not be used with unknown field "for"',
        errorCode: "invalid_query_string",
      },
    ],
  ])("%s", async (query, body) => {
    const res = await search(query);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(body);
  });

  test.each([
    ["name:*ab", "needs at least 3 characters"],
    ["user_metadata.theme:da*", "user_metadata fields cannot be searched with wildcards"],
    ['name:"open', "a quote is not closed"],
  ])("refuses q=%s", async (q, message) => {
    const res = await search(`q=${enc(q)}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      errorCode: "invalid_query_string",
      message: expect.stringContaining(message),
    });
  });

  test("needs read:users", async () => {
    const res = await search("", ["read:user_idp_tokens", "update:users"]);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: "Forbidden",
      message: "Insufficient scope, expected any of: read:users",
      errorCode: "insufficient_scope",
    });
    const anonymous = await call(emulator(), "GET", "/api/v2/users");
    expect(anonymous.status).toBe(401);
  });
});

function byNewest(a: string, b: string): number {
  return newestFirst.indexOf(a) - newestFirst.indexOf(b);
}

describe("a generated tenant", () => {
  const users = 20_000;
  const big = useEmulator({ generate: { users, seed: 5 } });

  test("answers the same matches, order and total as a scan of the generated users", async () => {
    const em = big();
    const token = await adminToken(em);
    // Independent of the emulator's store: the seed and the generator itself, user by user.
    const tenant = generatedTenant({ users, seed: 5 });
    const expected = [...defaultSeed().users, ...Array.from({ length: users }, (_, i) => tenant.at(i))]
      .filter((u) => u.identities.some((identity) => identity.connection === "acme-saml"))
      .sort((a, b) => Date.parse(String(b.created_at)) - Date.parse(String(a.created_at)))
      .map((u) => u.user_id);
    expect(expected.length).toBeGreaterThan(1000);
    const q = `q=${enc('identities.connection:"acme-saml"')}&include_totals=true&per_page=100`;
    const first = await call(em, "GET", `/api/v2/users?${q}&page=0`, { token });
    expect(first.body).toMatchObject({ start: 0, limit: 100, length: 100, total: expected.length });
    expect(ids((first.body as { users: unknown }).users)).toEqual(expected.slice(0, 100));
    const last = await call(em, "GET", `/api/v2/users?${q}&page=9`, { token });
    expect(ids((last.body as { users: unknown }).users)).toEqual(expected.slice(900, 1000));
    expect((await call(em, "GET", `/api/v2/users?${q}&page=10`, { token })).status).toBe(400);
  });
});
