import { acquireLock, describeTakeover, type Lock, LockedError, type Takeover } from "../bulk/lock.ts";
import { confirm } from "../confirm.ts";
import type { CommandContext } from "../context.ts";
import { ExitCode, type ExitCodeValue } from "../exit-codes.ts";

/**
 * The start of a resumable write run (`bulk`, `bulk --undo`): asks `question` (unless --yes), then takes the
 * journal's lock. Answers the lock, or the exit code after saying why nothing was sent (declined, or another run
 * holds the journal). Every stale lock taken over is said: which file, why it counted as stale, whose it was.
 */
export async function confirmAndLock(
  ctx: CommandContext,
  question: string,
  journalPath: string,
  yes: boolean | undefined,
): Promise<Lock | ExitCodeValue> {
  const { io, output } = ctx;
  if (!(await confirm(io, question, yes))) {
    output.note("Nothing was sent.");
    if (output.json) output.document({ ok: false, exitCode: ExitCode.declined, declined: true });
    return ExitCode.declined;
  }
  let lock: Lock;
  try {
    lock = acquireLock(`${journalPath}.lock`, io.pid);
  } catch (error) {
    if (!(error instanceof LockedError)) throw error;
    output.error(`${output.err.red("error:")} ${error.message}`);
    output.error(
      `${output.err.dim("hint:")} Wait for it to finish (or stop it); a lock left by a dead process is taken over.`,
    );
    if (output.json) {
      output.document({
        ok: false,
        exitCode: ExitCode.locked,
        error: { title: "Journal locked", message: error.message },
      });
    }
    return ExitCode.locked;
  }
  for (const takeover of lock.takenOver)
    output.note(`${output.err.yellow("warning:")} ${describeTakeover(takeover)}`);
  return lock;
}

/** The stale locks a run took over, for its --json summary (none: nothing). */
export function lockTakeovers(lock: Lock): { lockTakenOver?: Takeover[] } {
  return lock.takenOver.length > 0 ? { lockTakenOver: lock.takenOver } : {};
}
