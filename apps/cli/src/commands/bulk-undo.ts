import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Journal } from "../bulk/journal.ts";
import {
  loadUndoJournal,
  pairsLinkedBy,
  type UndoRecord,
  type UndoResult,
  type UndoStatus,
  undoPairs,
} from "../bulk/undo.ts";
import type { CommandInput } from "../command-spec.ts";
import type { CommandContext } from "../context.ts";
import { createClient, resolveConnection } from "../credentials.ts";
import { ExitCode } from "../exit-codes.ts";
import type { bulkSpec } from "../specs/bulk.ts";
import { confirmAndLock } from "./journal-lock.ts";

type BulkFlags = CommandInput<typeof bulkSpec>["flags"];

import { UsageError } from "../usage-error.ts";

/** What undo cannot give back, said before anything is sent (Auth0: unlinking recreates a user without metadata). */
export const undoCannotRestore =
  "Undo unlinks; it cannot restore what linking discarded. Each unlinked identity comes back as a new user " +
  "built from its profile data, with no user_metadata or app_metadata, no roles or permissions, and no sessions; " +
  "metadata merged into a primary stays there.";

/** `idlink bulk --undo JOURNAL`: unlinks what a bulk run linked, under its own journal and lock, resumably. */
export async function bulkUndo(
  { journalFile, flags }: { journalFile: string; flags: BulkFlags },
  ctx: CommandContext,
): Promise<number> {
  const { io, output } = ctx;
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new UsageError(`--concurrency ${flags.concurrency}: give a whole number from 1 to 32.`);
  }
  const sourcePath = resolve(io.cwd, journalFile);
  let text: string;
  try {
    text = readFileSync(sourcePath, "utf8");
  } catch {
    throw new UsageError(
      `Cannot read ${journalFile}.`,
      "Give the journal of a bulk run (<pairs file>.journal.jsonl).",
    );
  }
  const pairs = pairsLinkedBy(text);
  const undoPath = resolve(io.cwd, flags.journal ?? `${journalFile.replace(/\.jsonl$/i, "")}.undo.jsonl`);
  if (undoPath === sourcePath) throw new UsageError("--journal must differ from the journal being undone.");
  const state = await loadUndoJournal(undoPath);
  const done = pairs.filter((p) => state.get(p.key) === "done").length;
  const pending = pairs
    .filter((p) => state.get(p.key) !== "done")
    .map((pair) => ({ pair, reconcile: state.get(pair.key) === "unknown" }));

  const s = output.out;
  output.line(`${s.bold("Undo")} of ${journalFile}: ${pairs.length} pairs the run linked`);
  output.line(`  done (undo journal)  ${done}`);
  output.line(`  to unlink            ${pending.length}`);
  output.line(`  ${s.yellow("warning:")} ${undoCannotRestore}`);
  const plan = {
    journal: sourcePath,
    undoJournal: undoPath,
    pairs: pairs.length,
    alreadyUndone: done,
    toUnlink: pending.length,
    cannotRestore: undoCannotRestore,
  };
  if (flags.dryRun) {
    output.line("Dry run: nothing was sent.");
    if (output.json) output.document({ ok: true, dryRun: true, ...plan });
    return ExitCode.ok;
  }
  if (pending.length === 0) {
    output.line("Nothing to undo.");
    if (output.json) output.document({ ok: true, ...plan, unlinked: 0, notLinked: 0, failed: [] });
    return ExitCode.ok;
  }
  const connection = await resolveConnection(flags, io);
  const lock = await confirmAndLock(
    ctx,
    `Unlink ${pending.length} identities on ${connection.tenant.origin}?`,
    undoPath,
    flags.yes,
  );
  if (typeof lock === "number") return lock;
  const journal = new Journal<UndoRecord>(undoPath);
  const counts: Record<UndoStatus, number> = { unlinked: 0, not_linked: 0, failed: 0, unknown: 0 };
  const failures: UndoResult[] = [];
  try {
    await journal.append({
      type: "undo-run",
      at: new Date().toISOString(),
      pid: io.pid,
      journal: sourcePath,
      pairs: pairs.length,
    });
    const client = createClient(connection, { retry: { maxRetries: 30, maxWaitMs: 10 * 60_000 } });
    await undoPairs({
      client,
      journal,
      pending,
      concurrency,
      stop: io.interrupt,
      onResult(result) {
        counts[result.status]++;
        if (result.status === "failed" || result.status === "unknown") failures.push(result);
        if (!io.stderrIsTTY || result.status !== "unlinked") {
          output.note(
            `${result.status.replace("_", " ")} ${result.pair.secondary} ← ${result.pair.primary}${result.reason ? `: ${result.reason}` : ""}`,
          );
        }
      },
    });
    const interrupted = io.interrupt.aborted;
    await journal.append({ type: "end", at: new Date().toISOString(), interrupted, counts });
    const summary = {
      ok: !interrupted && failures.length === 0,
      ...plan,
      unlinked: counts.unlinked,
      notLinked: counts.not_linked,
      failed: failures.map((f) => ({
        primary: f.pair.primary,
        secondary: f.pair.secondary,
        status: f.status,
        reason: f.reason ?? "",
      })),
      interrupted,
    };
    output.line(`  unlinked             ${s.green(String(counts.unlinked))}`);
    if (counts.not_linked > 0) output.line(`  not linked           ${counts.not_linked}`);
    output.line(`  failed               ${failures.length > 0 ? s.red(String(failures.length)) : "0"}`);
    output.line(`Undo journal: ${undoPath}`);
    if (interrupted) output.line("Interrupted: run the same command to resume.");
    if (output.json) output.document(summary);
    if (interrupted) return ExitCode.interrupted;
    return summary.ok ? ExitCode.ok : ExitCode.partialFailure;
  } finally {
    journal.close();
    lock.release();
  }
}
