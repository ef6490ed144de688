import { describe, expect, test } from "vitest";
import { userIdentityProviderEnumValues } from "../../src/generated/management-api.ts";
import {
  checkIdText,
  checkNotMainIdentity,
  checkNotSelfLink,
  checkUserId,
  fullUserId,
  isProvider,
  mainIdentityIssue,
  maxIdLength,
  parseUserId,
  providers,
  requireUserId,
  unknownProviderHint,
} from "../../src/ids/user-id.ts";
import { ValidationError } from "../../src/present/errors.ts";

describe("parseUserId", () => {
  test.each([
    ["auth0|64f1a2b3c4d5e6f708192a3b", { provider: "auth0", user_id: "64f1a2b3c4d5e6f708192a3b" }],
    ["samlp|my-conn|abc", { provider: "samlp", user_id: "my-conn|abc" }],
    ["google-oauth2|108", { provider: "google-oauth2", user_id: "108" }],
    ["email|ada@example.com", { provider: "email", user_id: "ada@example.com" }],
  ])("splits %s on its first |", (id, value) => {
    expect(parseUserId(id)).toEqual({ ok: true, value });
  });

  test("names the field it was given, secondary by default", () => {
    expect(parseUserId("108")).toMatchObject({ ok: false, issues: [{ path: "secondary" }] });
    expect(parseUserId("108", "primary")).toMatchObject({ ok: false, issues: [{ path: "primary" }] });
  });

  test.each([
    [undefined, "primary must be a user id string like auth0|64f1…"],
    [42, "primary must be a user id string like auth0|64f1…"],
    ["auth0|", "primary must be a full user id, provider|id"],
    ["|64f1", "primary must be a full user id, provider|id"],
    ["..", 'primary cannot be ".."'],
  ])("refuses %j: %s", (id, message) => {
    expect(parseUserId(id, "primary")).toEqual({
      ok: false,
      issues: [{ path: "primary", message: expect.stringContaining(message) }],
    });
  });
});

describe("parseUserId, with ids as people paste them", () => {
  test.each([
    ["'auth0|64f1a2b3c4d5e6f708192a3b'", "is wrapped in quotes — pass the id without them"],
    ['"google-oauth2|108"', "is wrapped in quotes"],
    ["‘auth0|1’", "is wrapped in quotes"],
    ["alice@example.com", "is an email address — pass the user's id, provider|id"],
    ["Auth0|64f1", 'starts with "Auth0", which is not an Auth0 identity provider — did you mean auth0|64f1?'],
    ["google|108", "— did you mean google-oauth2|108 or google-apps|108?"],
    ["gogle|108", "— e.g. auth0, google-oauth2, github, samlp"],
    ["64f1a2b3c4d5e6f708192a3b", "must be a full user id, provider|id"],
  ])("%s: %s", (id, message) => {
    const parsed = parseUserId(id, "primary");
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues).toEqual([
      { path: "primary", message: expect.stringContaining(message) },
    ]);
  });

  test("an id with a quote inside, or an email after the provider, is still an id", () => {
    expect(parseUserId("auth0|o'brien")).toMatchObject({ ok: true });
    expect(parseUserId("email|ada@example.com")).toMatchObject({ ok: true, value: { provider: "email" } });
  });
});

describe("checkIdText", () => {
  test.each([
    ["", "user must not be empty — pass a user id like auth0|64f1…"],
    [" auth0|1", "user has spaces at its start or end — pass the user id exactly"],
    ["auth0|1\t", "user has spaces at its start or end — pass the user id exactly"],
    [".", 'user cannot be "." — pass a user id like auth0|64f1…'],
    ["..", 'user cannot be ".." — pass a user id like auth0|64f1…'],
    [
      "auth0%7C1",
      "user looks percent-encoded (auth0%7C1) — pass the raw id (auth0|…, not auth0%7C…); idlink encodes it once",
    ],
    ["auth0|a\u0000b", "user contains control characters — remove them"],
    [`auth0|${"x".repeat(maxIdLength)}`, `user is ${maxIdLength + 6} characters long`],
  ])("refuses %j: %s", (id, message) => {
    expect(checkIdText(id, "user")).toEqual([{ path: "user", message: expect.stringContaining(message) }]);
  });

  test("takes any exact text up to the bound, bars, dots and percent signs alone included", () => {
    for (const id of ["auth0|1", "a.b", "...", "50%", "x".repeat(maxIdLength), "ünïcødé|1"]) {
      expect(checkIdText(id, "user")).toEqual([]);
    }
  });

  test("cuts a long value short when it echoes it", () => {
    const [issue] = checkIdText(`auth0|${"%41".repeat(100)}`, "user");
    expect(issue?.message.length).toBeLessThan(200);
    expect(issue?.message).toContain("…");
  });
});

describe("checkUserId and requireUserId", () => {
  test("checkUserId answers the issues of parseUserId, none for a good id", () => {
    expect(checkUserId("auth0|1")).toEqual([]);
    expect(checkUserId("108")).toEqual([
      { path: "primary", message: expect.stringContaining("full user id") },
    ]);
  });

  test("requireUserId answers the parts, or throws a ValidationError naming the field", () => {
    expect(requireUserId("github|7", "user")).toEqual({ provider: "github", user_id: "7" });
    expect(() => requireUserId("github", "user")).toThrow(ValidationError);
    expect(() => requireUserId("github", "user")).toThrow(/^Invalid user: user must be a full user id/);
  });
});

describe("the identity rules", () => {
  test("fullUserId joins provider and user_id with a bar", () => {
    expect(fullUserId({ provider: "github", user_id: 7 })).toBe("github|7");
    expect(fullUserId({ provider: "samlp", user_id: "conn|x" })).toBe("samlp|conn|x");
  });

  test("the main identity has one wording", () => {
    expect(mainIdentityIssue("auth0|1", "auth0|1")).toEqual({
      path: "secondary",
      message: "auth0|1 is the main identity of auth0|1 — Auth0 cannot remove it; name a linked secondary",
    });
    expect(checkNotMainIdentity("auth0|1", { provider: "auth0", user_id: "1" })).toEqual([
      mainIdentityIssue("auth0|1", "auth0|1"),
    ]);
    expect(checkNotMainIdentity("auth0|1", { provider: "github", user_id: "1" })).toEqual([]);
  });

  test("a secondary equal to the primary is refused", () => {
    expect(checkNotSelfLink("github|7", { provider: "github", user_id: 7 })).toEqual([
      { path: "secondary", message: "the secondary is the primary itself — pick the other account to link" },
    ]);
    expect(checkNotSelfLink("github|7", { provider: "github", user_id: "8" })).toEqual([]);
  });
});

describe("providers", () => {
  test("the provider list comes from the generated enum", () => {
    expect(providers).toContain("google-oauth2");
    expect(providers).toContain("samlp");
    expect(new Set(providers).size).toBe(providers.length);
    expect(providers).toEqual(userIdentityProviderEnumValues);
  });

  test("isProvider knows exactly the listed ones, case and all", () => {
    expect(isProvider("github")).toBe(true);
    expect(isProvider("GitHub")).toBe(false);
    expect(isProvider(undefined)).toBe(false);
  });

  test.each([
    ["Auth0", "", "did you mean auth0?"],
    ["google", "|108", "did you mean google-oauth2|108 or google-apps|108?"],
    ["gogle", "", "e.g. auth0, google-oauth2, github, samlp"],
  ])("unknownProviderHint(%j, %j): %s", (typed, rest, hint) => {
    expect(unknownProviderHint(typed, rest)).toBe(hint);
  });
});
