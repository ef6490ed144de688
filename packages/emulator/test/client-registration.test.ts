import { describe, expect, test } from "vitest";
import {
  cimdUrlProblem,
  parseClientMetadataDocument,
  parseRegistration,
} from "../src/client-registration.ts";

const callback = "http://127.0.0.1:33418/callback";

describe("parseRegistration", () => {
  test("makes a third-party public client from Auth0's documented request", () => {
    const result = parseRegistration({
      client_name: "My Dynamic Application",
      redirect_uris: [callback],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      response_types: ["code"],
      application_type: "native",
    });
    if (!result.ok) throw new Error(result.error.error_description);
    expect(result.client).toMatchObject({
      name: "My Dynamic Application",
      app_type: "native",
      is_first_party: false,
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      callbacks: [callback],
    });
    expect(result.client.client_id).toMatch(/^tpc_[A-Za-z0-9]{32}$/);
    expect(result.response).toEqual({
      client_name: "My Dynamic Application",
      client_id: result.client.client_id,
      redirect_uris: [callback],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "none",
    });
  });

  test("gives a confidential client a secret by default, and authorization_code only", () => {
    const result = parseRegistration({ redirect_uris: ["https://app.example.com/callback"] });
    if (!result.ok) throw new Error(result.error.error_description);
    expect(result.response).toMatchObject({
      client_name: "Dynamic application",
      token_endpoint_auth_method: "client_secret_post",
      grant_types: ["authorization_code"],
      client_secret_expires_at: 0,
    });
    expect(result.response.client_secret).toMatch(/^emulator-only-dcr-/);
    expect(result.client.client_secret).toBe(result.response.client_secret);
    expect(result.client.app_type).toBe("regular_web");
  });

  test.each([
    [undefined, "invalid_client_metadata", "must be a JSON object"],
    [{}, "invalid_redirect_uri", "redirect_uris is required"],
    [{ redirect_uris: [] }, "invalid_redirect_uri", "redirect_uris is required"],
    [{ redirect_uris: ["callback"] }, "invalid_redirect_uri", '"callback" is not an absolute URL'],
    [{ redirect_uris: [42] }, "invalid_redirect_uri", "42 is not a URL"],
    [{ redirect_uris: ["http://app.example.com/cb"] }, "invalid_redirect_uri", "uses http; use https"],
    [{ redirect_uris: ["https://app.example.com/cb#x"] }, "invalid_redirect_uri", "has a fragment"],
    [{ redirect_uris: ["https://*.example.com/cb"] }, "invalid_redirect_uri", "has a wildcard"],
    [{ redirect_uris: ["javascript:alert(1)"] }, "invalid_redirect_uri", "uses the scheme javascript:"],
    [
      { redirect_uris: [callback], token_endpoint_auth_method: "client_secret_basic" },
      "invalid_client_metadata",
      "use none (a public client) or client_secret_post",
    ],
    [
      { redirect_uris: [callback], grant_types: "authorization_code" },
      "invalid_client_metadata",
      "must be an array",
    ],
    [
      { redirect_uris: [callback], grant_types: ["client_credentials"] },
      "invalid_client_metadata",
      "signs users in with authorization_code",
    ],
    [{ redirect_uris: [callback], response_types: ["token"] }, "invalid_client_metadata", 'give ["code"]'],
    [{ redirect_uris: [callback], client_name: " " }, "invalid_client_metadata", "client_name must be"],
  ])("refuses %j with %s", (body, error, description) => {
    const result = parseRegistration(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.error).toBe(error);
    expect(result.error.error_description).toContain(description);
  });

  test.each([
    "https://app.example.com/cb",
    "http://localhost:8080/cb",
    "http://[::1]:8080/cb",
    "com.example.app:/oauth/cb",
  ])("accepts the redirect URI %s", (uri) => {
    expect(parseRegistration({ redirect_uris: [uri] }).ok).toBe(true);
  });
});

