import { createHmac, randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { configFilePath } from "@idlink/core/node";
import { codeOf } from "../files.ts";
import { UsageError } from "../usage-error.ts";

/**
 * The per-user key that MACs every journal line (HMAC-SHA256). It lives beside the user's config file —
 * `$IDLINK_CONFIG`'s folder, else `$XDG_CONFIG_HOME/idlink/`, else `~/.config/idlink/` (core's `configFilePath`) — as
 * `journal.key`: 32 random bytes in hex, made 0600 in a 0700 folder on first use. It is never printed or written
 * anywhere else; journals carry only its id (a MAC of a constant), to tell "made by another key" from "edited".
 */
export interface JournalKey {
  secret: Buffer;
  /** 16 hex characters: HMAC(key, "idlink journal key id"). Says which key made a journal, reveals nothing. */
  id: string;
  path: string;
}

export const journalKeyFile = "journal.key";

/** Where the key is for this environment (HOME, XDG_CONFIG_HOME, IDLINK_CONFIG) and working directory. */
export function journalKeyPath(env: Readonly<Record<string, string | undefined>>, cwd: string): string {
  const config = resolve(cwd, configFilePath(env, env.HOME ?? homedir()));
  return join(dirname(config), journalKeyFile);
}

/** Reads the key, making it on first use. Refuses a key another user could read or replace, naming the fix. */
export function loadJournalKey(env: Readonly<Record<string, string | undefined>>, cwd: string): JournalKey {
  const path = journalKeyPath(env, cwd);
  const folder = dirname(path);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new UsageError(
      `Cannot make the folder ${folder} for the journal key (${codeOf(error) ?? "error"}).`,
      "Set IDLINK_CONFIG to a config file in a folder you can write (the key is kept beside it).",
    );
  }
  checkFolder(folder);
  let text = readKey(path);
  if (text === undefined) {
    createKey(path);
    text = readKey(path);
  }
  if (text === undefined || !/^[0-9a-f]{64}\n?$/.test(text)) {
    throw new UsageError(
      `The journal key ${path} is not a key idlink made (64 hex characters).`,
      `Move it away; idlink makes a new one on next use (journals signed with the old one then need --trust-journal to be undone).`,
    );
  }
  const secret = Buffer.from(text.trim(), "hex");
  return { secret, id: keyId(secret), path };
}

export function keyId(secret: Buffer): string {
  return createHmac("sha256", secret).update("idlink journal key id").digest("hex").slice(0, 16);
}

/** A folder others may write into lets them replace the key: refused (a sticky folder such as /tmp is fine). */
function checkFolder(folder: string): void {
  const stats = lstatSync(folder);
  const uid = process.getuid?.();
  if ((stats.mode & 0o002) !== 0 && (stats.mode & 0o1000) === 0) {
    throw new UsageError(
      `The folder ${folder} of the journal key can be written by any user.`,
      `chmod 700 ${folder}, or set IDLINK_CONFIG to a config file in a private folder.`,
    );
  }
  if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) {
    throw new UsageError(
      `The folder ${folder} of the journal key belongs to another user (uid ${stats.uid}).`,
      "Set IDLINK_CONFIG to a config file in a folder of your own (the key is kept beside it).",
    );
  }
}

/** The key file's text, or undefined when there is none. Never follows a link. */
function readKey(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = codeOf(error);
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") {
      throw new UsageError(
        `The journal key ${path} is a symbolic link: idlink does not follow it.`,
        "Remove the link; idlink makes a new key on next use (journals signed with the old one then need --trust-journal to be undone).",
      );
    }
    throw new UsageError(
      `Cannot read the journal key ${path} (${code ?? "error"}).`,
      "Make it readable by you (chmod 600), or set IDLINK_CONFIG to a config file in a folder of your own.",
    );
  }
  try {
    const stats = fstatSync(fd);
    const uid = process.getuid?.();
    if (!stats.isFile()) {
      throw new UsageError(
        `The journal key ${path} is not a regular file.`,
        "Remove it; idlink makes a new one.",
      );
    }
    if (uid !== undefined && stats.uid !== uid) {
      throw new UsageError(
        `The journal key ${path} belongs to another user (uid ${stats.uid}).`,
        "Set IDLINK_CONFIG to a config file in a folder of your own (the key is kept beside it).",
      );
    }
    if ((stats.mode & 0o077) !== 0) {
      throw new UsageError(
        `The journal key ${path} can be read or changed by other users (mode ${(stats.mode & 0o777).toString(8)}).`,
        `chmod 600 ${path} (and check no one copied it: whoever holds it can forge journals).`,
      );
    }
    const buffer = Buffer.alloc(256);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, length).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes the key: written to a private temporary file (O_EXCL, 0600), then hard-linked into place, which fails if a
 * key appeared meanwhile (two first runs at once): then that one is used.
 */
function createKey(path: string): void {
  const temp = `${path}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`;
  const fd = openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, `${randomBytes(32).toString("hex")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (error) {
    if (codeOf(error) !== "EEXIST") throw error;
  } finally {
    unlinkSync(temp);
  }
}
