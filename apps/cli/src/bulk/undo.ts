import { setTimeout as sleep } from "node:timers/promises";
import { describeError, ManagementApiError, type ManagementClient, OutcomeUnknownError } from "@idlink/core";
import {
  type Journal,
  type JournalRecord,
  type JournalState,
  type ReadJournalOptions,
  readJournal,
} from "./journal.ts";
import { pairKey } from "./rows.ts";
import { runPool } from "./runner.ts";

/** A pair a bulk run linked, to unlink. */
export interface UndoPair {
  key: string;
  primary: string;
  secondary: string;
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
  | { type: "end"; at: string; interrupted: boolean; counts: Record<UndoStatus, number> };

/**
 * Collects the pairs a bulk journal says its run linked, as `readJournal` hands its (checked) records over:
 * outcomes `linked`, and `already_linked` found by reading the primary after an outcome of its own link was unknown
 * (that link went through). `already_linked` from a 409 or from the check before the link was there before the run
 * and is left alone. Order: as linked.
 */
export function linkedPairsCollector(): { onRecord(record: JournalRecord): void; pairs(): UndoPair[] } {
  const linked = new Map<string, UndoPair>();
  return {
    onRecord(record) {
      if (record.type !== "outcome") return;
      const ours =
        record.status === "linked" || (record.status === "already_linked" && record.via === "reconcile");
      if (ours && typeof record.primary === "string" && typeof record.secondary === "string") {
        linked.set(pairKey(record.primary, record.secondary), {
          key: pairKey(record.primary, record.secondary),
          primary: record.primary,
          secondary: record.secondary,
        });
      }
    },
    pairs: () => [...linked.values()],
  };
}

/** What an undo journal says about each pair: done (unlinked or not linked), failed, or unknown. */
export async function loadUndoJournal(
  options: Omit<ReadJournalOptions<UndoRecord>, "onRecord" | "kind">,
): Promise<{ state: Map<string, "done" | "failed" | "unknown">; journal: JournalState }> {
  const state = new Map<string, "done" | "failed" | "unknown">();
  const journal = await readJournal<UndoRecord>({
    ...options,
    kind: "undo",
    onRecord(record) {
      if (record.type === "started") state.set(record.key, "unknown");
      if (record.type === "outcome") {
        state.set(
          record.key,
          record.status === "unlinked" || record.status === "not_linked"
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
}

const now = () => new Date().toISOString();
const holds = (identities: { provider?: string; user_id?: string | number }[], secondary: string) =>
  identities.slice(1).some((i) => `${i.provider}|${i.user_id}` === secondary);

/**
 * Unlinks each pair with bounded concurrency, journalled `started` before the call and its outcome after. An
 * unknown outcome (5xx, dropped connection) is settled by reading the primary, so a resume never guesses.
 */
export async function undoPairs(options: {
  client: ManagementClient;
  journal: Journal<UndoRecord>;
  pending: { pair: UndoPair; reconcile: boolean }[];
  concurrency: number;
  stop: AbortSignal;
  onResult(result: UndoResult): void;
  maxAttempts?: number;
}): Promise<void> {
  await runPool({
    items: options.pending,
    concurrency: options.concurrency,
    stop: options.stop,
    work: (next) => undoOne(next.pair, next.reconcile, options),
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
        return reconcile
          ? finish("unlinked", "reconcile")
          : finish(
              "not_linked",
              "check",
              `${pair.secondary} is no longer linked to ${pair.primary}: left alone`,
            );
      }
      reconcile = false;
      await journal.append({ type: "started", at: now(), ...base });
      sent = true;
      const remaining = await client.unlink(pair.primary, pair.secondary);
      return finish(holds(remaining, pair.secondary) ? "failed" : "unlinked", "unlink");
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

function reasonOf(error: unknown): string {
  if (error instanceof ManagementApiError) return `${error.status} ${error.apiMessage}`;
  return describeError(error).message;
}
