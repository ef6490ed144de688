import { describe, expect, test } from "vitest";
import { markCode, readMarker, sha256Hex, shortHash, unmarked } from "../../src/actions/marker.ts";

describe("idlink's marker line", () => {
  test("names the SHA-256 of the source; reading it back finds the hash, intact", async () => {
    const source = "exports.onExecutePostLogin = async () => {};\n";
    const { code, hash } = await markCode(source);
    expect(hash).toBe(await sha256Hex(source));
    expect(code.split("\n")[0]).toMatch(
      /^\/\/ idlink-action sha256:[0-9a-f]{64} — deployed by `idlink action deploy`/,
    );
    expect(code.endsWith(source)).toBe(true);
    expect(await readMarker(code)).toEqual({ hash, intact: true });
    expect(shortHash(hash)).toHaveLength(12);
  });

  test("code edited after the marker was written is not intact", async () => {
    const { code } = await markCode("exports.a = 1;");
    expect((await readMarker(code.replace("1", "2")))?.intact).toBe(false);
  });

  test("code without the marker (someone else's Action) has none; marking twice does not stack markers", async () => {
    expect(await readMarker("exports.onExecutePostLogin = async () => {};")).toBeUndefined();
    expect(await readMarker(undefined)).toBeUndefined();
    expect(await readMarker("// idlink-action sha256:nothex\nexports.a = 1;")).toBeUndefined();
    const once = await markCode("exports.a = 1;");
    const twice = await markCode(once.code);
    expect(twice).toEqual(once);
    expect(unmarked(once.code)).toBe("exports.a = 1;");
  });
});
