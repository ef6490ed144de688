import { randomBytes } from "node:crypto";
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, unlinkSync } from "node:fs";
import { type FileHandle, lstat, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { UsageError } from "./usage-error.ts";

/**
 * The one way idlink writes a file. Every file it writes (the journals, `--csv`, `duplicates --out`/`--report`,
 * `emulator --env-out`, the journal key) holds user ids, emails or a secret, so:
 *
 * - a whole file is written to a temporary file created 0600 beside the target (O_EXCL), fsync'd, then renamed over
 *   it: an existing target keeps its data until the rename and ends 0600; an interruption or an error leaves the
 *   old file whole and removes the temporary one;
 * - an appended file (a journal) is opened with O_APPEND and O_NOFOLLOW, created 0600, and tightened to 0600;
 * - a symbolic link at the target is refused, never followed (it could point at any file of the user), and so is
 *   anything but a regular file (a directory, a device, a pipe).
 */

/** How a target is named in messages: the flag and the path as given, e.g. `--csv out.csv`. */
export interface Target {
  /** The absolute path. */
  path: string;
  /** e.g. `--csv out.csv`, `journal pairs.csv.journal.jsonl`. */
  name: string;
}

const linkRefused = (name: string) =>
  new UsageError(
    `${name} is a symbolic link: idlink does not write through a link (it would change the file the link points to).`,
    "Remove the link, or give the path of a regular file (it is created if missing).",
  );

function notRegular(name: string, what: string): UsageError {
  return new UsageError(`${name} is ${what}, not a regular file.`, "Give the path of a file to write.");
}

function kindOf(stats: { isDirectory(): boolean }): string {
  return stats.isDirectory() ? "a directory" : "a device, pipe or socket";
}

/** Why opening or creating `name` failed, in words, with the fix. */
function cannotWrite(name: string, error: unknown): Error {
  const code = codeOf(error);
  if (code === "ELOOP") return linkRefused(name);
  if (code === "ENOENT") {
    return new UsageError(`${name}: its folder does not exist.`, "Create the folder, or give another path.");
  }
  if (code === "ENOTDIR") {
    return new UsageError(`${name}: a part of its path is not a folder.`, "Give another path.");
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new UsageError(
      `${name}: permission denied (${code}).`,
      "Write into a folder you can write to, or give another path.",
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Refuses a target idlink must not write: a symbolic link (checked with lstat, never followed) or anything but a
 * regular file. A missing target is fine. Call it before anything is sent, so a bad path costs nothing.
 */
export async function checkTarget(target: Target): Promise<void> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(target.path);
  } catch (error) {
    if (codeOf(error) === "ENOENT") return;
    throw cannotWrite(target.name, error);
  }
  if (stats.isSymbolicLink()) throw linkRefused(target.name);
  if (!stats.isFile()) throw notRegular(target.name, kindOf(stats));
}

/** `checkTarget`, synchronously (the journal and the key are opened synchronously). */
export function checkTargetSync(target: Target): void {
  let stats: ReturnType<typeof lstatSync>;
  try {
    stats = lstatSync(target.path);
  } catch (error) {
    if (codeOf(error) === "ENOENT") return;
    throw cannotWrite(target.name, error);
  }
  if (stats.isSymbolicLink()) throw linkRefused(target.name);
  if (!stats.isFile()) throw notRegular(target.name, kindOf(stats));
}

/** A file being written: nothing is at the target until `commit`. */
export interface AtomicFile {
  write(data: string | Uint8Array): Promise<void>;
  /** fsyncs the temporary file and renames it over the target. */
  commit(): Promise<void>;
  /** Removes the temporary file; the target is left as it was. */
  abort(): Promise<void>;
}

// Temporary files still open, removed if the process exits before they are committed (a second Ctrl-C).
const pending = new Set<string>();
let exitHookInstalled = false;
function track(temp: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const path of pending) {
        try {
          unlinkSync(path);
        } catch {
          // gone already
        }
      }
    });
  }
  pending.add(temp);
}

const bufferSize = 256 * 1024;

/**
 * Starts writing `target` through a temporary file 0600 in its folder (O_EXCL, so never an existing file or a
 * link). Writes are buffered; `commit` renames the file into place, `abort` removes it.
 */
export async function createAtomic(target: Target): Promise<AtomicFile> {
  await checkTarget(target);
  const temp = join(
    dirname(target.path),
    `.${basename(target.path)}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`,
  );
  let handle: FileHandle;
  try {
    handle = await open(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (error) {
    throw cannotWrite(target.name, error);
  }
  track(temp);
  let buffered: Buffer[] = [];
  let size = 0;
  let open_ = true;
  const flush = async () => {
    if (size === 0) return;
    const chunk = Buffer.concat(buffered, size);
    buffered = [];
    size = 0;
    await handle.write(chunk);
  };
  const abort = async () => {
    if (open_) {
      open_ = false;
      await handle.close().catch(() => undefined);
    }
    await unlink(temp).catch(() => undefined);
    pending.delete(temp);
  };
  try {
    // The mode is exact whatever the umask (it can only have narrowed it).
    await handle.chmod(0o600);
  } catch (error) {
    await abort();
    throw error;
  }
  return {
    async write(data) {
      const chunk = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data);
      buffered.push(chunk);
      size += chunk.length;
      if (size >= bufferSize) await flush();
    },
    async commit() {
      try {
        await flush();
        await handle.sync();
        open_ = false;
        await handle.close();
        // rename replaces the directory entry: a link planted since the check is replaced, never followed.
        await rename(temp, target.path);
      } catch (error) {
        await abort();
        throw codeOf(error) === "EISDIR" ? notRegular(target.name, "a directory") : error;
      }
      pending.delete(temp);
      await syncFolder(dirname(target.path));
    },
    abort,
  };
}

/** Writes `data` (a text, or lines as they come) to `target` atomically, mode 0600. */
export async function writeFileAtomic(
  target: Target,
  data: string | Uint8Array | Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  const file = await createAtomic(target);
  try {
    if (typeof data === "string" || data instanceof Uint8Array) await file.write(data);
    else for await (const chunk of data) await file.write(chunk);
  } catch (error) {
    await file.abort();
    throw error;
  }
  await file.commit();
}

/**
 * Opens `target` to append (O_APPEND), creating it 0600; O_NOFOLLOW refuses a link at the target. An existing file
 * is tightened to 0600. Answers the descriptor.
 */
export function openAppend(target: Target): number {
  checkTargetSync(target);
  let fd: number;
  try {
    fd = openSync(
      target.path,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (error) {
    throw cannotWrite(target.name, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(target.name, kindOf(stats));
    if ((stats.mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** Opens `target` to read without following a link: a link is refused as for writing. */
export async function openReadNoFollow(target: Target): Promise<FileHandle | undefined> {
  try {
    const handle = await open(target.path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      throw notRegular(target.name, kindOf(stats));
    }
    return handle;
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined;
    if (error instanceof UsageError) throw error;
    throw cannotWrite(target.name, error);
  }
}

/** fsyncs a folder so a rename in it survives a power loss; best effort (not every file system allows it). */
async function syncFolder(path: string): Promise<void> {
  try {
    const handle = await open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported here
  }
}

export function codeOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}
