import { describe, expect, test } from "vitest";
import { isQuoted, truncate } from "../../src/present/text.ts";

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

describe("truncate", () => {
  test("leaves a value of at most max characters as it is", () => {
    expect(truncate("a".repeat(40))).toBe("a".repeat(40));
    expect(truncate("abc", 3)).toBe("abc");
  });

  test("cuts a longer one to max characters and an ellipsis", () => {
    expect(truncate("a".repeat(41))).toBe(`${"a".repeat(40)}…`);
    expect(truncate("abcdef", 3)).toBe("abc…");
  });

  test("counts code points, so an emoji is never cut in half", () => {
    const emoji = "😀".repeat(5);
    expect(truncate(emoji, 3)).toBe("😀😀😀…");
    expect(truncate(`a${emoji}`, 2)).toBe("a😀…");
    expect(truncate(`a${emoji}`, 2)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
