import { describe, expect, test } from "vitest";
import { apiScopes, parseResourceServer, ResourceServers } from "../src/resource-servers.ts";

const managementAudience = "http://127.0.0.1:4000/api/v2/";
const context = {
  managementAudience,
  taken: (identifier: string) => identifier === "http://127.0.0.1:3000/taken",
  userExists: (id: string) => id === "auth0|alice" || id === "auth0|erin",
};
const api = {
  identifier: "http://127.0.0.1:3000/mcp",
  scopes: [{ value: "read:identities" }, { value: "link:identities" }],
};

describe("parseResourceServer", () => {
  test("fills Auth0's defaults", () => {
    expect(parseResourceServer(api, context)).toEqual({
      ok: true,
      value: {
        ...api,
        enforce_policies: false,
        token_dialect: "access_token",
        token_lifetime: 86_400,
        allow_offline_access: false,
        user_permissions: {},
      },
    });
  });

  test.each([
    [{ identifier: "idlink-mcp" }, 'identifier "idlink-mcp": not an absolute URI without a fragment'],
    [{ identifier: "http://127.0.0.1:3000/mcp#x" }, "not an absolute URI without a fragment"],
    [{ identifier: managementAudience }, "is the Management API's"],
    [{ identifier: "http://127.0.0.1:3000/taken" }, "an API with this identifier exists already"],
    [{ scopes: [{ value: "read identities" }] }, "scopes.0.value: must be one word"],
    [
      { third_party_scopes: ["delete:identities"] },
      "third_party_scopes: delete:identities is not among the API's scopes",
    ],
    [{ user_permissions: { "auth0|nobody": [] } }, "user_permissions.auth0|nobody: no user has this id"],
    [
      { user_permissions: { "auth0|erin": ["a:b", "c:d"] } },
      "a:b, c:d are not among the API's scopes — add them",
    ],
    [{ token_dialect: "rfc9068_profile" }, "token_dialect"],
  ])("refuses %j, naming the field", (change, issue) => {
    const result = parseResourceServer({ ...api, ...change }, context);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.join("\n")).toContain(issue);
  });
});

describe("apiScopes", () => {
  const parsed = parseResourceServer(
    {
      ...api,
      enforce_policies: true,
      allow_offline_access: true,
      third_party_scopes: ["read:identities"],
      user_permissions: {
        "auth0|alice": ["read:identities", "link:identities"],
        "auth0|erin": ["read:identities"],
      },
    },
    context,
  );
  if (!parsed.ok) throw new Error(parsed.issues.join("; "));
  const rbac = parsed.value;

  test.each([
    [{ thirdParty: false, userId: "auth0|alice" }, ["read:identities", "link:identities", "offline_access"]],
    [{ thirdParty: false, userId: "auth0|erin" }, ["read:identities", "offline_access"]],
    [{ thirdParty: false, userId: "auth0|bob" }, ["offline_access"]],
    [{ thirdParty: true, userId: "auth0|alice" }, ["read:identities", "offline_access"]],
  ])("%j may get %j", (options, scopes) => {
    expect(apiScopes(rbac, options)).toEqual(scopes);
  });

  test("without RBAC every scope of the API, and no offline_access unless allowed", () => {
    const plain = parseResourceServer(api, context);
    if (!plain.ok) throw new Error(plain.issues.join("; "));
    expect(apiScopes(plain.value, { thirdParty: false, userId: "auth0|bob" })).toEqual([
      "read:identities",
      "link:identities",
    ]);
    expect(apiScopes(plain.value, { thirdParty: true, userId: "auth0|bob" })).toEqual([]);
  });
});

describe("ResourceServers", () => {
  test("remembers consent per user, client and API, adding scopes, until reset", () => {
    const servers = new ResourceServers();
    servers.recordConsent("auth0|alice", "tpc_a", api.identifier, ["read:identities"]);
    expect(servers.consented("auth0|alice", "tpc_a", api.identifier, ["read:identities"])).toBe(true);
    expect(servers.consented("auth0|alice", "tpc_a", api.identifier, ["link:identities"])).toBe(false);
    expect(servers.consented("auth0|alice", "tpc_b", api.identifier, ["read:identities"])).toBe(false);
    expect(servers.consented("auth0|erin", "tpc_a", api.identifier, ["read:identities"])).toBe(false);
    servers.recordConsent("auth0|alice", "tpc_a", api.identifier, ["link:identities"]);
    expect(
      servers.consented("auth0|alice", "tpc_a", api.identifier, ["read:identities", "link:identities"]),
    ).toBe(true);
    servers.reset();
    expect(servers.consented("auth0|alice", "tpc_a", api.identifier, [])).toBe(false);
  });
});
