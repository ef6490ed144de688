import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describeRequest, linkPath, type PreviewRequest, toCurl, toFetch, unlinkPath } from "@idlink/core";
import { createEmulator, type Emulator } from "@idlink/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";

const run = promisify(execFile);
const alice = "auth0|64f1a2b3c4d5e6f708192a3b";
let emulator: Emulator;

beforeAll(async () => {
  emulator = await createEmulator({ rateLimit: false });
});
afterAll(() => emulator.stop());
beforeEach(() => emulator.state.reset());

function adminLink(body: Record<string, unknown>): PreviewRequest {
  return {
    method: "POST",
    origin: emulator.url,
    path: linkPath(alice),
    body,
    tokenVariable: "MANAGEMENT_API_TOKEN",
    secretFields: { link_with: "SECONDARY_ID_TOKEN" },
  };
}

describe("paths", () => {
  test("encode each id once", () => {
    expect(linkPath(alice)).toBe("/api/v2/users/auth0%7C64f1a2b3c4d5e6f708192a3b/identities");
    expect(unlinkPath("auth0|1", "samlp", "acme-saml|jdoe@acme.example")).toBe(
      "/api/v2/users/auth0%7C1/identities/samlp/acme-saml%7Cjdoe%40acme.example",
    );
  });
});

describe("the preview", () => {
  test("shows the token and link_with as placeholders, never their values", () => {
    const text = describeRequest(adminLink({ link_with: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" }));
    expect(text).toContain("authorization: Bearer <MANAGEMENT_API_TOKEN>");
    expect(text).toContain('"link_with": "<SECONDARY_ID_TOKEN>"');
    expect(text).not.toContain("eyJ");
  });

  test("keeps an empty link_with visible as the empty string it is", () => {
    expect(describeRequest(adminLink({ link_with: "", provider: "" }))).toContain('"link_with": ""');
  });

  test("snippets carry no secret value", () => {
    const request = adminLink({ link_with: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" });
    for (const snippet of [toCurl(request), toFetch(request)]) {
      expect(snippet).not.toContain("eyJ");
      expect(snippet).toContain("SECONDARY_ID_TOKEN");
      expect(snippet).toContain("MANAGEMENT_API_TOKEN");
    }
  });
});

describe("copied snippets work as pasted", () => {
  test("curl links with the identity variant, quoting a ' in the body", async () => {
    const token = await emulator.mintToken({ scopes: ["update:users"] });
    const ok = toCurl(adminLink({ provider: "google-oauth2", user_id: "108234567890123456789" }));
    const { stdout } = await run("bash", ["-c", `${ok} --silent --write-out '\\n%{http_code}'`], {
      env: { PATH: process.env.PATH, MANAGEMENT_API_TOKEN: token },
    });
    expect(stdout.trim().split("\n").at(-1)).toBe("201");
    expect(emulator.state.getUser(alice)?.identities).toHaveLength(2);

    const quoted = toCurl(adminLink({ provider: "github", user_id: "it's" }));
    const answer = await run("bash", ["-c", `${quoted} --silent`], {
      env: { PATH: process.env.PATH, MANAGEMENT_API_TOKEN: token },
    });
    expect(answer.stdout).toContain("Provided secondary account not found.");
  });

  test("curl links with link_with read from the shell", async () => {
    const { access_token } = await emulator.login(alice);
    const { id_token } = await emulator.login("google-oauth2|108234567890123456789");
    const snippet = toCurl({
      ...adminLink({ link_with: id_token }),
      tokenVariable: "PRIMARY_ACCESS_TOKEN",
    });
    const { stdout } = await run("bash", ["-c", `${snippet} --silent --write-out '\\n%{http_code}'`], {
      env: { PATH: process.env.PATH, PRIMARY_ACCESS_TOKEN: access_token, SECONDARY_ID_TOKEN: id_token },
    });
    expect(stdout.trim().split("\n").at(-1)).toBe("201");
  });

  test("fetch links with link_with from process.env", async () => {
    const { access_token } = await emulator.login(alice);
    const { id_token } = await emulator.login("google-oauth2|108234567890123456789");
    const snippet = toFetch({ ...adminLink({ link_with: id_token }), tokenVariable: "PRIMARY_ACCESS_TOKEN" });
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", snippet], {
      env: { PATH: process.env.PATH, PRIMARY_ACCESS_TOKEN: access_token, SECONDARY_ID_TOKEN: id_token },
    });
    expect(stdout).toMatch(/^201 /);
    expect(emulator.state.getUser(alice)?.identities).toHaveLength(2);
  });
});
