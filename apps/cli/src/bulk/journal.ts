import { createHmac, timingSafeEqual } from "node:crypto";
import { closeSync, fstatSync, fsyncSync, ftruncateSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import type { Metadata } from "@idlink/core";
import { codeOf, openAppend, openReadNoFollow, type Target } from "../files.ts";
import { UsageError } from "../usage-error.ts";
import type { JournalKey } from "./journal-key.ts";

/** `blocked`: core's check before the link refused the pair (never sent); like `failed`, tried again on resume. */
export type OutcomeStatus = "linked" | "already_linked" | "blocked" | "failed" | "unknown";

/**
 * The secondary's metadata as read just before its link (Auth0 discards it when linking, and unlinking gives back a
 * user without it — unlink-user-accounts.mdx in auth0/docs-v2): what `--undo` writes back. Personal data, which is
 * why the journal is 0600 and `--no-keep-metadata` keeps none. `omitted`: not kept — `not_kept` by that flag,
 * `too_large` past `keptMetadataBytes` (then `bytes` says its size).
 */
export type KeptMetadata =
  | { user_metadata: Metadata; app_metadata: Metadata }
  | { omitted: "not_kept" | "too_large"; bytes?: number };

/**
 * The most of a secondary's metadata (both objects, as JSON) a journal keeps: Auth0 limits a whole user profile to
 * 10 KB, with a temporary allowance above it for tenants that had larger ones (main/docs/troubleshoot/
 * product-lifecycle/deprecations-and-migrations/migrate-oversized-user-profiles.mdx in auth0/docs-v2). Past it, the
 * row keeps `{ omitted: "too_large" }` and undo says so: a journal grows by two lines a pair, and undo holds what
 * it restores.
 */
export const keptMetadataBytes = 10 * 1024;

/** One line of the journal (`<file>.journal.jsonl`), appended and fsync'd, never rewritten. */
export type JournalRecord =
  | { type: "run"; at: string; pid: number; file: string; rows: number }
  | {
      type: "started";
      at: string;
      key: string;
      row: number;
      primary: string;
      secondary: string;
      /** Absent in journals of an earlier idlink, which kept none. */
      kept?: KeptMetadata;
      /**
       * The user_metadata keys `--merge-metadata` added to the primary before this link, each with the digest of
       * the value written (`digest` of restore.ts): --undo removes a key only while it still holds that value.
       */
      merged?: Record<string, string>;
    }
  | {
      type: "outcome";
      at: string;
      key: string;
      row: number;
      primary: string;
      secondary: string;
      status: OutcomeStatus;
      /**
       * How the outcome was learnt: the link's answer, a 409, reading the primary's identities after an unknown
       * outcome, the check before the link (reading the secondary), or the metadata merge before it.
       */
      via: "link" | "409" | "reconcile" | "check" | "merge";
      reason?: string;
    }
  | { type: "end"; at: string; interrupted: boolean; counts: Record<OutcomeStatus, number> };

/** What the journal says about a pair: done, failed (definitely not applied), or unknown (must reconcile). */
export type PairState = "done" | "failed" | "unknown";

/** The tenant a journal belongs to: where its run sent its requests. */
export interface TenantRef {
  origin: string;
  audience: string;
}

/** The tenant of a connection, as a journal records it: its origin and Management API audience. */
export function tenantOf(connection: { tenant: { origin: string; managementAudience: string } }): TenantRef {
  return { origin: connection.tenant.origin, audience: connection.tenant.managementAudience };
}

/**
 * The first line of every journal: which tenant its runs changed, an id shared by all the runs that append to it,
 * and which key MACs its lines. `undoes`: the run id of the bulk journal an undo journal undoes (null for a journal
 * of an older idlink, undone with --trust-journal).
 */
export interface JournalHeader {
  type: "journal";
  version: 2;
  kind: "bulk" | "undo";
  run: string;
  tenant: TenantRef;
  key: string;
  at: string;
  undoes?: string | null;
}

/**
 * How a journal line is sealed: `{…record…,"mac":"<hex>"}`, the MAC being HMAC-SHA256(key, previous MAC + "\n" +
 * the line without its mac), the header's previous MAC being `chainSeed`. Any change, removal, insertion or swap
 * of a line breaks the chain from there on.
 */
export const chainSeed = "idlink-journal-v2";
const sealed = /,"mac":"([0-9a-f]{64})"\}$/;

