import { describeError, type Issue, ManagementApiError, redact } from "@idlink/core";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { type Fenced, fenced, joinFenced, own, render } from "./fence.ts";

/**
 * A successful result: the structured content (matching the tool's output schema, the values as they are) and a
 * short summary for the model, whose values from the tenant or the request are quoted (`fenced`).
 */
export function ok<T extends Record<string, unknown>>(structured: T, summary: Fenced): CallToolResult {
  return {
    content: [{ type: "text", text: render(summary) }],
    structuredContent: redact(structured),
  };
}

/**
 * A failure the model can act on: core's description of the error, never a protocol error. Its message and issues
 * may carry Auth0's answer or the arguments (an id, an email), so each is quoted whole; the title is idlink's. It
 * ends with what to do next: core's hint, or, for an error core has none for (a 5xx), a retry.
 */
export function failure(error: unknown): CallToolResult {
  const { title, message, hint, issues } = describeError(error);
  const lines = [fenced`${own(title)}: ${message}`, ...issueLines(issues ?? [])];
  lines.push(hint ? hintText(hint, error) : own(retryLater));
  return { isError: true, content: [{ type: "text", text: render(joinFenced(lines)) }] };
}

const retryLater = "Try again in a moment; if it fails again, tell the user what failed.";

/**
 * A refusal found before anything was sent: invalid fields, a blocked plan, or a missing or bad confirmation.
 * `title` and `next` (what to do now, the last line: a refusal never ends without one) are idlink's own words;
 * each issue's message is quoted (core's messages echo the arguments).
 */
export function refusal(title: string, issues: Issue[], next: string): CallToolResult {
  const lines = [own(`${title}:`), ...issueLines(issues), own(next)];
  return { isError: true, content: [{ type: "text", text: render(joinFenced(lines)) }] };
}

/**
 * Arguments a tool refuses before sending anything (core's parse and preflight, or the input schema): each names the
 * argument at fault, and the last line says what to do — fix the arguments and call `tool` again, or, when the
 * server's own token is at fault, tell the user (no argument can change it).
 */
export function invalidArguments(tool: string, issues: Issue[]): CallToolResult {
  const byArgument = issues.some((i) => !Object.hasOwn(notArguments, i.path));
  const byServer = issues.some((i) => i.path === "token");
  const next = [
    ...(byArgument ? [`Fix the arguments named above, then call ${tool} again.`] : []),
    ...(byServer ? [serverTokenNext] : []),
  ];
  return refusal(
    byArgument ? "Invalid input — nothing was sent" : "Refused — nothing was sent",
    issues,
    next.join(" "),
  );
}

const serverTokenNext =
  "The server's own Auth0 token is at fault and no argument changes it: tell the user what the message says, so that they can give the server other credentials (its AUTH0_* settings).";

/** What to do about a blocked plan: each blocker says what stands in the way; then the preview again. */
export function blockedNext(preview: string): string {
  return `Each point above says what stands in the way and how to clear it: clear it (or tell the user why nothing can be done), then call ${preview} again.`;
}

/** A preview's text, ending with `blockedNext` when its plan is blocked (a preview that refuses says what next too). */
export function afterBlockers(text: Fenced, blockers: readonly Issue[], preview: string): Fenced {
  return blockers.length > 0 ? joinFenced([text, own(blockedNext(preview))]) : text;
}

/**
 * Issue paths that are no argument of any tool, said as what they are: core's `token` is the caller's token — here
 * the server's own — and the confirmation's answer and state are fields of the MCP request, set by the client.
 */
const notArguments: Record<string, string> = {
  token: "the server's own Auth0 token, not an argument",
  requestState: "the MCP request's state, set by the client, not an argument",
  "inputResponses.confirm": "the user's answer, sent by the client, not an argument",
};

/** One line an issue: `- field: "message"`, the field followed by what it is when it is no argument. */
export function issueLines(issues: readonly Issue[]): Fenced[] {
  return issues.map((i) => {
    const what = Object.hasOwn(notArguments, i.path) ? own(` (${notArguments[i.path]})`) : own("");
    return fenced`- ${fieldName(i.path)}${what}: ${i.message}`;
  });
}

/** An argument's name as it is when it is one (`secondary`, `user_metadata.theme`), else quoted. */
export function fieldName(path: string): Fenced {
  return /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path) ? own(path) : fenced`${path}`;
}

/**
 * Core's hint is idlink's advice; a 404's names the id that was asked for and, for an identity linked into another
 * user, that user's id and email: tenant values, each quoted where it appears.
 */
function hintText(hint: string, error: unknown): Fenced {
  const subject = error instanceof ManagementApiError ? error.subject : undefined;
  const values = [subject?.id, subject?.linkedInto?.user_id, subject?.linkedInto?.email]
    .filter((v): v is string => typeof v === "string" && v !== "" && hint.includes(v))
    .sort((a, b) => b.length - a.length);
  if (values.length === 0) return own(hint);
  const pattern = new RegExp(`(${values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`);
  // split with one capturing group alternates text and the values it matched.
  return joinFenced(
    hint.split(pattern).map((part, index) => (index % 2 === 1 ? fenced`${part}` : own(part))),
    "",
  );
}

/** Runs a tool body and turns anything it throws into an isError result. */
export async function guarded<R>(run: () => Promise<R>): Promise<R | CallToolResult> {
  try {
    return await run();
  } catch (error) {
    return failure(error);
  }
}

export function keysOf(value: Record<string, unknown> | undefined): string[] {
  return Object.keys(value ?? {});
}
