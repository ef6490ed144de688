import { execFileSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import {
  describeRequest,
  linkPath,
  type PreviewRequest,
  pathTemplate,
  toCurl,
  toFetch,
  unlinkPath,
} from "../../src/present/request-snippets.ts";

const idToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJnaXRodWJ8NyJ9.c2lnbmF0dXJl";

const link: PreviewRequest = {
  method: "POST",
  origin: "https://tenant.eu.auth0.com",
  path: linkPath("auth0|1"),
  body: { link_with: idToken },
  tokenVariable: "MANAGEMENT_API_TOKEN",
  secretFields: { link_with: "SECONDARY_ID_TOKEN" },
};

const unlink: PreviewRequest = {
  method: "DELETE",
  origin: "https://tenant.eu.auth0.com",
  path: unlinkPath("auth0|1", "samlp", "acme|o'brien"),
  tokenVariable: "MANAGEMENT_API_TOKEN",
};

describe("paths", () => {
  test("encode each segment once", () => {
    expect(pathTemplate).toBe("/api/v2/users/{id}/identities");
    expect(linkPath("auth0|1")).toBe("/api/v2/users/auth0%7C1/identities");
    expect(unlinkPath("auth0|1", "samlp", "acme|jdoe@acme.example")).toBe(
      "/api/v2/users/auth0%7C1/identities/samlp/acme%7Cjdoe%40acme.example",
    );
    expect(linkPath("../x")).toBe("/api/v2/users/..%2Fx/identities");
  });
});

describe("describeRequest", () => {
  test("shows method, URL, headers and body, a secret as the variable holding it", () => {
    expect(describeRequest(link)).toBe(
      [
        "POST https://tenant.eu.auth0.com/api/v2/users/auth0%7C1/identities",
        "authorization: Bearer <MANAGEMENT_API_TOKEN>",
        "content-type: application/json",
        "",
        '{\n  "link_with": "<SECONDARY_ID_TOKEN>"\n}',
      ].join("\n"),
    );
  });

  test("a request without a body has no content-type", () => {
    expect(describeRequest(unlink).split("\n")).toHaveLength(2);
  });

  test("an empty secret field is shown as it is, and other fields never hidden", () => {
    const text = describeRequest({
      ...link,
      body: { link_with: "", provider: "github" },
    });
    expect(text).toContain('"link_with": ""');
    expect(text).toContain('"provider": "github"');
  });
});

describe("toCurl", () => {
  test("reads the token and the secret from the shell, never writing them", () => {
    const curl = toCurl(link);
    expect(curl).not.toContain(idToken);
    expect(curl).toBe(
      [
        "curl --request POST",
        "  --url 'https://tenant.eu.auth0.com/api/v2/users/auth0%7C1/identities'",
        '  --header "authorization: Bearer $MANAGEMENT_API_TOKEN"',
        "  --header 'content-type: application/json'",
        `  --data '{"link_with":"'"$SECONDARY_ID_TOKEN"'"}'`,
      ].join(" \\\n"),
    );
  });

  test("works as pasted in a POSIX shell: the body reaches curl as JSON with the secret spliced in", () => {
    const data = toCurl(link).split("--data ")[1] ?? "";
    const body = execFileSync("sh", ["-c", `printf %s ${data}`], {
      env: { SECONDARY_ID_TOKEN: "the-token" },
      encoding: "utf8",
    });
    expect(JSON.parse(body)).toEqual({ link_with: "the-token" });
  });

  test("quotes a single quote in the URL for the shell", () => {
    const url =
      toCurl(unlink)
        .split("\n")[1]
        ?.trim()
        .replace(/^--url /, "")
        .replace(/ \\$/, "") ?? "";
    expect(execFileSync("sh", ["-c", `printf %s ${url}`], { encoding: "utf8" })).toBe(
      `https://tenant.eu.auth0.com${unlink.path}`,
    );
  });
});

describe("toFetch", () => {
  test("reads the token and the secret from process.env", () => {
    const code = toFetch(link);
    expect(code).not.toContain(idToken);
    expect(code).toContain(`authorization: \`Bearer \${process.env.MANAGEMENT_API_TOKEN}\`,`);
    expect(code).toContain('"link_with": process.env.SECONDARY_ID_TOKEN');
    expect(code).toContain('method: "POST",');
  });

  test("is JavaScript that sends the request it shows", async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const fakeFetch = async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return { status: 200, json: async () => ({}) };
    };
    const run = new Function("fetch", "process", "console", `return (async () => { ${toFetch(link)} })();`);
    await run(
      fakeFetch,
      { env: { MANAGEMENT_API_TOKEN: "m-token", SECONDARY_ID_TOKEN: "s-token" } },
      { log: () => {} },
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe("https://tenant.eu.auth0.com/api/v2/users/auth0%7C1/identities");
    const init: RequestInit = sent[0]?.init ?? {};
    expect((init.headers as Record<string, string>).authorization).toBe("Bearer m-token");
    expect(JSON.parse(init.body as string)).toEqual({ link_with: "s-token" });
  });

  test("a request without a body sends none", () => {
    const code = toFetch(unlink);
    expect(code).not.toContain("body:");
    expect(code).not.toContain("content-type");
  });
});