function mac(key: Buffer, previous: string, body: string): string {
  return createHmac("sha256", key).update(`${previous}\n${body}`).digest("hex");
}

/** The line for `record` after `previous`, and its MAC. */
export function seal(key: Buffer, previous: string, record: object): { line: string; mac: string } {
  const body = JSON.stringify(record);
  const m = mac(key, previous, body);
  return { line: `${body.slice(0, -1)},"mac":"${m}"}\n`, mac: m };
}

/** What reading a journal found. */
export interface JournalState {
  /** No file, an empty one, or only a torn line: a run starts it with a header. */
  empty: boolean;
  header: JournalHeader | undefined;
  /** Written by an older idlink: no header, no MACs (read only with --trust-journal). */
  legacy: boolean;
  /** Every line checked with this user's key (false when taken on trust: another key, or legacy). */
  verified: boolean;
  lastMac: string | undefined;
  /** Bytes of the complete lines; what follows is a torn last line (a crash mid-write), ignored. */
  length: number;
}

/**
 * What the journal is read for, which decides the advice when it is refused: `undo` (the journal `--undo` names),
 * or `append` (the journal a run resumes: bulk's, or undo's own).
 */
export type JournalUse = "undo" | "append";

export interface ReadJournalOptions<R> {
  target: Target;
  kind: JournalHeader["kind"];
  use: JournalUse;
  /** The user's key, asked for only when there is a journal to check. */
  key: () => JournalKey;
  /** --trust-journal: accept a journal of another key, or of an older idlink, unchecked. */
  trust?: boolean;
  /** Stop after the header (a quick check before confirmation). */
  headerOnly?: boolean;
  onRecord?(record: R): void;
}

const moveAside = "pairs already linked are found by the check before each link and never linked twice.";

function advice(use: JournalUse, problem: "edited" | "foreign" | "legacy" | "other"): string {
  if (use === "append") {
    return problem === "foreign"
      ? `Resume the run as the user, on the machine, that started it; or give this run a new journal (--journal F): ${moveAside}`
      : `Give this run a new journal (--journal F), or move this one away: ${moveAside}`;
  }
  switch (problem) {
    case "edited":
      return "A journal is never edited: undo from the journal as the run left it (a backup?), or check and unlink pairs one at a time with idlink unlink.";
    case "foreign":
      return "Undo as the user, on the machine, that ran the bulk run. If you copied this journal from there yourself and it is unchanged, pass --trust-journal: its tenant is still checked, and each pair is read before it is unlinked.";
    case "legacy":
      return "If it is the unchanged journal of a run on the tenant you undo on, pass --trust-journal: each pair is read before it is unlinked.";
    default:
      return "--undo takes the journal of a bulk run (<pairs file>.journal.jsonl).";
  }
}

const edited = (
  name: string,
  line: number,
  use: JournalUse,
  what = "its MAC does not match what idlink wrote",
) =>
  new UsageError(
    `${name} line ${line} has been changed, removed or moved: ${what} (the lines before it are intact).`,
    advice(use, "edited"),
  );

/**
 * Reads a journal line by line (it grows to two lines a pair: never read whole), checking the chain of MACs with
 * the user's key, and hands each record, without its MAC, to `onRecord`. Refuses (UsageError, before anything is
 * sent) a journal with a changed, removed, inserted or swapped line — naming the first bad line —, one of another
 * kind, one made with another key or by an older idlink (unless trusted), and a link at the path. A torn last line
 * (no line end: a crash mid-write) is ignored; a missing file is empty.
 */
