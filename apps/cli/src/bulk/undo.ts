import { setTimeout as sleep } from "node:timers/promises";
import {
  describeError,
  ManagementApiError,
  type ManagementClient,
  OutcomeUnknownError,
  type User,
} from "@idlink/core";
import {
  type Journal,
  type JournalRecord,
  type JournalState,
  type KeptMetadata,
  type ReadJournalOptions,
  readJournal,
} from "./journal.ts";
import { type RestoreReport, restoreMetadata, TransientRestoreError } from "./restore.ts";
import { pairKey } from "./rows.ts";
import { runPool } from "./runner.ts";

/** A pair a bulk run linked, to unlink, with what its journal kept to give back (see `restoreMetadata`). */
export interface UndoPair {
  key: string;
  primary: string;
  secondary: string;
  /** The secondary's metadata as read before the link; undefined in a journal of an earlier idlink. */
  kept?: KeptMetadata;
  /** What --merge-metadata added to the primary before the link: keys, and digests of the values written. */
  merged?: Record<string, string>;
}

export type UndoStatus = "unlinked" | "not_linked" | "failed" | "unknown";

/** One line of an undo journal (`<journal>.undo.jsonl`), appended and fsync'd, never rewritten. */
export type UndoRecord =
  | { type: "undo-run"; at: string; pid: number; journal: string; pairs: number }
  | { type: "started"; at: string; key: string; primary: string; secondary: string }
  | {
      type: "outcome";
      at: string;
      key: string;
      primary: string;
      secondary: string;
      status: UndoStatus;
      /** `check`: the read before the unlink found the pair no longer linked; nothing sent. */
      via: "unlink" | "reconcile" | "check";
      reason?: string;
    }
  /** After an `unlinked` outcome: what was given back (see `RestoreReport`). Absent: still to do on a resume. */
  | ({ type: "restored"; at: string; key: string; primary: string; secondary: string } & RestoreReport)
  | { type: "end"; at: string; interrupted: boolean; counts: Record<UndoStatus, number> };

/**
 * Collects the pairs a bulk journal says its run linked, as `readJournal` hands its (checked) records over:
 * outcomes `linked`, and `already_linked` found by reading the primary after an outcome of its own link was unknown
 * (that link went through). `already_linked` from a 409 or from the check before the link was there before the run
 * and is left alone. Each pair carries the metadata its last `started` record kept (the read closest to the link),
 * and everything --merge-metadata added over its attempts. Order: as linked.
 */
export function linkedPairsCollector(): { onRecord(record: JournalRecord): void; pairs(): UndoPair[] } {
  const linked = new Map<string, UndoPair>();
  /** What the `started` records of pairs not yet settled kept. */
  const started = new Map<string, { kept?: KeptMetadata; merged?: Record<string, string> }>();
  return {
    onRecord(record) {
      if (record.type === "started") {
        const before = started.get(record.key);
        const merged = { ...before?.merged, ...record.merged };
        started.set(record.key, {
          ...(record.kept ? { kept: record.kept } : before?.kept ? { kept: before.kept } : {}),
          ...(Object.keys(merged).length > 0 ? { merged } : {}),
        });
        return;
      }
      if (record.type !== "outcome" || record.status === "unknown") return;
      const ours =
        record.status === "linked" || (record.status === "already_linked" && record.via === "reconcile");
      const kept = started.get(record.key);
      started.delete(record.key);
      if (ours && typeof record.primary === "string" && typeof record.secondary === "string") {
        const key = pairKey(record.primary, record.secondary);
        linked.set(key, { key, primary: record.primary, secondary: record.secondary, ...kept });
      }
    },
    pairs: () => [...linked.values()],
  };
}

/**
 * What an undo journal says about each pair: `done` (unlinked and given back, or not linked), `restore` (unlinked,
 * its metadata still to give back: a resume does only that), `failed`, or `unknown` (to reconcile).
 */
export type UndoState = "done" | "restore" | "failed" | "unknown";

export async function loadUndoJournal(
  options: Omit<ReadJournalOptions<UndoRecord>, "onRecord" | "kind">,
): Promise<{ state: Map<string, UndoState>; journal: JournalState }> {
  const state = new Map<string, UndoState>();
  const journal = await readJournal<UndoRecord>({
    ...options,
    kind: "undo",
    onRecord(record) {
      if (record.type === "started") state.set(record.key, "unknown");
      if (record.type === "restored") state.set(record.key, "done");
      if (record.type === "outcome") {
        state.set(
          record.key,
          record.status === "unlinked"
            ? "restore"
            : record.status === "not_linked"
              ? "done"
              : record.status === "failed"
                ? "failed"
                : "unknown",
        );
      }
    },
  });
  return { state, journal };
}

export interface UndoResult {
  pair: UndoPair;
  status: UndoStatus;
  reason?: string;
  /** After an unlink: what was given back; `pending` when that could not be finished (a resume does it). */
  restore?: RestoreReport | "pending";
  /** Unlinked by an earlier undo run: only given back by this one. */
  restoreOnly?: boolean;
}

const now = () => new Date().toISOString();
const holds = (identities: { provider?: string; user_id?: string | number }[], secondary: string) =>
  identities.slice(1).some((i) => `${i.provider}|${i.user_id}` === secondary);

/**
 * Unlinks each pair with bounded concurrency, journalled `started` before the call and its outcome after, then
 * gives back its metadata (`restoreMetadata`), journalled `restored`. An unknown outcome (5xx, dropped connection)
 * is settled by reading the primary, so a resume never guesses; a pair unlinked but not yet given back
 * (`restoreOnly`) is only given back.
 */
