import type { Io } from "./io.ts";
import { UsageError } from "./usage-error.ts";

/**
 * Asks before a change: on a terminal a person answers y/N; elsewhere `--yes` is required, so a script never
 * changes a tenant by accident. Resolves true to go ahead.
 */
export async function confirm(io: Io, question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!io.interactive) {
    throw new UsageError(
      "Not on a terminal, so nobody can confirm.",
      "Pass --yes to go ahead without asking.",
    );
  }
  const answer = (await io.prompt(`${question} [y/N] `)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}
