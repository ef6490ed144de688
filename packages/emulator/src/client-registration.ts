import { randomBytes } from "node:crypto";
import type { ParseResult } from "./resource-servers.ts";
import type { Client } from "./seed.ts";

/** RFC 7591 §3.2.2: why a registration was refused (`invalid_redirect_uri` or `invalid_client_metadata`). */
export interface RegistrationError {
  error: "invalid_redirect_uri" | "invalid_client_metadata";
  error_description: string;
}

/** What `POST /oidc/register` answers (auth0/docs-v2 main/docs/get-started/applications/dynamic-client-registration.mdx). */
export interface RegistrationResponse {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  token_endpoint_auth_method: "none" | "client_secret_post";
  client_secret?: string;
  client_secret_expires_at?: 0;
}

const base62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const randomBase62 = (length: number) =>
  [...randomBytes(length)].map((byte) => base62[byte % base62.length]).join("");

const loopback = new Set(["127.0.0.1", "localhost", "[::1]"]);
// Grant types a third-party application may register for (dynamic-client-registration.mdx: "Support only
// `authorization_code` and `refresh_token`"); the others are filtered out, as Auth0 does.
const userGrantTypes = ["authorization_code", "refresh_token"];

/**
 * Why a redirect URI cannot be registered, or undefined. HTTPS, `http` on a loopback address (RFC 8252 §7.3), or a
 * private-use scheme with a dot (RFC 8252 §7.1); exact URLs only (third-party applications: "Callback URLs ... must
 * use exact URLs", security-controls.mdx). The rule for plain http elsewhere is modelled (OAuth 2.1 §2.3.1).
 */
function redirectUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== "string" || uri === "") return "is not a URL";
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "is not an absolute URL";
  }
  if (uri.includes("#")) return "has a fragment, which a redirect URI may not have";
  if (uri.includes("*")) return "has a wildcard; third-party applications register exact URLs";
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:") {
    return loopback.has(url.hostname)
      ? undefined
      : "uses http; use https, or http on 127.0.0.1, [::1] or localhost";
  }
  return /^[a-z][a-z0-9+-]*\.[a-z0-9+.-]+:$/i.test(url.protocol)
    ? undefined
    : `uses the scheme ${url.protocol} — use https, a loopback http URL or a private-use scheme such as com.example.app:`;
}

const invalid = (
  error: RegistrationError["error"],
  description: string,
): { ok: false; error: RegistrationError } => ({
  ok: false,
  error: { error, error_description: description },
});

/**
 * A Dynamic Client Registration request as Auth0 takes it: a third-party application (`tpc_` client id, strict
 * security mode), `redirect_uris` required, `token_endpoint_auth_method` `none` or `client_secret_post` (the
 * default), `grant_types` filtered to `authorization_code`/`refresh_token` (default `authorization_code`).
 */
export function parseRegistration(
  body: unknown,
): { ok: true; client: Client; response: RegistrationResponse } | { ok: false; error: RegistrationError } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return invalid("invalid_client_metadata", "The request body must be a JSON object of client metadata");
  }
  const metadata = body as Record<string, unknown>;
  const uris = metadata.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0) {
    return invalid(
      "invalid_redirect_uri",
      "redirect_uris is required: give an array of the URLs Auth0 may send the authorization code to",
    );
  }
  for (const uri of uris) {
    const problem = redirectUriProblem(uri);
    if (problem) return invalid("invalid_redirect_uri", `redirect_uris: ${JSON.stringify(uri)} ${problem}`);
  }
  const method = metadata.token_endpoint_auth_method ?? "client_secret_post";
  if (method !== "none" && method !== "client_secret_post") {
    return invalid(
      "invalid_client_metadata",
      `token_endpoint_auth_method: ${JSON.stringify(method)} is not supported; use none (a public client) or client_secret_post`,
    );
  }
  const asked = metadata.grant_types ?? ["authorization_code"];
  if (!Array.isArray(asked)) {
    return invalid(
      "invalid_client_metadata",
      'grant_types must be an array, e.g. ["authorization_code", "refresh_token"]',
    );
  }
  const grantTypes = userGrantTypes.filter((type) => asked.includes(type));
  if (!grantTypes.includes("authorization_code")) {
    return invalid(
      "invalid_client_metadata",
      "grant_types: a dynamically registered client signs users in with authorization_code (and may refresh with refresh_token)",
    );
  }
  const responseTypes = metadata.response_types;
  if (responseTypes !== undefined && !(Array.isArray(responseTypes) && responseTypes.includes("code"))) {
    return invalid("invalid_client_metadata", 'response_types: give ["code"] (authorization code with PKCE)');
  }
  const name = metadata.client_name;
  if (name !== undefined && (typeof name !== "string" || name.trim() === "")) {
    return invalid("invalid_client_metadata", "client_name must be a non-empty string");
  }
  const clientId = `tpc_${randomBase62(32)}`;
  const clientName = typeof name === "string" ? name : "Dynamic application";
  const redirectUris = uris as string[];
  const secret = method === "client_secret_post" ? `emulator-only-dcr-${randomBase62(32)}` : undefined;
  const client: Client = {
    client_id: clientId,
    name: clientName,
    app_type: metadata.application_type === "native" ? "native" : method === "none" ? "spa" : "regular_web",
    is_first_party: false,
    token_endpoint_auth_method: method,
    grant_types: grantTypes,
    grants: [],
    callbacks: [...redirectUris],
    ...(secret ? { client_secret: secret } : {}),
  };
  return {
    ok: true,
    client,
    response: {
      client_name: clientName,
      client_id: clientId,
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 as const } : {}),
      redirect_uris: [...redirectUris],
      grant_types: grantTypes,
      token_endpoint_auth_method: method,
    },
  };
}

