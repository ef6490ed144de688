import { resolve } from "node:path";
import { Journal, loadJournal, type OutcomeStatus, type PairState } from "../bulk/journal.ts";
import { acquireLock, LockedError } from "../bulk/lock.ts";
import { createProgress } from "../bulk/progress.ts";
import { detectFormat, type ParsedRows, parseRows, type Row } from "../bulk/rows.ts";
import { type PendingRow, type RowResult, runRows } from "../bulk/runner.ts";
import type { Handler } from "../command-spec.ts";
import { confirm } from "../confirm.ts";
import type { CommandContext } from "../context.ts";
import { createClient, readFileFor, resolveConnection } from "../credentials.ts";
import { writeCsv } from "../csv.ts";
import { ExitCode } from "../exit-codes.ts";
import type { bulkSpec } from "../specs/bulk.ts";
import { UsageError } from "../usage-error.ts";

const maxIssuesShown = 20;

/** `idlink bulk`: validate every row, then link the pairs resumably under a journal and a lock. */
export const run: Handler<typeof bulkSpec> = async ({ args: [file], flags }, ctx) => {
  if (flags.undo !== undefined) {
    if (file !== undefined) throw new UsageError("--undo takes a journal, not a pairs file: drop the file.");
    if (flags.csv !== undefined) {
      throw new UsageError("--csv writes the rows of a bulk run, not of --undo: drop --csv.");
    }
    return (await import("./bulk-undo.ts")).bulkUndo({ journalFile: flags.undo, flags }, ctx);
  }
  if (file === undefined) throw new UsageError("bulk needs a pairs file (or --undo JOURNAL).");
  const { io, output } = ctx;
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new UsageError(`--concurrency ${flags.concurrency}: give a whole number from 1 to 32.`);
  }
  const path = resolve(io.cwd, file);
  const text = await readFileFor(file, io, "bulk");
  const parsed = parseRows(text, detectFormat(file, text, flags.format));
  const journalPath = resolve(io.cwd, flags.journal ?? `${file}.journal.jsonl`);
  if (parsed.total === 0) throw new UsageError(`${file} has no rows.`);
  if (parsed.issues.length > 0 && !flags.skipInvalid && !flags.dryRun) {
    const n = parsed.issues.length;
    throw new UsageError(
      `${file} has ${n} invalid row${n === 1 ? "" : "s"}${n > maxIssuesShown ? ` (first ${maxIssuesShown} shown)` : ""}.`,
      "Fix them, or pass --skip-invalid to link the valid rows only (--dry-run lists them all).",
      parsed.issues
        .slice(0, maxIssuesShown)
        .map((i) => ({ path: `row ${i.row} (line ${i.line}) ${i.path}`, message: i.message })),
    );
  }

  const csvPath = flags.csv === undefined ? undefined : resolve(io.cwd, flags.csv);
  if (flags.dryRun) return dryRun(parsed, loadJournal(journalPath), { file, journalPath, csvPath }, ctx);

  const connection = await resolveConnection(flags, io);
  if (!(await confirm(io, `Link ${parsed.rows.length} pairs on ${connection.origin}?`, flags.yes))) {
    output.note("Nothing was sent.");
    if (output.json) output.document({ ok: false, exitCode: ExitCode.declined, declined: true });
    return ExitCode.declined;
  }
  let lock: ReturnType<typeof acquireLock>;
  try {
    lock = acquireLock(`${journalPath}.lock`, io.pid);
  } catch (error) {
    if (!(error instanceof LockedError)) throw error;
    output.error(`${output.err.red("error:")} ${error.message}`);
    output.error(
      `${output.err.dim("hint:")} Wait for it to finish (or stop it); a lock left by a dead process is taken over.`,
    );
    if (output.json) {
      output.document({
        ok: false,
        exitCode: ExitCode.locked,
        error: { title: "Journal locked", message: error.message },
      });
    }
    return ExitCode.locked;
  }
  try {
    if (lock.takenOverFrom !== undefined) {
      output.note(`Took over the lock of a run that is no longer alive (pid ${lock.takenOverFrom}).`);
    }
    const state = loadJournal(journalPath);
    const pending: PendingRow[] = [];
    let skippedDone = 0;
    for (const row of parsed.rows) {
      const s = state.get(row.key);
      if (s === "done") skippedDone++;
      else pending.push({ row, reconcile: s === "unknown" });
    }
    const journal = new Journal(journalPath);
    const counts: Record<OutcomeStatus, number> = { linked: 0, already_linked: 0, failed: 0, unknown: 0 };
    const failures: RowResult[] = [];
    const results = new Map<string, RowResult>();
    const progress = createProgress(io, output, pending.length);
    try {
      await journal.append({
        type: "run",
        at: new Date().toISOString(),
        pid: io.pid,
        file: path,
        rows: parsed.rows.length,
      });
      const client = createClient(connection, { retry: { maxRetries: 30, maxWaitMs: 10 * 60_000 } });
      await runRows({
        client,
        journal,
        pending,
        concurrency,
        stop: io.interrupt,
        onResult(result) {
          counts[result.status]++;
          if (result.status === "failed" || result.status === "unknown") failures.push(result);
          if (csvPath !== undefined) results.set(result.row.key, result);
          progress.update(result, counts, client.rateLimit);
        },
      });
      const interrupted = io.interrupt.aborted;
      await journal.append({ type: "end", at: new Date().toISOString(), interrupted, counts });
      progress.done();
      const notRun = pending.length - Object.values(counts).reduce((a, b) => a + b, 0);
      const summary = {
        ok: !interrupted && counts.failed + counts.unknown === 0,
        file,
        journal: journalPath,
        rows: parsed.total,
        linked: counts.linked,
        alreadyLinked: counts.already_linked + skippedDone,
        alreadyDoneInJournal: skippedDone,
        failed: failures
          .sort((a, b) => a.row.row - b.row.row)
          .map((f) => ({
            row: f.row.row,
            primary: f.row.primary,
            secondary: f.row.secondary,
            status: f.status,
            reason: f.reason ?? "",
          })),
        invalid: parsed.issues.map((i) => ({ row: i.row, line: i.line, field: i.path, message: i.message })),
        notRun,
        interrupted,
        ...(csvPath === undefined ? {} : { csvFile: csvPath }),
      };
      if (csvPath !== undefined) {
        await writeRowsCsv(csvPath, parsed, (row) => {
          const result = results.get(row.key);
          if (result) return [result.status, result.via, result.reason];
          return state.get(row.key) === "done" ? ["done_before", "journal"] : ["not_run"];
        });
      }
      printSummary(summary, ctx);
      if (interrupted) return ExitCode.interrupted;
      return summary.ok && parsed.issues.length === 0 ? ExitCode.ok : ExitCode.partialFailure;
    } finally {
      journal.close();
    }
  } finally {
    lock.release();
  }
};

