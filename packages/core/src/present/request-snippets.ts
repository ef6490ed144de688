/**
 * A Management API request as a person may copy it: secrets are named by the environment variable that should hold
 * them, never written out. Used by the CLI's `--print-curl` and the web demo's request preview.
 */
export interface PreviewRequest {
  method: "GET" | "POST" | "DELETE";
  /** The tenant's origin. */
  origin: string;
  /** The concrete path, segments already percent-encoded once. */
  path: string;
  body?: Record<string, unknown> | undefined;
  /** The environment variable holding the bearer token, e.g. MANAGEMENT_API_TOKEN. */
  tokenVariable: string;
  /** Body fields whose values are secrets too (link_with), mapped to the variable that holds them. */
  secretFields?: Readonly<Record<string, string>>;
}

/** The link path before a primary is known, as the API reference writes it. */
export const pathTemplate = "/api/v2/users/{id}/identities";

/** The link path for a primary: the id is encoded once, as Auth0 expects (`auth0|1` → `auth0%7C1`). */
export function linkPath(primary: string): string {
  return `/api/v2/users/${encodeURIComponent(primary)}/identities`;
}

export function unlinkPath(primary: string, provider: string, userId: string): string {
  return `${linkPath(primary)}/${encodeURIComponent(provider)}/${encodeURIComponent(userId)}`;
}

const marker = (variable: string) => `@@idlink:${variable}@@`;
const markerPattern = /"@@idlink:([A-Z0-9_]+)@@"/g;

function bodyWithMarkers(request: PreviewRequest): Record<string, unknown> | undefined {
  if (request.body === undefined) return undefined;
  const secrets = request.secretFields ?? {};
  return Object.fromEntries(
    Object.entries(request.body).map(([key, value]) => {
      const variable = secrets[key];
      return [
        key,
        variable !== undefined && typeof value === "string" && value !== "" ? marker(variable) : value,
      ];
    }),
  );
}

/** What the preview panel shows: method, URL, headers and body, with `<VARIABLE>` where a secret goes. */
export function describeRequest(request: PreviewRequest): string {
  const body = bodyWithMarkers(request);
  const lines = [
    `${request.method} ${request.origin}${request.path}`,
    `authorization: Bearer <${request.tokenVariable}>`,
  ];
  if (body !== undefined) {
    lines.push(
      "content-type: application/json",
      "",
      JSON.stringify(body, null, 2).replace(markerPattern, '"<$1>"'),
    );
  }
  return lines.join("\n");
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A curl command that works as pasted once the variables are exported; secrets are read from the shell. */
export function toCurl(request: PreviewRequest): string {
  const body = bodyWithMarkers(request);
  const parts = [
    `curl --request ${request.method}`,
    `--url ${shellQuote(`${request.origin}${request.path}`)}`,
    `--header "authorization: Bearer $${request.tokenVariable}"`,
  ];
  if (body !== undefined) {
    // Inside the single-quoted JSON, a secret closes the quote and splices in "$VARIABLE" from the shell.
    const data = shellQuote(JSON.stringify(body)).replace(markerPattern, `"'"$$$1"'"`);
    parts.push("--header 'content-type: application/json'", `--data ${data}`);
  }
  return parts.join(" \\\n  ");
}

/** A fetch call for Node 18+ (ES module); secrets come from process.env. */
export function toFetch(request: PreviewRequest): string {
  const body = bodyWithMarkers(request);
  const headers = [`    authorization: \`Bearer \${process.env.${request.tokenVariable}}\`,`];
  if (body !== undefined) headers.push(`    "content-type": "application/json",`);
  const lines = [
    `const response = await fetch(${JSON.stringify(`${request.origin}${request.path}`)}, {`,
    `  method: ${JSON.stringify(request.method)},`,
    "  headers: {",
    ...headers,
    "  },",
  ];
  if (body !== undefined) {
    const literal = JSON.stringify(body, null, 2)
      .replace(markerPattern, "process.env.$1")
      .replaceAll("\n", "\n  ");
    lines.push(`  body: JSON.stringify(${literal}),`);
  }
  lines.push("});", "console.log(response.status, await response.json());");
  return lines.join("\n");
}
