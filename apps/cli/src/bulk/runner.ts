import { setTimeout as delay } from "node:timers/promises";
import {
  checkLink,
  describeError,
  holdsLinked,
  ManagementApiError,
  type ManagementClient,
  type Metadata,
  mergeMetadata,
  OutcomeUnknownError,
  type User,
} from "@idlink/core";
import { type Journal, type KeptMetadata, keptMetadataBytes, type OutcomeStatus } from "./journal.ts";
import { digest } from "./restore.ts";
import type { Row } from "./rows.ts";

export interface PendingRow {
  row: Row;
  /** The journal left this pair's outcome unknown: read the primary before linking. */
  reconcile: boolean;
}

export interface RowResult {
  row: Row;
  status: OutcomeStatus;
  via: "link" | "409" | "reconcile" | "check" | "merge";
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
  /** Keep each secondary's metadata, as read before its link, in the journal for --undo (default true). */
  keepMetadata?: boolean;
  /** --merge-metadata: copy the secondary's user_metadata keys the primary lacks onto it before the link. */
  mergeMetadata?: boolean;
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
 * linked is counted so. Each link is journalled `started` before it is sent — with the secondary's metadata that
 * read found, which the link discards, for --undo — and its outcome after; an unknown outcome (5xx, dropped
 * connection) is settled by reading the primary's identities, so a pair is never linked twice. Rate limits are
 * handled by the shared client's pacer, which pauses every call on a 429.
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
  /** What --merge-metadata added to the primary over every attempt of this row: keys, and digests of the values. */
  const merged: Record<string, string> = {};
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
    // The client as checkLink and mergeMetadata see it, keeping the users they read: the secondary read just
    // before the link holds the metadata the link discards.
    const reads = new Map<string, User>();
    const seen: ManagementClient = Object.create(client, {
      getUser: {
        value: async (id: string) => {
          const user = await client.getUser(id);
          reads.set(id, user);
          return user;
        },
      },
    });
    try {
      const check = await checkLink(seen, row.primary, row.secondary);
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
    if (options.mergeMetadata) {
      try {
        const keys = await mergeMetadata(seen, row.primary, row.secondary);
        const from = reads.get(row.secondary)?.user_metadata ?? {};
        for (const k of keys) merged[k] = digest(from[k]);
      } catch (error) {
        if (error instanceof OutcomeUnknownError) {
          // Applied or not, the next attempt's merge finds these keys on the primary and adds nothing: they are
          // kept as written, for --undo to remove where they still hold these values.
          for (const [k, value] of Object.entries(
            additions(reads.get(row.primary), reads.get(row.secondary)),
          )) {
            merged[k] = digest(value);
          }
        } else if (isDefinite(error)) {
          return finish("failed", "merge", reasonOf(error));
        }
        lastReason = reasonOf(error);
        if (!(await sleep(backoff(attempt)))) return undefined;
        continue;
      }
    }
    const kept = options.keepMetadata === false ? undefined : keep(reads.get(row.secondary));
    await journal.append({
      type: "started",
      at: now(),
      ...base,
      ...(options.keepMetadata === false ? { kept: { omitted: "not_kept" } } : kept ? { kept } : {}),
      ...(Object.keys(merged).length > 0 ? { merged } : {}),
    });
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

/** The secondary's metadata as the journal keeps it: whole, or `too_large` past `keptMetadataBytes`. */
function keep(secondary: User | undefined): KeptMetadata | undefined {
  if (secondary === undefined) return undefined;
  const metadata = {
    user_metadata: secondary.user_metadata ?? {},
    app_metadata: secondary.app_metadata ?? {},
  };
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  return bytes > keptMetadataBytes ? { omitted: "too_large", bytes } : metadata;
}

/** The user_metadata core's `mergeMetadata` adds to `primary` from `secondary` (the keys the primary lacks), as read. */
function additions(primary: User | undefined, secondary: User | undefined): Metadata {
  const mine = primary?.user_metadata ?? {};
  return Object.fromEntries(
    Object.entries(secondary?.user_metadata ?? {}).filter(([k]) => !Object.hasOwn(mine, k)),
  );
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
