import {
  describeError,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  redactText,
  ValidationError,
} from "@idlink/core";
import { ExitCode, type ExitCodeValue } from "./exit-codes.ts";
import type { Output } from "./output.ts";
import { UsageError } from "./usage-error.ts";

/** The exit code an error deserves (see the table in README.md). */
export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof UsageError || error instanceof ValidationError) return ExitCode.usage;
  if (error instanceof OutcomeUnknownError) return ExitCode.outcomeUnknown;
  if (isInterrupt(error)) return ExitCode.interrupted;
  if (error instanceof ManagementApiError || error instanceof NetworkError) return ExitCode.apiError;
  return ExitCode.apiError;
}

export function isInterrupt(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "InterruptedError");
}

/** Describes an error in words, redacted, in the shape --json prints it. */
export function errorDocument(error: unknown): {
  title: string;
  message: string;
  status?: number;
  code?: string;
  hint?: string;
  issues?: { path: string; message: string }[];
} {
  if (error instanceof UsageError) {
    return {
      title: "Usage error — nothing was sent",
      message: redactText(error.message),
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.issues.length > 0
        ? { issues: error.issues.map((i) => ({ ...i, message: redactText(i.message) })) }
        : {}),
    };
  }
  if (isInterrupt(error)) return { title: "Interrupted", message: "Stopped by Ctrl-C." };
  return describeError(error);
}

/** Prints an error on stderr in a line or two (and as the JSON document with --json); returns its exit code. */
export function reportError(error: unknown, output: Output): ExitCodeValue {
  const code = exitCodeFor(error);
  const doc = errorDocument(error);
  const { err } = output;
  const lines: string[] = [];
  if (doc.issues && doc.issues.length > 0) {
    lines.push(`${err.red("error:")} ${doc.title}${error instanceof UsageError ? `: ${doc.message}` : ""}`);
    for (const issue of doc.issues) lines.push(`  ${err.bold(issue.path)}: ${issue.message}`);
  } else {
    lines.push(`${err.red("error:")} ${doc.title}: ${doc.message}`);
  }
  if (doc.hint) lines.push(`${err.dim("hint:")} ${doc.hint}`);
  output.error(lines.join("\n"));
  if (output.json) output.document({ ok: false, exitCode: code, error: doc });
  return code;
}