describe("cimdUrlProblem", () => {
  test.each([
    [" https://client.example.com/c.json", "whitespace"],
    [`https://client.example.com/${"a".repeat(120)}`, "longer than 120 bytes"],
    ["https://client.example.com/c%zz.json", "% not followed by two hex digits"],
    ["https:///c.json", "has no host"],
    ["not a url", "is not a URL"],
    ["http://client.example.com/c.json", "must use https"],
    ["https://localhost/c.json", "must name a public host"],
    ["https://127.0.0.1/c.json", "must name a public host"],
    ["https://[::1]/c.json", "must name a public host"],
    ["https://user:pw@client.example.com/c.json", "user name or password"],
    ["https://client.example.com/c.json#x", "fragment"],
    ["https://client.example.com/c.json?x=1", "query"],
    ["https://client.example.com:0/c.json", "port 0"],
    ["https://client.example.com/", "a path beyond /"],
    ["https://client.example.com", "a path beyond /"],
    ["https://client.example.com/a/../c.json", ". or .. segments"],
    ["https://client.example.com/a/%2e%2E/c.json", ". or .. segments"],
  ])("%s %s", (url, problem) => {
    expect(cimdUrlProblem(url)).toContain(problem);
  });

  test("accepts an https URL with a path", () => {
    expect(cimdUrlProblem("https://client.example.com/oauth/client.json")).toBeUndefined();
  });
});

describe("parseClientMetadataDocument", () => {
  const url = "https://client.example.com/oauth/client.json";
  const document = {
    client_id: url,
    client_name: "Example MCP Client",
    redirect_uris: ["http://127.0.0.1:33418/callback"],
    grant_types: ["authorization_code", "refresh_token", "implicit"],
    application_type: "native",
    token_endpoint_auth_method: "none",
    client_uri: "https://client.example.com",
  };

  test("maps a public native client, its URL as client id, and warns of what it ignores", () => {
    const result = parseClientMetadataDocument(url, document);
    if (!result.ok) throw new Error(result.issues.join("; "));
    expect(result.value.client).toEqual({
      client_id: url,
      name: "Example MCP Client",
      app_type: "native",
      is_first_party: false,
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      grants: [],
      callbacks: ["http://127.0.0.1:33418/callback"],
    });
    expect(result.value.warnings).toEqual([
      "Grant type not supported: 'implicit'",
      "Property not supported: 'client_uri'",
    ]);
  });

  test.each([
    [{ client_id: "https://elsewhere.example.com/c.json" }, "client_id: must be the document's URL"],
    [{ client_name: "" }, "client_name: required"],
    [{ grant_types: ["implicit"] }, "grant_types: required"],
    [{ application_type: "spa" }, 'application_type: "spa" is not native or web'],
    [{ redirect_uris: [] }, "redirect_uris: required with authorization_code"],
    [{ redirect_uris: ["https://a.example/cb", "https://a.example/cb"] }, "redirect_uris: must be unique"],
    [{ application_type: "web" }, "is not an https URI (loopback http only for native apps)"],
    [{ token_endpoint_auth_method: "private_key_jwt" }, "private_key_jwt (its jwks_uri) is not modelled"],
    [{ token_endpoint_auth_method: "client_secret_post" }, "CIMD clients use none or private_key_jwt"],
    [{ jwks: { keys: [] } }, "jwks: an inline JWKS is not supported"],
    [{ description: "x".repeat(141) }, "description: longer than 140 characters"],
  ])("refuses %j", (change, issue) => {
    const result = parseClientMetadataDocument(url, { ...document, ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.join("\n")).toContain(issue);
  });

  test("refuses a URL Auth0 would refuse, and a document that is not an object", () => {
    const local = parseClientMetadataDocument("https://localhost/c.json", document);
    expect(local).toEqual({
      ok: false,
      issues: [
        'external_client_id "https://localhost/c.json" must name a public host (localhost, 127.0.0.1 and ::1 are refused)',
      ],
    });
    expect(parseClientMetadataDocument(url, "{}")).toEqual({
      ok: false,
      issues: ["the document must be a JSON object of client metadata"],
    });
  });
});
