import { describe, expect, expectTypeOf, test } from "vitest";
import type { components } from "../../src/generated/management-api.ts";
import {
  IdentityLinkRequestSchema,
  type LinkUserIdentityRequestContent,
  normaliseIdentity,
  parseLinkRequest,
  TokenLinkRequestSchema,
} from "../../src/ids/rules.ts";
import { providers } from "../../src/ids/user-id.ts";
// The body of the curl sample on Auth0's "Link a user account" code-sample page, the seed of this project: all four
// fields, as empty strings, mixing both variants.
import seedPageBody from "../fixtures/seed-page-body.json" with { type: "json" };

describe("parseLinkRequest", () => {
  test("gives one clear issue per field for the seed page's body", () => {
    const result = parseLinkRequest(seedPageBody);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      {
        path: "link_with",
        message: "link_with cannot be combined with provider, user_id or connection_id — send one variant",
      },
      { path: "provider", message: expect.stringContaining("provider must not be empty") },
      { path: "user_id", message: expect.stringContaining("user_id must not be empty") },
      { path: "connection_id", message: expect.stringContaining("connection_id must not be empty") },
    ]);
  });

  test.each([
    [{ link_with: "a.b.c" }, "token"],
    [{ provider: "google-oauth2", user_id: "108" }, "identity"],
    [{ provider: "auth0", user_id: "abc", connection_id: "con_0123456789abcdef" }, "identity"],
    [{ provider: "github", user_id: 42 }, "identity"],
    [{ provider: "samlp", user_id: "acme|jdoe@acme.example" }, "identity"],
  ])("accepts %j as the %s variant", (body, variant) => {
    const result = parseLinkRequest(body);
    expect(result).toEqual({ ok: true, value: { variant, body, notes: [] } });
  });

  test.each([
    [null, "body", "must be a JSON object"],
    [[], "body", "must be a JSON object"],
    ["link_with", "body", "must be a JSON object"],
    [{}, "body", "the body is empty"],
    [{ link_with: "" }, "link_with", "link_with must not be empty"],
    [{ link_with: 5 }, "link_with", "link_with must be a string"],
    [{ link_with: "a.b.c", user_id: "1" }, "link_with", "cannot be combined"],
    [{ provider: "", user_id: "1" }, "provider", "provider must not be empty"],
    [{ provider: "gogle", user_id: "1" }, "provider", 'provider "gogle" is not an Auth0 identity provider'],
    [{ provider: "Google-OAuth2", user_id: "1" }, "provider", "— did you mean google-oauth2?"],
    [{ provider: "google", user_id: "1" }, "provider", "— did you mean google-oauth2 or google-apps?"],
    [{ provider: 7, user_id: "1" }, "provider", "provider must be a string"],
    [{ user_id: "1" }, "provider", "provider is required"],
    [{ provider: "github" }, "user_id", "user_id is required"],
    [{ provider: "github", user_id: "" }, "user_id", "user_id must not be empty"],
    [{ provider: "github", user_id: 1.5 }, "user_id", "whole number"],
    [{ provider: "github", user_id: true }, "user_id", "user_id must be a string or an integer"],
    [
      { provider: "auth0", user_id: "1", connection_id: "con_short" },
      "connection_id",
      "con_ followed by 16 letters or digits",
    ],
    [
      { provider: "auth0", user_id: "1", connection_id: 3 },
      "connection_id",
      "connection_id must be a string",
    ],
    [{ provider: "auth0", user_id: "1", extra: 1 }, "extra", '"extra" is not a field of this request'],
    [{ "": 1 }, "body", '"" is not a field of this request'],
    [JSON.parse('{"__proto__": {"link_with": "x"}}'), "__proto__", "is not a field"],
  ])("rejects %j naming %s", (body, path, message) => {
    const result = parseLinkRequest(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues.find((i) => i.path === path);
    expect(issue?.message).toContain(message);
  });

  test("rejects linking the primary into itself", () => {
    const result = parseLinkRequest({ provider: "auth0", user_id: "123" }, { primary: "auth0|123" });
    expect(result).toEqual({
      ok: false,
      issues: [
        { path: "secondary", message: expect.stringContaining("the secondary is the primary itself") },
      ],
    });
  });

  test("never echoes the link_with value", () => {
    const secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig";
    const result = parseLinkRequest({ link_with: secret, provider: "" });
    expect(JSON.stringify(result)).not.toContain(secret);
  });
});

describe("schemas and generated types", () => {
  type Generated = LinkUserIdentityRequestContent;
  type Token = components["schemas"]["LinkUserIdentityRequestContent"]["link_with"];

  test("the zod variants produce bodies of the generated request type", () => {
    const token = TokenLinkRequestSchema.parse({ link_with: "a.b.c" });
    const identity = IdentityLinkRequestSchema.parse({ provider: "github", user_id: "1" });
    expectTypeOf(token).toExtend<Generated>();
    expectTypeOf(identity).toExtend<Generated>();
    expect(identity.provider).toBe("github");
  });

  test("each field has the same type in zod and in the generated code", () => {
    type Identity = ReturnType<typeof IdentityLinkRequestSchema.parse>;
    type TokenBody = ReturnType<typeof TokenLinkRequestSchema.parse>;
    expectTypeOf<Identity["provider"]>().toEqualTypeOf<NonNullable<Generated["provider"]>>();
    expectTypeOf<Identity["user_id"]>().toEqualTypeOf<NonNullable<Generated["user_id"]>>();
    expectTypeOf<Identity["connection_id"]>().toEqualTypeOf<Generated["connection_id"]>();
    expectTypeOf<TokenBody["link_with"]>().toEqualTypeOf<NonNullable<Token>>();
    // Both ways: a generated body with the fields of one variant is a zod body.
    expectTypeOf<
      Required<Pick<Generated, "provider" | "user_id">> & Pick<Generated, "connection_id">
    >().toExtend<Identity>();
    expectTypeOf<Required<Pick<Generated, "link_with">>>().toExtend<TokenBody>();
  });

  test("the provider enum of the schema is the generated list", () => {
    for (const provider of providers) {
      expect(IdentityLinkRequestSchema.safeParse({ provider, user_id: "1" }).success).toBe(true);
    }
    expect(IdentityLinkRequestSchema.safeParse({ provider: "idlink-test-idp", user_id: "1" }).success).toBe(
      false,
    );
  });
});

describe("normaliseIdentity", () => {
  test("sends a full id given as user_id as its bare part, and says so", () => {
    expect(normaliseIdentity({ provider: "github", user_id: "github|7" })).toEqual({
      body: { provider: "github", user_id: "7" },
      notes: [
        {
          path: "user_id",
          message:
            'user_id was the full id; sent "7", the part after "github|" (Auth0 links the same account either way)',
        },
      ],
    });
  });

  test.each([
    [{ provider: "github", user_id: 7 }],
    [{ provider: "github", user_id: "7" }],
    [{ provider: "github", user_id: "auth0|7" }],
    [{ provider: "github", user_id: "github|" }],
    [{ provider: "samlp", user_id: "samlp|acme|jdoe" }],
  ] as const)("leaves %j as given, without a note", (body) => {
    expect(normaliseIdentity(body)).toEqual({ body, notes: [] });
  });
});
