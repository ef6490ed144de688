import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  openSync,
  readSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { IdlinkError } from "@idlink/core";
import { UsageError } from "../usage-error.ts";

/** Another live process (or a process on another host) holds the journal. */
export class LockedError extends IdlinkError {
  override name = "LockedError" as const;
  readonly pid: number;
  readonly host: string;
  constructor(path: string, owner: Owner) {
    super(
      `Another idlink bulk run (pid ${owner.pid}${owner.host === hostname() ? "" : ` on ${owner.host}`}) is using this journal (lock ${path}).`,
    );
    this.pid = owner.pid;
    this.host = owner.host;
  }
}

export interface Lock {
  path: string;
  /** The pid of a dead run whose stale lock was taken over, if any. */
  takenOverFrom: number | undefined;
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
}

/**
 * Takes `path` exclusively. The lock appears with its owner (pid and host) already inside — written to a private file
 * first, then hard-linked into place, which fails if the lock exists — so a second run never sees an empty lock it
 * could mistake for a stale one, and two runs never both proceed however close their starts. A lock left by a dead
 * process on this host (SIGKILL, power loss) is taken over, under a second lock so that only one run does it; a live
 * one, or one from another host, makes this throw LockedError.
 */
export function acquireLock(
  path: string,
  pid: number,
  isAlive: (pid: number) => boolean = processAlive,
  host: string = hostname(),
): Lock {
  const content = `${JSON.stringify({ pid, host, at: new Date().toISOString() })}\n`;
  const mine = (owner: Owner | undefined) => owner?.pid === pid && owner.host === host;
  let takenOverFrom: number | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createWith(path, content)) {
      return {
        path,
        takenOverFrom,
        release() {
          let owner: Owner | undefined;
          try {
            owner = ownerOf(path, host);
          } catch {
            return; // not a lock of ours any more (a link put in its place): left alone
          }
          if (!mine(owner)) return;
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    }
    const owner = ownerOf(path, host);
    if (owner !== undefined && !mine(owner) && (owner.host !== host || isAlive(owner.pid))) {
      throw new LockedError(path, owner);
    }
    // A stale lock: only the run holding the takeover lock removes it, after checking it is still the same one.
    const guard = `${path}.takeover`;
    if (!createWith(guard, content)) {
      const guardOwner = ownerOf(guard, host);
      if (guardOwner === undefined || (guardOwner.host === host && !isAlive(guardOwner.pid))) remove(guard);
      continue;
    }
    try {
      const again = ownerOf(path, host);
      if (again?.pid === owner?.pid && again?.host === owner?.host) {
        remove(path);
        takenOverFrom = owner?.pid;
      }
    } finally {
      remove(guard);
    }
  }
  throw new Error(`Could not take the lock ${path}`);
}

/** Creates `path` holding `content` in one step; false when it exists already. */
function createWith(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temp, content, { mode: 0o600, flag: "wx" });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if (isCode(error, "EEXIST")) return false;
    throw error;
  } finally {
    remove(temp);
  }
}

/** The lock's text, read without following a link: a link at the lock's path is refused, never read or removed. */
function readLock(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (isCode(error, "ELOOP")) {
      throw new UsageError(
        `The lock ${path} is a symbolic link: idlink does not follow it.`,
        "Remove the link (no idlink run makes one), then run again.",
      );
    }
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) {
      throw new UsageError(`The lock ${path} is not a regular file.`, "Remove it, then run again.");
    }
    const buffer = Buffer.alloc(4096);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function ownerOf(path: string, defaultHost: string): Owner | undefined {
  const text = readLock(path);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const pid = "pid" in parsed ? Number(parsed.pid) : Number.NaN;
    // A lock written before host was recorded belongs to this host.
    const host = "host" in parsed && typeof parsed.host === "string" ? parsed.host : defaultHost;
    return Number.isInteger(pid) && pid > 0 ? { pid, host } : undefined;
  } catch {
    return undefined;
  }
}

function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isCode(error, "ENOENT")) throw error;
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
