import { describe, expect, test } from "vitest";
import { echo, isQuoted, mayBeSecret, notShown } from "../../src/present/text.ts";

describe("isQuoted", () => {
  test.each([`'x'`, `"x"`, "‘x’", "“x”", "`x`", `"`.repeat(2), `'multi\nline'`])(
    "sees quotes around %j",
    (value) => {
      expect(isQuoted(value)).toBe(true);
    },
  );

  test.each(["x", `'`, `"`, `o'brien`, `'leading`, `trailing"`, ""])("sees none around %j", (value) => {
    expect(isQuoted(value)).toBe(false);
  });
});

describe("echo", () => {
  test("leaves a value of at most max characters as it is", () => {
    expect(echo("a".repeat(40))).toBe("a".repeat(40));
    expect(echo("abc", 3)).toBe("abc");
  });

  test("cuts a longer one to max characters and an ellipsis", () => {
    expect(echo("a".repeat(41))).toBe(`${"a".repeat(40)}…`);
    expect(echo("abcdef", 3)).toBe("abc…");
  });

  test("counts code points, so an emoji is never cut in half", () => {
    const emoji = "😀".repeat(5);
    expect(echo(emoji, 3)).toBe("😀😀😀…");
    expect(echo(`a${emoji}`, 2)).toBe("a😀…");
    expect(echo(`a${emoji}`, 2)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe("mayBeSecret, and echo never showing one", () => {
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHwxIn0.c2lnbmF0dXJl";
  test.each([
    ["a JWT", jwt],
    ["a JWT inside text", `id ${jwt} here`],
    ["an Auth0 client secret", "Xk3vQ9pL2mN8rT5wY7zA1bC4dE6fG0hJ_-sUuVvWwXxYyZz0123456789abcdEFGH"],
    ["a hex key", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    ["a PEM block", "-----BEGIN PRIVATE KEY-----\nMIIE…"],
    ["a Bearer header", "Bearer abc.def"],
  ])("takes %s for a secret, and echo shows it as not shown", (_, value) => {
    expect(mayBeSecret(value)).toBe(true);
    expect(echo(value, 200)).toBe(notShown);
  });

  test.each([
    ["a user id", "auth0|64f1a2b3c4d5e6f708192a3b"],
    ["a Google id", "google-oauth2|108234567890123456789"],
    ["an enterprise id", "samlp|acme-corp|jane.doe@acme.example"],
    ["a long tenant host", "acme-production-2024-eu-tenant-01.eu.auth0.com"],
    ["a provider name", "google-oauth2"],
    ["a sentence", "provider must not be empty"],
    ["a path", "/tmp/idlink-cli-N640vv/open-allowed.pem"],
  ])("does not take %s for a secret", (_, value) => {
    expect(mayBeSecret(value)).toBe(false);
    expect(echo(value, 200)).toBe(value);
  });
});
