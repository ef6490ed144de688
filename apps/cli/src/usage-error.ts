/** A mistake in how idlink was called (flags, files, configuration); nothing was sent. */
export class UsageError extends Error {
  override name = "UsageError" as const;
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}
