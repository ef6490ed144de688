import { describe, expect, test } from "vitest";
import { datePeriod, parseSearchQuery } from "../src/search-query.ts";
import type { User } from "../src/seed.ts";

const users: User[] = [
  {
    user_id: "auth0|aaa111",
    email: "Jane.Smith@Example.com",
    email_verified: true,
    name: "Jane Smith",
    nickname: "jane",
    created_at: "2024-12-31T23:30:00.000Z",
    last_login: "2025-12-31T10:00:00.000Z",
    logins_count: 120,
    identities: [
      {
        provider: "auth0",
        user_id: "aaa111",
        connection: "Username-Password-Authentication",
        isSocial: false,
      },
      { provider: "github", user_id: 7700123, connection: "github", isSocial: true },
    ],
    user_metadata: { display: { fontSize: 13, lang: "en" }, addresses: { cities: ["Paris", "Seattle"] } },
    app_metadata: { plan: "gold", roles: ["admin", "editor"], trial: false, empty: [] },
  },
  {
    user_id: "google-oauth2|1234",
    email: "john@corp.example",
    email_verified: false,
    name: "John Doe",
    nickname: "johnd",
    created_at: "2025-01-01T00:00:00.000Z",
    logins_count: 0,
    identities: [{ provider: "google-oauth2", user_id: "1234", connection: "google-oauth2", isSocial: true }],
    app_metadata: { plan: "silver", seats: 5 },
  },
  {
    user_id: "samlp|acme|ab",
    email: "ab@acme.example",
    name: "A B",
    created_at: "2023-06-15T12:00:00.000Z",
    identities: [{ provider: "samlp", user_id: "acme|ab", connection: "acme", isSocial: false }],
  },
];

function matching(q: string): string[] {
  const parsed = parseSearchQuery(q);
  if (!parsed.ok) throw new Error(`refused ${q}: ${parsed.issues.join("; ")}`);
  return users.filter((user) => parsed.value.matches(user)).map((user) => user.user_id);
}

const jane = "auth0|aaa111";
const john = "google-oauth2|1234";
const ab = "samlp|acme|ab";

