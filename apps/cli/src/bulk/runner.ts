import { setTimeout as delay } from "node:timers/promises";
import {
  checkLink,
  describeError,
  holdsLinked,
  ManagementApiError,
  type ManagementClient,
  OutcomeUnknownError,
} from "@idlink/core";
import type { Journal, OutcomeStatus } from "./journal.ts";
import type { Row } from "./rows.ts";

export interface PendingRow {
  row: Row;
  /** The journal left this pair's outcome unknown: read the primary before linking. */
  reconcile: boolean;
}

export interface RowResult {
  row: Row;
  status: OutcomeStatus;
  via: "link" | "409" | "reconcile" | "check";
  reason?: string;
}

export interface RunOptions {
  client: ManagementClient;
  journal: Journal;
  /** Read as the workers take them: a file's rows can stream through without being held. */
  pending: Iterable<PendingRow> | AsyncIterable<PendingRow>;
  concurrency: number;
  /** Stop taking new rows; in-flight ones finish, or end at once while they wait to try again. */
  stop: AbortSignal;
  onResult(result: RowResult): void;
  /** Attempts per row after unknown outcomes and rate limits. */
  maxAttempts?: number;
}

/**
 * Runs `work` on each item with at most `concurrency` at a time, taking items as workers free up (the items are
 * never gathered into an array), until they run out or `stop` aborts. `work` answers undefined for an item it left
 * without a result (stopped while waiting); the others go to `onResult` as they come.
 */
export async function runPool<T, R>(options: {
  items: Iterable<T> | AsyncIterable<T>;
  concurrency: number;
  stop: AbortSignal;
  work(item: T): Promise<R | undefined>;
  onResult(result: R): void;
}): Promise<void> {
  const items = options.items;
  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const worker = async () => {
    while (!options.stop.aborted) {
      const next = await iterator.next();
      if (next.done) return;
      const result = await options.work(next.value);
      if (result !== undefined) options.onResult(result);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  } finally {
    await iterator.return?.();
  }
}

/**
 * Links the pending rows with bounded concurrency. Before each link core's `checkLink` reads the secondary (one
 * request, paced like every other): a row it blocks — a secondary that is no user of its own or holds linked
 * identities, whose link Auth0 would answer by moving a whole user — is reported and never sent; a pair already
 * linked is counted so. Each link is journalled `started` before it is sent and its outcome after; an unknown
 * outcome (5xx, dropped connection) is settled by reading the primary's identities, so a pair is never linked
 * twice. Rate limits are handled by the shared client's pacer, which pauses every call on a 429.
 */
export async function runRows(options: RunOptions): Promise<void> {
  await runPool({
    items: options.pending,
    concurrency: options.concurrency,
    stop: options.stop,
    work: (pending) => processRow(pending, options),
    onResult: options.onResult,
  });
}

async function processRow(pending: PendingRow, options: RunOptions): Promise<RowResult | undefined> {
  const { client, journal, stop } = options;
  const { row } = pending;
  /** False when Ctrl-C came during the wait: the row is left as the journal has it, for the next run. */
  const sleep = (ms: number) =>
    delay(ms, undefined, { signal: stop }).then(
      () => true,
      () => false,
    );
  const maxAttempts = options.maxAttempts ?? 6;
  const base = { key: row.key, row: row.row, primary: row.primary, secondary: row.secondary };
  const finish = async (
    status: OutcomeStatus,
    via: RowResult["via"],
    reason?: string,
  ): Promise<RowResult> => {
    await journal.append({ type: "outcome", at: now(), ...base, status, via, ...(reason ? { reason } : {}) });
    return { row, status, via, ...(reason ? { reason } : {}) };
  };
  let reconcile = pending.reconcile;
  let lastReason = "no attempt";
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (reconcile) {
      const found = await secondaryIsIn(client, row);
      if (found === true) return finish("already_linked", "reconcile");
      if (typeof found === "object") {
        if (found.definite) return finish("failed", "reconcile", found.reason);
        lastReason = found.reason;
        if (!(await sleep(backoff(attempt)))) return undefined;
        continue;
      }
      reconcile = false;
    }
    try {
      const check = await checkLink(client, row.primary, row.secondary);
      if (check.verdict === "already_linked") return finish("already_linked", "check");
      if (check.verdict === "blocked") {
        return finish("blocked", "check", check.blockers.map((b) => b.message).join("; "));
      }
    } catch (error) {
      if (isDefinite(error)) return finish("failed", "check", reasonOf(error));
      lastReason = reasonOf(error);
      if (!(await sleep(backoff(attempt)))) return undefined;
      continue;
    }
    await journal.append({ type: "started", at: now(), ...base });
    try {
      await client.link(row.primary, row.body);
      return finish("linked", "link");
    } catch (error) {
      if (error instanceof OutcomeUnknownError) {
        lastReason = describeError(error).message;
        await journal.append({
          type: "outcome",
          at: now(),
          ...base,
          status: "unknown",
          via: "link",
          reason: lastReason,
        });
        reconcile = true;
        continue;
      }
      if (error instanceof ManagementApiError && error.status === 409) {
        // Auth0 says the identity is linked somewhere: only this primary's identities say whether it is here.
        const found = await secondaryIsIn(client, row);
        if (found === true) return finish("already_linked", "409");
        if (found === false)
          return finish("failed", "409", `${row.secondary} is already linked to another user`);
        lastReason = found.reason;
        reconcile = true;
        continue;
      }
      if (error instanceof ManagementApiError && error.status === 429) {
        lastReason = "rate limited";
        if (!(await sleep((error.retryAfter ?? 1) * 1000))) return undefined;
        continue;
      }
      return finish("failed", "link", reasonOf(error));
    }
  }
  return finish("unknown", "reconcile", `gave up after ${maxAttempts} attempts: ${lastReason}`);
}

/** true / false when the primary was read; otherwise why not, and whether retrying could help. */
async function secondaryIsIn(
  client: ManagementClient,
  row: Row,
): Promise<boolean | { reason: string; definite: boolean }> {
  try {
    return holdsLinked(await client.getUser(row.primary), row.secondary);
  } catch (error) {
    return { reason: reasonOf(error), definite: isDefinite(error) };
  }
}

/** An answer that trying again will not change (a 4xx but 429); a 5xx, 429 or a network error might. */
function isDefinite(error: unknown): boolean {
  return error instanceof ManagementApiError && error.status !== 429 && error.status < 500;
}

function reasonOf(error: unknown): string {
  const d = describeError(error);
  if (error instanceof ManagementApiError) return `${error.status} ${error.apiMessage}`;
  return d.issues ? d.issues.map((i) => `${i.path}: ${i.message}`).join("; ") : d.message;
}

function backoff(attempt: number): number {
  return Math.min(5000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

const now = () => new Date().toISOString();
