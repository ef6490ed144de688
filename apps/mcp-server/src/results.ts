import { describeError, type Issue, redact, redactText } from "@idlink/core";
import type { CallToolResult } from "@modelcontextprotocol/server";

/** A successful result: the structured content (matching the tool's output schema) and a short summary for the model. */
export function ok<T extends Record<string, unknown>>(structured: T, summary: string): CallToolResult {
  return {
    content: [{ type: "text", text: redactText(summary) }],
    structuredContent: redact(structured),
  };
}

/** A failure the model can act on: core's description of the error (redacted), never a protocol error. */
export function failure(error: unknown): CallToolResult {
  const { title, message, hint, issues } = describeError(error);
  const lines = [`${title}: ${message}`];
  for (const issue of issues ?? []) lines.push(`- ${issue.path}: ${issue.message}`);
  if (hint) lines.push(hint);
  return { isError: true, content: [{ type: "text", text: redactText(lines.join("\n")) }] };
}

/** A refusal found before anything was sent: invalid fields, or a missing or bad confirmation. */
export function refusal(title: string, issues: Issue[], hint?: string): CallToolResult {
  const lines = [`${title}:`, ...issues.map((i) => `- ${i.path}: ${i.message}`)];
  if (hint) lines.push(hint);
  return { isError: true, content: [{ type: "text", text: redactText(lines.join("\n")) }] };
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