describe("parseSearchQuery", () => {
  test.each([
    ["", [jane, john, ab]],
    ["*", [jane, john, ab]],
    ["*:*", [jane, john, ab]],
    ['email:"jane.smith@example.com"', [jane]],
    ["email:JOHN@corp.example", [john]],
    ["email.domain:example.com", [jane]],
    ['name:"jane smith"', [jane]],
    ["name:jane", []],
    ["name:*smith*", [jane]],
    ["name:j*", [jane, john]],
    ["email:*example*", [jane, john, ab]],
    ["user_id:auth0", []],
    ["user_id:auth0*", [jane]],
    ["user_id:samlp|acme|ab", [ab]],
    ["identities.user_id:7700123", [jane]],
    ["identities.provider:github", [jane]],
    ['identities.connection:"google-oauth2"', [john]],
    ["identities.isSocial:true", [jane, john]],
    ["email_verified:false", [john]],
    ['email_verified:"true"', [jane]],
    ["NOT _exists_:email_verified OR email_verified:false", [john, ab]],
    ["NOT _exists_:logins_count OR logins_count:0", [john, ab]],
    ["_exists_:user_metadata.display.lang", [jane]],
    ["_exists_:app_metadata.empty", []],
    ["user_metadata.display.fontSize:13", [jane]],
    ['user_metadata.addresses.cities:"Paris"', [jane]],
    ["user_metadata.addresses.cities:paris", []],
    ["app_metadata.roles:editor", [jane]],
    ["app_metadata.trial:false", [jane]],
    ["app_metadata.plan:gol*", [jane]],
    ["app_metadata.seats:[1 TO 10]", [john]],
    ["logins_count:[* TO 10}", [john]],
    ["logins_count:[100 TO *]", [jane]],
    ["logins_count:{0 TO 120}", []],
    ["logins_count:[0 TO 120]", [jane, john]],
    ["created_at:[2025 TO *]", [john]],
    ["created_at:{2024-12-31 TO *]", [john]],
    ["created_at:[* TO 2024-12-31]", [jane, ab]],
    ["created_at:[* TO 2024-12-31}", [ab]],
    ["created_at:2023-06", [ab]],
    ["last_login:[2025-12-01 TO 2025-12-31]", [jane]],
    ['name:("jane smith" OR "john doe")', [jane, john]],
    ["jane", [jane]],
    ["JOHND", [john]],
    // Unescaped, the space splits the value: name:John OR Doe, neither a whole value (hence the docs' advice).
    ["name:John Doe", []],
    ["name:John\\ Doe", [john]],
    ["email_verified:true AND app_metadata.plan:gold", [jane]],
    ["email_verified:true app_metadata.plan:silver", [jane, john]],
    ["app_metadata.plan:gold OR app_metadata.plan:silver AND email_verified:false", [jane, john]],
    ["(app_metadata.plan:gold OR app_metadata.plan:silver) AND email_verified:false", [john]],
    ["-identities.provider:github", [john, ab]],
    ["+_exists_:logins_count -logins_count:0", [jane]],
    ["name:j* && !nickname:jane", [john]],
    ["organization_id:org_1", []],
  ])("%s", (q, expected) => {
    expect(matching(q)).toEqual(expected);
  });

  test.each([
    ["for:the horde", 'filter can not be used with unknown field "for"'],
    ["connection:github", 'filter can not be used with unknown field "connection"'],
    ["constructor:x", 'filter can not be used with unknown field "constructor"'],
    ["name:*ab", "needs at least 3 characters"],
    ["name:*ab*", "needs at least 3 characters"],
    ["name:j?n", '"?" is not supported'],
    ["user_metadata.display.lang:e*", "user_metadata fields cannot be searched with wildcards"],
    ["user_metadata.display.fontSize:[1 TO 20]", "user_metadata fields cannot be searched with ranges"],
    ["created_at:[2020-13 TO *]", '"2020-13" is not a date'],
    ["created_at:yesterday", '"yesterday" is not a date'],
    ['name:"jane', "a quote is not closed"],
    ["(name:jane", "a parenthesis is not closed"],
    ["name:jane)", 'unexpected ")"'],
    ["name:jane AND", "a term is missing"],
    ["AND name:jane", "an operator has no term before it"],
    ["name:", "the field name has no value"],
    ["logins_count:[1 10]", 'a range needs "TO"'],
    ["logins_count:[1 TO 10", "a range is not closed"],
    ["[1 TO 10]", "a range needs a field"],
  ])("refuses %s", (q, issue) => {
    const parsed = parseSearchQuery(q);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.issues.join("; ")).toContain(issue);
  });

  test("reports every refusal of a query, not only the first", () => {
    const parsed = parseSearchQuery("for:x OR name:*ab");
    expect(parsed).toEqual({
      ok: false,
      issues: [
        'filter can not be used with unknown field "for"',
        expect.stringContaining("needs at least 3 characters"),
      ],
    });
  });
});

describe("datePeriod", () => {
  test.each([
    ["2020", "2020-01-01T00:00:00.000Z", "2021-01-01T00:00:00.000Z"],
    ["2020-02", "2020-02-01T00:00:00.000Z", "2020-03-01T00:00:00.000Z"],
    ["2020-02-29", "2020-02-29T00:00:00.000Z", "2020-03-01T00:00:00.000Z"],
    ["2020-02-29T10:15", "2020-02-29T10:15:00.000Z", "2020-02-29T10:16:00.000Z"],
    ["2020-02-29T10:15:30Z", "2020-02-29T10:15:30.000Z", "2020-02-29T10:15:31.000Z"],
    ["2020-02-29T10:15:30.250+01:00", "2020-02-29T09:15:30.250Z", "2020-02-29T09:15:30.251Z"],
  ])("%s is a period", (text, start, end) => {
    const period = datePeriod(text);
    expect(period && new Date(period.start).toISOString()).toBe(start);
    expect(period && new Date(period.end).toISOString()).toBe(end);
  });

  test.each(["2021-02-29", "2020-13", "20", "2020-1-1", "soon"])("%s is no date", (text) => {
    expect(datePeriod(text)).toBeUndefined();
  });
});
