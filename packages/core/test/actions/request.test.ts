import { describe, expect, test } from "vitest";
import { checkSecrets, linkActionDefaults, parseActionDeployInput } from "../../src/actions/request.ts";
import { secrets } from "./fixtures.ts";

const code = "exports.onExecutePostLogin = async (event, api) => {};";
const paths = (result: ReturnType<typeof parseActionDeployInput>) =>
  result.ok ? [] : result.issues.map((i) => i.path);

describe("parseActionDeployInput", () => {
  test("takes idlink's defaults: name, post-login v3, node22, the link Action's secrets", () => {
    const result = parseActionDeployInput({ code, secrets });
    expect(result.ok && result.value).toMatchObject({
      name: "idlink-account-linking",
      trigger: { id: "post-login", version: "v3" },
      runtime: "node22",
      declaration: linkActionDefaults.secrets,
      warnings: [],
    });
    expect(Object.isFrozen(result.ok && result.value)).toBe(true);
  });

  test("a missing secret is named with the face's fix; the value of none is ever echoed", () => {
    const { LINK_PAGE_URL: _, ...rest } = secrets;
    const result = parseActionDeployInput(
      { code, secrets: { ...rest, SESSION_TOKEN_SECRET: '"quoted-secret-value-0123456789"' } },
      { secretHint: (name) => `set IDLINK_ACTION_SECRET_${name}` },
    );
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    expect(issues).toContainEqual({
      path: "secrets.LINK_PAGE_URL",
      message:
        "secret LINK_PAGE_URL is missing: the Action cannot run without it — set IDLINK_ACTION_SECRET_LINK_PAGE_URL",
    });
    expect(issues.map((i) => i.message).join(" ")).toContain("SESSION_TOKEN_SECRET is wrapped in quotes");
    expect(JSON.stringify(issues)).not.toContain("quoted-secret-value");
  });

  test("secrets the Action does not read, values over 4096 characters or padded with spaces are refused", () => {
    expect(paths(parseActionDeployInput({ code, secrets: { ...secrets, API_KEY: "x" } }))).toEqual([
      "secrets.API_KEY",
    ]);
    expect(
      paths(parseActionDeployInput({ code, secrets: { ...secrets, CONNECTIONS: "x".repeat(4097) } })),
    ).toEqual(["secrets.CONNECTIONS"]);
    expect(paths(parseActionDeployInput({ code, secrets: { ...secrets, SKIP_DAYS: " 3" } }))).toEqual([
      "secrets.SKIP_DAYS",
    ]);
  });

  test("an optional secret given empty is left out", () => {
    const result = parseActionDeployInput({ code, secrets: { ...secrets, CONNECTIONS: "" } });
    expect(result.ok && Object.keys(result.value.secrets)).not.toContain("CONNECTIONS");
  });

  test("code that does not compile is refused before anything is sent, with the engine's reason", () => {
    const result = parseActionDeployInput({
      code: "exports.onExecutePostLogin = async (event, api) => {",
      secrets,
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.issues[0]?.message).toMatch(
      /^the Action's code does not compile \(.+\) — Auth0's build would fail/,
    );
    expect(paths(parseActionDeployInput({ code: "  ", secrets }))).toEqual(["code"]);
  });

  test("a bad name or runtime is named; code over Auth0's advised 100 kB is a warning", () => {
    expect(paths(parseActionDeployInput({ code, secrets, name: " padded" }))).toEqual(["name"]);
    expect(paths(parseActionDeployInput({ code, secrets, runtime: "python3" }))).toEqual(["runtime"]);
    const big = parseActionDeployInput({ code: `${code}\n//${"x".repeat(110 * 1024)}`, secrets });
    expect(big.ok && big.value.warnings[0]).toMatch(/^the code is 110 kB; Auth0 advises at most 100 kB/);
  });

  test("checkSecrets with any declaration", () => {
    expect(checkSecrets({ A: "1" }, { required: ["A"], optional: [] })).toEqual([]);
    expect(checkSecrets({}, { required: ["A"], optional: [] })[0]?.message).toBe(
      "secret A is missing: the Action cannot run without it — give A a value",
    );
  });
});
