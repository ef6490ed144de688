/**
 * A user export could not be read or its job did not finish: a malformed line (with its number), a file that is
 * not gzip, a job that failed or expired.
 */
export class ExportError extends Error {
  override name = "ExportError" as const;
  constructor(
    message: string,
    /** The line at fault, for a malformed line. */
    readonly issue?: { line: number; message: string },
  ) {
    super(message);
  }
}
