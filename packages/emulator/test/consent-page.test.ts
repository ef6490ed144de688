import { describe, expect, test } from "vitest";
import { consentLines, consentPage } from "../src/consent-page.ts";

describe("consentLines", () => {
  test.each([
    [["read:messages", "write:messages"], ["Messages: read and write your messages"]],
    [["read:identities", "link:identities", "offline_access"], ["Identities: read and link your identities"]],
    [
      ["read:posts", "write:posts", "delete:posts", "read:users"],
      ["Posts: read, write and delete your posts", "Users: read your users"],
    ],
    [
      ["admin", "read:posts"],
      ["Posts: read your posts", "admin"],
    ],
    [[], []],
  ])("%j → %j", (scopes, lines) => {
    expect(consentLines(scopes)).toEqual(lines);
  });
});

describe("consentPage", () => {
  test("names the application, the user and the tenant, escapes them, and posts accept or deny to itself", () => {
    const html = consentPage({
      clientName: "<b>Claude</b>",
      userName: "Alice Martin",
      tenantName: "idlink-emulator",
      apiName: "idlink MCP server",
      scopes: ["read:identities"],
      state: "s/1",
    });
    expect(html).toContain("<h1>Authorize App</h1>");
    expect(html).toContain("<p>Hi Alice Martin,</p>");
    expect(html).toContain(
      "<strong>&lt;b&gt;Claude&lt;/b&gt;</strong> is requesting access to your idlink-emulator account.",
    );
    expect(html).toContain("<li>Identities: read your identities</li>");
    expect(html).toContain('action="/u/consent?state=s%2F1"');
    expect(html).toContain('name="action" value="deny">Decline</button>');
    expect(html).toContain('name="action" value="accept" autofocus>Accept</button>');
  });

  test("says so when the user holds no permission on the API", () => {
    const html = consentPage({
      clientName: "c",
      userName: "u",
      tenantName: "t",
      apiName: "a",
      scopes: [],
      state: "s",
    });
    expect(html).toContain("<li>No permissions on this API</li>");
  });
});