export async function undoPairs(options: {
  client: ManagementClient;
  journal: Journal<UndoRecord>;
  pending: { pair: UndoPair; reconcile: boolean; restoreOnly?: boolean }[];
  concurrency: number;
  stop: AbortSignal;
  onResult(result: UndoResult): void;
  maxAttempts?: number;
}): Promise<void> {
  await runPool({
    items: options.pending,
    concurrency: options.concurrency,
    stop: options.stop,
    work: (next) =>
      next.restoreOnly
        ? restoreOne(next.pair, undefined, options, true)
        : undoOne(next.pair, next.reconcile, options),
    onResult: options.onResult,
  });
}

async function undoOne(
  pair: UndoPair,
  reconcileFirst: boolean,
  options: {
    client: ManagementClient;
    journal: Journal<UndoRecord>;
    stop: AbortSignal;
    maxAttempts?: number;
  },
): Promise<UndoResult | undefined> {
  const { client, journal } = options;
  const base = { key: pair.key, primary: pair.primary, secondary: pair.secondary };
  const finish = async (status: UndoStatus, via: "unlink" | "reconcile" | "check", reason?: string) => {
    await journal.append({ type: "outcome", at: now(), ...base, status, via, ...(reason ? { reason } : {}) });
    return { pair, status, ...(reason ? { reason } : {}) };
  };
  let reconcile = reconcileFirst;
  let lastReason = "no attempt";
  for (let attempt = 0; attempt < (options.maxAttempts ?? 6); attempt++) {
    let sent = false;
    try {
      // Read before every unlink: only a pair still linked as the run left it (the secondary among the primary's
      // linked identities) is unlinked. After an unknown outcome of our own unlink, its absence means that went
      // through; otherwise the pair was changed since the run (unlinked by hand, never linked here): left alone.
      const user = await client.getUser(pair.primary);
      if (!holds(user.identities ?? [], pair.secondary)) {
        if (reconcile) {
          await finish("unlinked", "reconcile");
          return restoreOne(pair, user, options);
        }
        return finish(
          "not_linked",
          "check",
          `${pair.secondary} is no longer linked to ${pair.primary}: left alone`,
        );
      }
      reconcile = false;
      await journal.append({ type: "started", at: now(), ...base });
      sent = true;
      const remaining = await client.unlink(pair.primary, pair.secondary);
      if (holds(remaining, pair.secondary)) return finish("failed", "unlink");
      await finish("unlinked", "unlink");
      return restoreOne(pair, user, options);
    } catch (error) {
      lastReason = reasonOf(error);
      if (error instanceof OutcomeUnknownError) {
        // Only an unlink of ours whose answer was lost makes the pair's absence mean "unlinked".
        if (sent) reconcile = true;
        continue;
      }
      if (error instanceof ManagementApiError && error.status === 404) {
        return finish("not_linked", sent ? "unlink" : "check", `${pair.primary} no longer exists`);
      }
      if (error instanceof ManagementApiError && (error.status === 429 || error.status >= 500)) {
        if (sent && error.status >= 500) reconcile = true;
        // Ctrl-C during the wait: the pair stays as the undo journal has it, for the next run.
        const waited = await sleep((error.retryAfter ?? 1) * 1000, undefined, { signal: options.stop }).then(
          () => true,
          () => false,
        );
        if (!waited) return undefined;
        continue;
      }
      return finish("failed", reconcile ? "reconcile" : "unlink", lastReason);
    }
  }
  return finish("unknown", "reconcile", `gave up: ${lastReason}`);
}

/**
 * Gives back an unlinked pair's metadata (see `restoreMetadata`) and journals what was and was not. Transient
 * failures are tried again; past the attempts, or on Ctrl-C, the result says `pending` and nothing is journalled,
 * so the next run gives it back. `primary`: as read before the unlink.
 */
async function restoreOne(
  pair: UndoPair,
  primary: User | undefined,
  options: {
    client: ManagementClient;
    journal: Journal<UndoRecord>;
    stop: AbortSignal;
    maxAttempts?: number;
  },
  restoreOnly = false,
): Promise<UndoResult> {
  const done = restoreOnly ? { restoreOnly } : {};
  const { client, journal } = options;
  let lastReason = "no attempt";
  for (let attempt = 0; attempt < (options.maxAttempts ?? 6); attempt++) {
    let report: RestoreReport;
    try {
      report = await restoreMetadata(client, pair, attempt === 0 ? primary : undefined);
    } catch (error) {
      if (!(error instanceof TransientRestoreError)) throw error;
      lastReason = error.message;
      if (attempt + 1 === (options.maxAttempts ?? 6)) break;
      const waited = await sleep(Math.min(5000, 200 * 2 ** attempt), undefined, {
        signal: options.stop,
      }).then(
        () => true,
        () => false,
      );
      if (!waited) break;
      continue;
    }
    await journal.append({
      type: "restored",
      at: now(),
      key: pair.key,
      primary: pair.primary,
      secondary: pair.secondary,
      ...report,
    });
    return { pair, status: "unlinked", restore: report, ...done };
  }
  return {
    pair,
    status: "unlinked",
    ...done,
    restore: "pending",
    reason: `its metadata is not given back yet (${lastReason}): run the undo again`,
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof ManagementApiError) return `${error.status} ${error.apiMessage}`;
  return describeError(error).message;
}
