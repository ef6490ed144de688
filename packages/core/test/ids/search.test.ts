import { describe, expect, test } from "vitest";
import { checkUserSearch, identityQuery, searchLimits, searchPhrase } from "../../src/ids/search.ts";

describe("searchPhrase", () => {
  test("quotes a value so the query syntax reads it as it is", () => {
    expect(searchPhrase("jane@example.com")).toBe('"jane@example.com"');
    expect(searchPhrase('a "b" \\ c')).toBe('"a \\"b\\" \\\\ c"');
    expect(searchPhrase("samlp|acme|j+doe (x) AND y*")).toBe('"samlp|acme|j+doe (x) AND y*"');
    expect(searchPhrase(7700123)).toBe('"7700123"');
  });
});

describe("identityQuery", () => {
  test("names the identity's user_id and provider on identities", () => {
    expect(identityQuery({ provider: "samlp", user_id: 'acme|"x"' })).toBe(
      'identities.user_id:"acme|\\"x\\"" AND identities.provider:"samlp"',
    );
  });
});

describe("checkUserSearch", () => {
  test("accepts a query with Auth0's defaults and the last reachable page", () => {
    expect(checkUserSearch({ q: "email_verified:false" })).toEqual([]);
    expect(checkUserSearch({ q: "x:y", page: 9, perPage: 100 })).toEqual([]);
    expect(checkUserSearch({ q: "x:y", page: 19, perPage: 50, sort: "last_login:-1" })).toEqual([]);
  });

  test("refuses each fault with its field and the fix", () => {
    const paths = (search: Parameters<typeof checkUserSearch>[0]) =>
      checkUserSearch(search).map((issue) => `${issue.path}: ${issue.message}`);
    expect(paths({ q: "" })).toEqual(['q: q must be a query like email:"jane@example.com" — it is empty']);
    expect(paths({ q: "x".repeat(5000) })[0]).toMatch(/^q: q is 5000 characters long/);
    expect(paths({ q: "x:y", page: -1 })[0]).toMatch(/^page: page must be a whole number from 0/);
    expect(paths({ q: "x:y", perPage: 101 })[0]).toMatch(
      /^perPage: perPage must be a whole number from 1 to 100/,
    );
    expect(paths({ q: "x:y", perPage: 0 })[0]).toMatch(/^perPage/);
    expect(paths({ q: "x:y", page: 10, perPage: 100 })[0]).toContain(
      `search reaches only the first ${searchLimits.reachable} matches`,
    );
    expect(paths({ q: "x:y", sort: "created_at:up" })[0]).toMatch(/^sort: sort must be field:1/);
    expect(paths({ q: "x:y", fields: ["email", "a b"] })).toHaveLength(1);
  });
});
