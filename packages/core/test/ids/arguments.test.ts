import { describe, expect, test } from "vitest";
import {
  type LinkTarget,
  parseLinkArguments,
  parseLinkCall,
  parseUnlinkArguments,
  type UnlinkTarget,
} from "../../src/ids/arguments.ts";
import { alreadyParsed } from "../../src/ids/parsed.ts";
import { maxIdLength } from "../../src/ids/user-id.ts";
import type { Parsed } from "../../src/present/errors.ts";

function value<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

describe("parseLinkArguments", () => {
  const primary = "auth0|p1";
  test("splits a full-id secondary on its first |", () => {
    expect(parseLinkArguments({ primary, secondary: "samlp|acme|jdoe" })).toEqual({
      ok: true,
      value: { primary, notes: [], variant: "identity", body: { provider: "samlp", user_id: "acme|jdoe" } },
    });
  });

  test("keeps a connection_id given beside a full id", () => {
    const result = parseLinkArguments({
      primary,
      secondary: "auth0|abc",
      connection_id: "con_0123456789abcdef",
    });
    expect(result.ok && result.value.body).toEqual({
      provider: "auth0",
      user_id: "abc",
      connection_id: "con_0123456789abcdef",
    });
  });

  test("refuses a full id together with provider", () => {
    expect(parseLinkArguments({ primary, secondary: "github|1", provider: "github" })).toEqual({
      ok: false,
      issues: [
        { path: "secondary", message: "give the secondary either as a full id or as provider, not both" },
      ],
    });
  });

  test("names the secondary when it is not a full id", () => {
    const result = parseLinkArguments({ primary, secondary: "108" });
    expect(!result.ok && result.issues[0]?.message).toContain("secondary must be a full user id");
  });

  test("rejects a full id equal to the primary", () => {
    const result = parseLinkArguments({ primary: "auth0|1", secondary: "auth0|1" });
    expect(!result.ok && result.issues[0]?.path).toBe("secondary");
  });

  test("passes the body fields through parseLinkRequest", () => {
    expect(parseLinkArguments({ primary, link_with: "a.b.c" })).toEqual({
      ok: true,
      value: { primary, notes: [], variant: "token", body: { link_with: "a.b.c" } },
    });
    expect(parseLinkArguments({ primary, provider: "", user_id: "1" }).ok).toBe(false);
  });

  test("checks the primary as strictly as the secondary, and reports both at once", () => {
    const result = parseLinkArguments({ primary: "..", secondary: "gogle|1" });
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual(["primary", "secondary"]);
    expect(!result.ok && result.issues[0]?.message).toBe(
      'primary cannot be ".." — pass a user id like auth0|64f1…',
    );
  });

  test("says what to give when there is no secondary at all", () => {
    expect(parseLinkArguments({ primary })).toEqual({
      ok: false,
      issues: [
        {
          path: "secondary",
          message: expect.stringMatching(/^no secondary account given — pass its full id/),
        },
      ],
    });
  });

  test("carries the note of a full id given as user_id", () => {
    const target = value(parseLinkArguments({ primary, provider: "github", user_id: "github|7" }));
    expect(target.body).toEqual({ provider: "github", user_id: "7" });
    expect(target.notes).toEqual([{ path: "user_id", message: expect.stringContaining('sent "7"') }]);
  });
});

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
    [
      { primary: "auth0|a1", secondary: "github|7", connection_id: "con_0123456789abcdef" },
      "connection_id",
      "for linking only",
    ],
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

  test.each([
    [{ primary: "auth0|a1", secondary: "auth0|a1" }],
    [{ primary: "auth0|a1", provider: "auth0", user_id: "a1" }],
  ])("refuses the main identity of %j with the one wording of that rule", (args) => {
    expect(parseUnlinkArguments(args)).toEqual({
      ok: false,
      issues: [
        {
          path: "secondary",
          message:
            "auth0|a1 is the main identity of auth0|a1 — Auth0 cannot remove it; name a linked secondary",
        },
      ],
    });
  });

  // Unlink's user_id travels in the path (…/identities/{provider}/{user_id}), where a link body's would not.
  test.each([
    ["..", 'user_id cannot be ".." — pass a user id like auth0|64f1…'],
    [".", 'user_id cannot be "." — pass a user id like auth0|64f1…'],
    ["7%2F..", "user_id looks percent-encoded (7%2F..)"],
    [" 7", "user_id has spaces at its start or end"],
  ])("refuses the user_id %j, which would travel in the path", (userId, message) => {
    expect(parseUnlinkArguments({ primary: "auth0|a1", provider: "github", user_id: userId })).toEqual({
      ok: false,
      issues: [{ path: "user_id", message: expect.stringContaining(message) }],
    });
  });
});

describe("parsed targets", () => {
  const link = () => value(parseLinkArguments({ primary: "auth0|1", provider: "github", user_id: "7" }));
  const unlink = () => value(parseUnlinkArguments({ primary: "auth0|1", secondary: "github|7" }));

  test("are frozen, body and secondary included, and recognised by alreadyParsed", () => {
    for (const target of [link(), unlink(), value(parseLinkCall("auth0|1", { link_with: "a.b.c" }))]) {
      expect(Object.isFrozen(target)).toBe(true);
      for (const part of Object.values(target))
        if (typeof part === "object") expect(Object.isFrozen(part)).toBe(true);
      expect(alreadyParsed(target)).toEqual({ ok: true, value: target });
    }
  });

  test("a look-alike built by hand, or a copy of a parsed one, is not recognised", () => {
    const handBuilt: LinkTarget = {
      primary: "auth0|1",
      variant: "identity",
      body: { provider: "github", user_id: "7" },
      notes: [],
    };
    expect(handBuilt).toEqual(link());
    expect(alreadyParsed(handBuilt)).toBeUndefined();
    expect(alreadyParsed({ ...link() })).toBeUndefined();
    const copy: UnlinkTarget = structuredClone(unlink());
    expect(alreadyParsed(copy)).toBeUndefined();
  });

  test("a refusal is not a target", () => {
    const refused = parseUnlinkArguments({ primary: "auth0|1", secondary: "auth0|1" });
    expect(refused.ok).toBe(false);
    expect(alreadyParsed(refused)).toBeUndefined();
  });
});

describe("parseLinkCall", () => {
  test("reads client.link(primary, body): the primary as an id, the body as a link body", () => {
    expect(parseLinkCall("auth0|1", { provider: "github", user_id: 7 })).toEqual({
      ok: true,
      value: { primary: "auth0|1", variant: "identity", body: { provider: "github", user_id: 7 }, notes: [] },
    });
  });

  test("reports the primary and the body together", () => {
    const result = parseLinkCall("", { provider: "", user_id: "1" });
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual(["primary", "provider"]);
  });

  test("names a field the body should not hold instead of reading it as an argument", () => {
    const result = parseLinkCall("auth0|1", { secondary: "github|7" });
    expect(!result.ok && result.issues[0]).toEqual({
      path: "secondary",
      message: expect.stringContaining('"secondary" is not a field of this request'),
    });
  });

  test("refuses linking the primary into itself", () => {
    const result = parseLinkCall("github|7", { provider: "github", user_id: "7" });
    expect(!result.ok && result.issues).toEqual([
      { path: "secondary", message: "the secondary is the primary itself — pick the other account to link" },
    ]);
  });
});