/**
 * Auth0's CIMD URL validation rules (auth0/docs-v2 main/docs/get-started/auth0-overview/create-applications/
 * register-applications-with-cimd.mdx, "CIMD URL validation rules"): the problem, or undefined.
 */
export function cimdUrlProblem(value: string): string | undefined {
  if (value.trim() !== value) return "has leading or trailing whitespace";
  if (Buffer.byteLength(value) > 120) return "is longer than 120 bytes";
  if (/%(?![0-9a-f]{2})/i.test(value)) return "has a % not followed by two hex digits";
  if (/^https:\/\/\//i.test(value)) return "has no host";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL";
  }
  if (url.protocol !== "https:") return "must use https";
  if (url.hostname === "" || loopback.has(url.hostname) || url.hostname === "::1") {
    return "must name a public host (localhost, 127.0.0.1 and ::1 are refused)";
  }
  if (url.username !== "" || url.password !== "") return "may not carry a user name or password";
  if (value.includes("#")) return "may not have a fragment";
  if (value.includes("?")) return "may not have a query";
  if (url.port === "0") return "may not use port 0";
  const path = value.replace(/^https:\/\/[^/]*/i, "");
  if (path === "" || path === "/") return "must have a path beyond /";
  if (path.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment)))
    return "may not have . or .. segments";
  return undefined;
}

/**
 * A Client ID Metadata Document registered the way Auth0 registers one (`POST /api/v2/clients/cimd/register` with
 * `external_client_id`, the "CIMD JSON validation rules"): `document` is what Auth0 would fetch from that URL. The
 * client's id in every flow is the URL itself (Auth0 resolves `client_id` to its `external_client_id`). Issues name
 * the property and the fix; `warnings` list what was ignored, as Auth0's preview does.
 */
export function parseClientMetadataDocument(
  externalClientId: string,
  document: unknown,
): ParseResult<{ client: Client; warnings: string[] }> {
  const urlProblem = cimdUrlProblem(externalClientId);
  if (urlProblem) return { ok: false, issues: [`external_client_id "${externalClientId}" ${urlProblem}`] };
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return { ok: false, issues: ["the document must be a JSON object of client metadata"] };
  }
  const doc = document as Record<string, unknown>;
  const issues: string[] = [];
  const warnings: string[] = [];
  if (doc.client_id !== externalClientId) {
    issues.push(
      `client_id: must be the document's URL, ${externalClientId} (it is ${JSON.stringify(doc.client_id)})`,
    );
  }
  if (typeof doc.client_name !== "string" || doc.client_name.trim() === "") {
    issues.push("client_name: required, a non-empty string (the consent page shows it)");
  }
  const asked = Array.isArray(doc.grant_types) ? doc.grant_types : [];
  const grantTypes = userGrantTypes.filter((type) => asked.includes(type));
  for (const type of asked)
    if (!userGrantTypes.includes(type)) warnings.push(`Grant type not supported: '${String(type)}'`);
  if (grantTypes.length === 0) issues.push("grant_types: required, with authorization_code or refresh_token");
  const applicationType = doc.application_type ?? "web";
  if (applicationType !== "web" && applicationType !== "native") {
    issues.push(`application_type: ${JSON.stringify(applicationType)} is not native or web`);
  }
  const uris = Array.isArray(doc.redirect_uris) ? doc.redirect_uris : [];
  if (grantTypes.includes("authorization_code") && uris.length === 0) {
    issues.push("redirect_uris: required with authorization_code");
  }
  if (new Set(uris).size !== uris.length) issues.push("redirect_uris: must be unique");
  for (const uri of uris) {
    const loopbackHttp =
      typeof uri === "string" && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(uri);
    const ok =
      typeof uri === "string" && (/^https:\/\//.test(uri) || (loopbackHttp && applicationType === "native"));
    if (!ok || redirectUriProblem(uri)) {
      issues.push(
        `redirect_uris: ${JSON.stringify(uri)} is not an https URI (loopback http only for native apps)`,
      );
    }
  }
  const method = doc.token_endpoint_auth_method ?? "none";
  if (method === "private_key_jwt") {
    issues.push(
      "token_endpoint_auth_method: private_key_jwt (its jwks_uri) is not modelled by the emulator; use none",
    );
  } else if (method !== "none") {
    issues.push(
      `token_endpoint_auth_method: ${JSON.stringify(method)} is not allowed; CIMD clients use none or private_key_jwt`,
    );
  }
  if (doc.jwks !== undefined)
    issues.push("jwks: an inline JWKS is not supported (invalid_client_metadata); use jwks_uri");
  if (typeof doc.description === "string" && doc.description.length > 140) {
    issues.push("description: longer than 140 characters");
  }
  const known = new Set([
    "client_id",
    "client_name",
    "redirect_uris",
    "grant_types",
    "application_type",
    "token_endpoint_auth_method",
    "jwks_uri",
    "logo_uri",
    "description",
    "response_types",
  ]);
  for (const key of Object.keys(doc)) if (!known.has(key)) warnings.push(`Property not supported: '${key}'`);
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      warnings,
      client: {
        client_id: externalClientId,
        name: String(doc.client_name),
        app_type: applicationType === "native" ? "native" : "regular_web",
        is_first_party: false,
        token_endpoint_auth_method: "none",
        grant_types: grantTypes,
        grants: [],
        callbacks: uris as string[],
      },
    },
  };
}
