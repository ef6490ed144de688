import { shellQuote } from "./style.ts";

/**
 * The curl command equivalent to a Management API request. The token is always `$AUTH0_TOKEN` and an ID token
 * `$LINK_WITH`, expanded by the shell of whoever runs it, so no secret is ever printed.
 */
export function curlCommand(request: {
  method: "POST" | "DELETE";
  origin: string;
  segments: string[];
  body?: Record<string, unknown>;
}): string {
  const path = request.segments.map((s) => encodeURIComponent(s)).join("/");
  const lines = [
    `curl --request ${request.method}`,
    `--url ${shellQuote(`${request.origin}/api/v2/${path}`)}`,
    `--header "authorization: Bearer $AUTH0_TOKEN"`,
  ];
  if (request.body) {
    lines.push(`--header 'content-type: application/json'`);
    if ("link_with" in request.body) {
      lines.push(`--data "{\\"link_with\\":\\"$LINK_WITH\\"}"`);
    } else {
      lines.push(`--data ${shellQuote(JSON.stringify(request.body))}`);
    }
  }
  return lines.join(" \\\n  ");
}
