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
import { codeOf } from "../files.ts";
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
  /** Each stale lock removed on the way to this one, said to the person (see `describeTakeover`). */
  takenOver: Takeover[];
  release(): void;
}

interface Owner {
  pid: number;
  host: string;
}

/** A stale lock taken over: which file, why it counted as stale, and whose it was (when it said). */
export interface Takeover {
  path: string;
  why: "dead" | "empty" | "unreadable";
  /** The owner it named (a dead process of this host); none when it named none. */
  owner?: Owner;
}

/** The sentence that says a takeover: `Took over the lock F of pid N on this host: that process is no longer running.` */
export function describeTakeover(t: Takeover): string {
  switch (t.why) {
    case "dead":
      return `Took over the lock ${t.path} of pid ${t.owner?.pid} on this host: that process is no longer running.`;
    case "empty":
      return `Took over the lock ${t.path}: it was empty, so it named no owner (idlink writes its owner into a lock before the lock appears: this one was cut short, or made by something else).`;
    case "unreadable":
      return `Took over the lock ${t.path}: it names no owner idlink can read (not the {"pid","host"} idlink writes), so none can be running.`;
  }
}

/**
 * Takes `path` exclusively. The lock appears with its owner (pid and host) already inside — written to a private file
 * first, then hard-linked into place, which fails if the lock exists — so a second run never sees an empty lock it
 * could mistake for a stale one, and two runs never both proceed however close their starts. A lock left by a dead
 * process on this host (SIGKILL, power loss), or one naming no owner (empty, or not what idlink writes), is taken
 * over, under a second lock so that only one run does it, and each takeover is returned to be said; a live one, or
 * one from another host, makes this throw LockedError.
 */
export function acquireLock(
  path: string,
  pid: number,
  isAlive: (pid: number) => boolean = processAlive,
  host: string = hostname(),
): Lock {
  const content = `${JSON.stringify({ pid, host, at: new Date().toISOString() })}\n`;
  const mine = (owner: Owner | undefined) => owner?.pid === pid && owner.host === host;
  const takenOver: Takeover[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createWith(path, content)) {
      return {
        path,
        takenOver,
        release() {
          let owner: Owner | undefined;
          try {
            owner = readOwner(path, host).owner;
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
    const seen = readOwner(path, host);
    if (seen.why === "gone") continue;
    const { owner } = seen;
    if (owner !== undefined && !mine(owner) && (owner.host !== host || isAlive(owner.pid))) {
      throw new LockedError(path, owner);
    }
    // A stale lock: only the run holding the takeover lock removes it, after checking it is still the same one.
    const guard = `${path}.takeover`;
    if (!createWith(guard, content)) {
      const held = readOwner(guard, host);
      if (
        held.why !== "gone" &&
        (held.owner === undefined || (held.owner.host === host && !isAlive(held.owner.pid)))
      ) {
        remove(guard);
        takenOver.push(takeover(guard, held));
      }
      continue;
    }
    try {
      const again = readOwner(path, host);
      if (again.why === seen.why && again.owner?.pid === owner?.pid && again.owner?.host === owner?.host) {
        remove(path);
        takenOver.push(takeover(path, seen));
      }
    } finally {
      remove(guard);
    }
  }
  throw new Error(`Could not take the lock ${path}`);
}

function takeover(path: string, seen: ReadOwner): Takeover {
  if (seen.owner !== undefined) return { path, why: "dead", owner: seen.owner };
  return { path, why: seen.why === "empty" ? "empty" : "unreadable" };
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

/** The lock's text, read without following a link (a link at the lock's path is refused, never read or removed); undefined once it is gone. */
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
    if (isCode(error, "ENOENT")) return undefined;
    throw new UsageError(
      `Cannot read the lock ${path} (${codeOf(error) ?? "error"}): idlink cannot tell whether a run holds it.`,
      "Make it readable by you, or remove it if no run uses this journal, then run again.",
    );
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

interface ReadOwner {
  /** `gone`: no lock any more (removed meanwhile); `empty`: no byte in it; `unreadable`: not an owner idlink wrote. */
  why: "owner" | "gone" | "empty" | "unreadable";
  owner?: Owner;
}

function readOwner(path: string, defaultHost: string): ReadOwner {
  const text = readLock(path);
  if (text === undefined) return { why: "gone" };
  if (text.trim() === "") return { why: "empty" };
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return { why: "unreadable" };
    const pid = "pid" in parsed ? Number(parsed.pid) : Number.NaN;
    // A lock written before host was recorded belongs to this host.
    const host = "host" in parsed && typeof parsed.host === "string" ? parsed.host : defaultHost;
    return Number.isInteger(pid) && pid > 0 ? { why: "owner", owner: { pid, host } } : { why: "unreadable" };
  } catch {
    return { why: "unreadable" };
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
