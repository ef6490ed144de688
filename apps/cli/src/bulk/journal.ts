import { closeSync, createReadStream, fsyncSync, openSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";

/** `blocked`: core's check before the link refused the pair (never sent); like `failed`, tried again on resume. */
export type OutcomeStatus = "linked" | "already_linked" | "blocked" | "failed" | "unknown";

/** One line of the journal (`<file>.journal.jsonl`), appended and fsync'd, never rewritten. */
export type JournalRecord =
  | { type: "run"; at: string; pid: number; file: string; rows: number }
  | { type: "started"; at: string; key: string; row: number; primary: string; secondary: string }
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
       * outcome, or the check before the link (reading the secondary).
       */
      via: "link" | "409" | "reconcile" | "check";
      reason?: string;
    }
  | { type: "end"; at: string; interrupted: boolean; counts: Record<OutcomeStatus, number> };

/** What the journal says about a pair: done, failed (definitely not applied), or unknown (must reconcile). */
export type PairState = "done" | "failed" | "unknown";

/**
 * The records of a journal, streamed line by line (a journal grows to two lines a pair: it is never read whole). A
 * torn last line (a crash mid-write) and blank lines are skipped; a missing file has none.
 */
export async function* readJournal<R>(path: string): AsyncGenerator<R> {
  const stream = createReadStream(path, { encoding: "utf8" });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.trim() === "") continue;
      try {
        yield JSON.parse(line) as R;
      } catch {
        // torn
      }
    }
  } catch (error) {
    if (typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT") return;
    throw error;
  } finally {
    stream.destroy();
  }
}

/** What a journal says about each pair it names: the journal index, the one thing a run keeps per pair. */
export async function loadJournal(path: string): Promise<Map<string, PairState>> {
  const state = new Map<string, PairState>();
  for await (const record of readJournal<JournalRecord>(path)) {
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
  }
  return state;
}

/**
 * An append-only journal with group commit: records appended in the same turn of the event loop are written
 * together and fsync'd once; each append resolves only when its record is on disk.
 */
export class Journal<R extends { type: string } = JournalRecord> {
  private readonly fd: number;
  private queue: { line: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private closed = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a", 0o600);
  }

  append(record: R): Promise<void> {
    if (this.closed) return Promise.reject(new Error("journal is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ line: `${JSON.stringify(record)}\n`, resolve, reject });
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
