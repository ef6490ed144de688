import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";

/** Another live process holds the journal. */
export class LockedError extends Error {
  override name = "LockedError" as const;
  readonly pid: number;
  constructor(path: string, pid: number) {
    super(`Another idlink bulk run (pid ${pid}) is using this journal (lock ${path}).`);
    this.pid = pid;
  }
}

export interface Lock {
  path: string;
  /** The pid of a dead run whose stale lock was taken over, if any. */
  takenOverFrom: number | undefined;
  release(): void;
}

/**
 * Takes `path` exclusively (O_EXCL) and writes our pid in it. A lock left by a dead process (SIGKILL, power
 * loss) is taken over; a live one makes this throw LockedError.
 */
export function acquireLock(
  path: string,
  pid: number,
  isAlive: (pid: number) => boolean = processAlive,
): Lock {
  let takenOverFrom: number | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${JSON.stringify({ pid, at: new Date().toISOString() })}\n`);
      closeSync(fd);
      return {
        path,
        takenOverFrom,
        release() {
          try {
            if (ownerOf(path) === pid) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if (!isCode(error, "EEXIST")) throw error;
    }
    const owner = ownerOf(path);
    if (owner !== undefined && owner !== pid && isAlive(owner)) throw new LockedError(path, owner);
    takenOverFrom = owner;
    try {
      unlinkSync(path);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw error;
    }
  }
  throw new Error(`Could not take the lock ${path}`);
}

function ownerOf(path: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
    const pid =
      typeof parsed === "object" && parsed !== null && "pid" in parsed ? Number(parsed.pid) : Number.NaN;
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isCode(error, "EPERM");
  }
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === code;
}