async function dryRun(
  parsed: ParsedRows,
  state: Map<string, PairState>,
  paths: { file: string; journalPath: string; csvPath: string | undefined },
  { output }: CommandContext,
): Promise<number> {
  let done = 0;
  let reconcile = 0;
  let retry = 0;
  for (const row of parsed.rows) {
    const s = state.get(row.key);
    if (s === "done") done++;
    else if (s === "unknown") reconcile++;
    else if (s === "failed") retry++;
  }
  const plan = {
    ok: parsed.issues.length === 0,
    dryRun: true,
    file: paths.file,
    journal: paths.journalPath,
    rows: parsed.total,
    valid: parsed.rows.length,
    invalid: parsed.issues.map((i) => ({ row: i.row, line: i.line, field: i.path, message: i.message })),
    alreadyDone: done,
    toReconcile: reconcile,
    toRetry: retry,
    toLink: parsed.rows.length - done - reconcile - retry,
    ...(paths.csvPath === undefined ? {} : { csvFile: paths.csvPath }),
  };
  if (paths.csvPath !== undefined) {
    const planned = { done: "done_before", unknown: "to_reconcile", failed: "to_retry" } as const;
    await writeRowsCsv(paths.csvPath, parsed, (row) => {
      const s = state.get(row.key);
      return [s === undefined ? "to_link" : planned[s]];
    });
  }
  const s = output.out;
  output.line(`${s.bold("Dry run")} of ${paths.file}: nothing will be sent.`);
  output.line(`  rows            ${plan.rows}`);
  output.line(`  valid           ${plan.valid}`);
  output.line(
    `  invalid         ${plan.invalid.length}${plan.invalid.length > 0 ? " (skipped only with --skip-invalid)" : ""}`,
  );
  output.line(`  done (journal)  ${done}`);
  output.line(
    `  to reconcile    ${reconcile}  (outcome unknown: the primary's identities will be read first)`,
  );
  output.line(`  to retry        ${retry}  (failed before)`);
  output.line(`  to link         ${plan.toLink}`);
  for (const i of plan.invalid.slice(0, maxIssuesShown)) {
    output.line(`  ${s.red("invalid")} row ${i.row} (line ${i.line}) ${i.field}: ${i.message}`);
  }
  if (paths.csvPath !== undefined) output.line(`CSV: ${paths.csvPath}`);
  if (output.json) output.document(plan);
  return plan.ok ? ExitCode.ok : ExitCode.usage;
}

