import {
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
  via: "link" | "409" | "reconcile";
  reason?: string;
}

export interface RunOptions {
  client: ManagementClient;
  journal: Journal;
  pending: PendingRow[];
  concurrency: number;
  /** Stop taking new rows; in-flight ones finish. */
  stop: AbortSignal;
  onResult(result: RowResult): void;
  /** Attempts per row after unknown outcomes and rate limits. */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Links the pending rows with bounded concurrency. Each link is journalled `started` before it is sent and its
 * outcome after; an unknown outcome (5xx, dropped connection) is settled by reading the primary's identities, so a
 * pair is never linked twice. Rate limits are handled by the shared client, which pauses every call on a 429.
 */
export async function runRows(options: RunOptions): Promise<void> {
  const queue = [...options.pending];
  const worker = async () => {
    while (!options.stop.aborted) {
      const next = queue.shift();
      if (!next) return;
      options.onResult(await processRow(next, options));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
}

async function processRow(pending: PendingRow, options: RunOptions): Promise<RowResult> {
  const { client, journal } = options;
  const { row } = pending;
  const sleep = options.sleep ?? defaultSleep;
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
        await sleep(backoff(attempt));
        continue;
      }
      reconcile = false;
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
        await sleep((error.retryAfter ?? 1) * 1000);
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
    const definite = error instanceof ManagementApiError && error.status !== 429 && error.status < 500;
    return { reason: reasonOf(error), definite };
  }
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
