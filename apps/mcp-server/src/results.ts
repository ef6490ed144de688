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
 * may carry Auth0's answer or the arguments (an id, an email), so each is quoted whole; the title is idlink's.
 */
export function failure(error: unknown): CallToolResult {
  const { title, message, hint, issues } = describeError(error);
  const lines = [fenced`${own(title)}: ${message}`, ...issueLines(issues ?? [])];
  if (hint) lines.push(hintText(hint, error));
  return { isError: true, content: [{ type: "text", text: render(joinFenced(lines)) }] };
}

/**
 * A refusal found before anything was sent: invalid fields, or a missing or bad confirmation. `title` and `hint`
 * are idlink's own words; each issue's message is quoted (core's messages echo the arguments).
 */
export function refusal(title: string, issues: Issue[], hint?: string): CallToolResult {
  const lines = [own(`${title}:`), ...issueLines(issues)];
  if (hint) lines.push(own(hint));
  return { isError: true, content: [{ type: "text", text: render(joinFenced(lines)) }] };
}

/** One line an issue: `- field: "message"`. */
export function issueLines(issues: readonly Issue[]): Fenced[] {
  return issues.map((i) => fenced`- ${fieldName(i.path)}: ${i.message}`);
}

/** An argument's name as it is when it is one (`secondary`, `user_metadata.theme`), else quoted. */
export function fieldName(path: string): Fenced {
  return /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path) ? own(path) : fenced`${path}`;
}

/** Core's hint is idlink's advice; a 404's names the id that was asked for, which is quoted. */
function hintText(hint: string, error: unknown): Fenced {
  const subject = error instanceof ManagementApiError ? error.subject?.id : undefined;
  if (subject === undefined || subject === "" || !hint.includes(subject)) return own(hint);
  const [first = "", ...rest] = hint.split(subject);
  return joinFenced([own(first), ...rest.map((after) => fenced`${subject}${own(after)}`)], "");
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