const csvHeader = ["row", "line", "primary", "secondary", "status", "via", "reason"] as const;

/** Every data row of the file, in its order, with what became of it (or what will) — for a spreadsheet. */
async function writeRowsCsv(
  path: string,
  parsed: ParsedRows,
  outcome: (row: Row) => [status: string, via?: string, reason?: string],
): Promise<void> {
  const invalid = new Map<number, { line: number; reasons: string[] }>();
  for (const i of parsed.issues) {
    const entry = invalid.get(i.row) ?? { line: i.line, reasons: [] };
    entry.reasons.push(`${i.path}: ${i.message}`);
    invalid.set(i.row, entry);
  }
  const records = [
    ...parsed.rows.map((row) => [row.row, row.line, row.primary, row.secondary, ...outcome(row)] as const),
    ...[...invalid].map(
      ([row, i]) => [row, i.line, undefined, undefined, "invalid", undefined, i.reasons.join("; ")] as const,
    ),
  ];
  records.sort((a, b) => a[0] - b[0]);
  await writeCsv(path, csvHeader, records);
}

interface Summary {
  ok: boolean;
  file: string;
  journal: string;
  rows: number;
  linked: number;
  alreadyLinked: number;
  alreadyDoneInJournal: number;
  failed: { row: number; primary: string; secondary: string; status: string; reason: string }[];
  invalid: { row: number; line: number; field: string; message: string }[];
  notRun: number;
  interrupted: boolean;
  csvFile?: string;
}

function printSummary(summary: Summary, { output }: CommandContext): void {
  const s = output.out;
  output.line(
    `${s.bold("Bulk link")} ${summary.file}: ${summary.rows} rows${summary.interrupted ? s.yellow(" — interrupted") : ""}`,
  );
  output.line(`  linked          ${s.green(String(summary.linked))}`);
  output.line(
    `  already linked  ${summary.alreadyLinked}${summary.alreadyDoneInJournal ? ` (${summary.alreadyDoneInJournal} done by an earlier run)` : ""}`,
  );
  output.line(`  failed          ${summary.failed.length > 0 ? s.red(String(summary.failed.length)) : "0"}`);
  if (summary.invalid.length > 0) output.line(`  invalid         ${summary.invalid.length} (skipped)`);
  if (summary.notRun > 0) output.line(`  not run         ${summary.notRun} (run again to resume)`);
  for (const f of summary.failed.slice(0, 50)) {
    output.line(`  ${s.red(f.status)} row ${f.row} ${f.secondary} → ${f.primary}: ${f.reason}`);
  }
  if (summary.failed.length > 50)
    output.line(`  … and ${summary.failed.length - 50} more (see --json or the journal)`);
  output.line(`Journal: ${summary.journal}`);
  if (summary.csvFile !== undefined) output.line(`CSV: ${summary.csvFile}`);
  if (summary.interrupted)
    output.line(
      "Interrupted: in-flight requests finished and the journal is flushed; run the same command to resume.",
    );
  if (output.json) output.document(summary);
}
