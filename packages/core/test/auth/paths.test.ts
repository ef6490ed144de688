import { describe, expect, test } from "vitest";
import { expandHome } from "../../src/auth/paths.ts";

describe("expandHome", () => {
  test.each([
    ["~", "/home/ada", "/home/ada"],
    ["~/keys/k.pem", "/home/ada", "/home/ada/keys/k.pem"],
    ["~/keys/k.pem", "/home/ada/", "/home/ada/keys/k.pem"],
    ["~/keys/k.pem", "/home/ada//", "/home/ada/keys/k.pem"],
  ])("reads %s under the home %s as %s", (path, home, expanded) => {
    expect(expandHome(path, home)).toBe(expanded);
  });

  test.each([["~ada/k.pem"], ["./~/k.pem"], ["/etc/~/k.pem"], ["k.pem"], ["~k.pem"]])(
    "leaves %s as written",
    (path) => {
      expect(expandHome(path, "/home/ada")).toBe(path);
    },
  );

  test("leaves everything as written when the home is unknown", () => {
    expect(expandHome("~/k.pem", undefined)).toBe("~/k.pem");
    expect(expandHome("~", "")).toBe("~");
  });
});
