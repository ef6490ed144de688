import { IdlinkError } from "@idlink/core";

/** A mistake in how idlink was called (flags, files, configuration); nothing was sent. */
export class UsageError extends IdlinkError {
  override name = "UsageError" as const;
  readonly hint: string | undefined;
  /** Field-level problems (e.g. the rows of a bulk file), each naming where. */
  readonly issues: { path: string; message: string }[];
  constructor(message: string, hint?: string, issues: { path: string; message: string }[] = []) {
    super(message);
    this.hint = hint;
    this.issues = issues;
  }
}