export async function readJournal<R>(options: ReadJournalOptions<R>): Promise<JournalState> {
  const { target, use } = options;
  const name = target.name;
  const state: JournalState = {
    empty: true,
    header: undefined,
    legacy: false,
    verified: true,
    lastMac: undefined,
    length: 0,
  };
  const handle: FileHandle | undefined =
    use === "undo" ? await openFollowing(target) : await openReadNoFollow(target);
  if (handle === undefined) return state;
  let key: JournalKey | undefined;
  let lineNo = 0;
  let done = false;
  const take = (line: string) => {
    lineNo++;
    const bytes = Buffer.byteLength(line, "utf8") + 1;
    if (line.trim() === "") {
      state.length += bytes;
      return;
    }
    if (state.empty) {
      let first: unknown;
      try {
        first = JSON.parse(line);
      } catch {
        throw new UsageError(
          `${name} is not an idlink journal: line ${lineNo} is not a journal record.`,
          advice(use, "other"),
        );
      }
      if (typeof first !== "object" || first === null || Array.isArray(first)) {
        throw new UsageError(
          `${name} is not an idlink journal: line ${lineNo} is not a journal record.`,
          advice(use, "other"),
        );
      }
      const record = first as Record<string, unknown>;
      if (record.type === "journal") {
        const header = record as unknown as JournalHeader & { mac?: unknown };
        if (header.version !== 2) {
          throw new UsageError(
            `${name} was written by another idlink version (journal version ${String(header.version)}).`,
            "Use the idlink version that wrote it.",
          );
        }
        if (header.kind !== options.kind) {
          throw new UsageError(
            header.kind === "undo"
              ? `${name} is the journal of an undo, not of a bulk run.`
              : `${name} is the journal of a bulk run, not of an undo.`,
            use === "undo" ? advice(use, "other") : "Give this run a journal of its own (--journal F).",
          );
        }
        key = options.key();
        if (header.key === key.id) {
          const m = checkLine(line, key.secret, chainSeed);
          if (m === undefined) throw edited(name, lineNo, use, "the header's MAC does not match");
          state.lastMac = m;
        } else if (options.trust && use === "undo") {
          state.verified = false;
        } else {
          throw new UsageError(
            `${name} was made with another journal key (by idlink of another user or on another machine): your key (${key.path}) cannot check it for edits.`,
            advice(use, "foreign"),
          );
        }
        const { mac: _mac, ...rest } = header;
        state.header = rest as JournalHeader;
      } else if (!("mac" in record)) {
        if (!(options.trust && use === "undo")) {
          throw new UsageError(
            `${name} was written by an older idlink: no header names its tenant and its lines carry no MAC, so it can be neither checked for edits nor tied to a tenant.`,
            advice(use, "legacy"),
          );
        }
        state.legacy = true;
        state.verified = false;
        options.onRecord?.(record as R);
      } else {
        throw edited(name, lineNo, use, "it should be the journal's header");
      }
      state.empty = false;
      state.length += bytes;
      if (options.headerOnly) done = true;
      return;
    }
    let record: Record<string, unknown>;
    if (state.verified) {
      const m = checkLine(line, (key as JournalKey).secret, state.lastMac as string);
      if (m === undefined) throw edited(name, lineNo, use);
      state.lastMac = m;
      record = JSON.parse(line.replace(sealed, "}")) as Record<string, unknown>;
    } else {
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new UsageError(
          `${name} line ${lineNo} is not a journal record.`,
          "Restore the journal as the run left it.",
        );
      }
      delete record.mac;
    }
    if (record.type === "journal") throw edited(name, lineNo, use, "a second header");
    state.length += bytes;
    options.onRecord?.(record as R);
  };
  try {
    let rest = "";
    for await (const chunk of handle.createReadStream({ encoding: "utf8", highWaterMark: 256 * 1024 })) {
      const text = rest + (chunk as string);
      let start = 0;
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        take(text.slice(start, end));
        start = end + 1;
        if (done) return state;
      }
      rest = text.slice(start);
    }
    // `rest`: a torn last line (no line end), ignored: its record was never acknowledged.
    return state;
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The MAC of a sealed line when it checks out after `previous`, else undefined. */
function checkLine(line: string, key: Buffer, previous: string): string | undefined {
  const match = sealed.exec(line);
  if (!match?.[1]) return undefined;
  const given = Buffer.from(match[1], "hex");
  const body = `${line.slice(0, match.index)}}`;
  const expected = mac(key, previous, body);
  if (!timingSafeEqual(given, Buffer.from(expected, "hex"))) return undefined;
  try {
    JSON.parse(body);
  } catch {
    return undefined;
  }
  return expected;
}

/** The journal `--undo` names is only read: a link to it is followed. */
async function openFollowing(target: Target): Promise<FileHandle> {
  const cannot = (why: string) =>
    new UsageError(
      `Cannot read ${target.name}${why}.`,
      "Give the journal of a bulk run (<pairs file>.journal.jsonl).",
    );
  let handle: FileHandle;
  try {
    handle = await open(target.path, "r");
  } catch (error) {
    const code = codeOf(error);
    throw cannot(code === "ENOENT" ? "" : `: ${code === "EACCES" ? "permission denied" : (code ?? "error")}`);
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw cannot(": not a regular file");
  }
  return handle;
}

/**
 * Refuses a journal whose header names another tenant than the connection's, naming both, before anything is
 * sent: a journal is only resumed or undone where its run worked.
 */
export function checkTenant(state: JournalState, tenant: TenantRef, name: string, use: JournalUse): void {
  const theirs = state.header?.tenant;
  if (theirs === undefined) return;
  if (theirs.origin === tenant.origin && theirs.audience === tenant.audience) return;
  const what =
    theirs.origin === tenant.origin
      ? `the Management API ${theirs.audience}, but this connection is to ${tenant.audience}`
      : `${theirs.origin}, but this connection is to ${tenant.origin}`;
  throw new UsageError(
    `${name} belongs to the run of another tenant: it was made on ${what}.`,
    use === "undo"
      ? `Undo it on ${theirs.origin} (--domain, AUTH0_DOMAIN or --tenant): a journal is only undone on the tenant its run linked on.`
      : `Resume it on ${theirs.origin}, or give this run its own journal (--journal F).`,
  );
}

/** What a bulk journal says about each pair it names: the journal index, the one thing a run keeps per pair. */
export async function loadJournal(
  options: Omit<ReadJournalOptions<JournalRecord>, "onRecord" | "kind">,
): Promise<{ state: Map<string, PairState>; journal: JournalState }> {
  const state = new Map<string, PairState>();
  const journal = await readJournal<JournalRecord>({
    ...options,
    kind: "bulk",
    onRecord(record) {
      if (record.type === "started") state.set(record.key, "unknown");
      else if (record.type === "outcome") {
        state.set(
          record.key,
          record.status === "linked" || record.status === "already_linked"
            ? "done"
            : record.status === "failed" || record.status === "blocked"
              ? "failed"
              : "unknown",
        );
      }
    },
  });
  return { state, journal };
}

/**
 * An append-only journal with group commit: records appended in the same turn of the event loop are written
 * together and fsync'd once; each append resolves only when its record is on disk. Each line is sealed with the
 * user's key, chained to the one before.
 */
export class Journal<R extends { type: string } = JournalRecord> {
  private readonly fd: number;
  private queue: { line: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private closed = false;
  private lastMac: string;

  /**
   * Opens the journal `readJournal` read as `state` (O_APPEND, O_NOFOLLOW, 0600), dropping a torn last line; a
   * new one starts with its header, written and fsync'd before this returns.
   */
  constructor(
    readonly target: Target,
    private readonly key: JournalKey,
    state: JournalState,
    header: Pick<JournalHeader, "kind" | "run" | "tenant"> & { undoes?: string | null },
  ) {
    if (!state.empty && (!state.verified || state.header?.key !== key.id)) {
      throw new Error(`${target.name}: only a journal checked with this user's key is appended to`);
    }
    this.fd = openAppend(target);
    try {
      if (fstatSync(this.fd).size > state.length) ftruncateSync(this.fd, state.length);
      if (state.empty) {
        const record: JournalHeader = {
          type: "journal",
          version: 2,
          ...header,
          key: key.id,
          at: new Date().toISOString(),
        };
        const first = seal(key.secret, chainSeed, record);
        writeSync(this.fd, first.line);
        fsyncSync(this.fd);
        this.lastMac = first.mac;
      } else {
        this.lastMac = state.lastMac as string;
      }
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  append(record: R): Promise<void> {
    if (this.closed) return Promise.reject(new Error("journal is closed"));
    const { line, mac: m } = seal(this.key.secret, this.lastMac, record);
    this.lastMac = m;
    return new Promise((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      writeSync(this.fd, batch.map((b) => b.line).join(""));
      fsyncSync(this.fd);
      for (const b of batch) b.resolve();
    } catch (error) {
      for (const b of batch) b.reject(error);
    }
  }

  /** Writes what is queued and closes the file. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
}
