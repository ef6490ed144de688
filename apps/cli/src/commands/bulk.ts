import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import {
  checkTenant,
  Journal,
  type JournalHeader,
  loadJournal,
  type OutcomeStatus,
  type PairState,
  readJournal,
  tenantOf,
} from "../bulk/journal.ts";
import { type JournalKey, loadJournalKey } from "../bulk/journal-key.ts";
import { createProgress } from "../bulk/progress.ts";
import {
  detectFormat,
  type Format,
  fileSource,
  type Row,
  readHead,
  type Source,
  type Validation,
  validateRows,
  validRows,
} from "../bulk/rows.ts";
import { type PendingRow, type RowResult, runRows } from "../bulk/runner.ts";
import type { Handler } from "../command-spec.ts";
import type { CommandContext } from "../context.ts";
import { createClient, resolveConnection, unreadable } from "../credentials.ts";
import { writeCsv } from "../csv.ts";
import { ExitCode } from "../exit-codes.ts";
import { checkTarget, type Target } from "../files.ts";
import type { bulkSpec } from "../specs/bulk.ts";
import { UsageError } from "../usage-error.ts";
import { confirmAndLock, lockTakeovers } from "./journal-lock.ts";

const maxIssuesShown = 20;

/** `idlink bulk`: validate every row, then link the pairs resumably under a journal and a lock. */
export const run: Handler<typeof bulkSpec> = async ({ args: [file], flags }, ctx) => {
  if (flags.undo !== undefined) {
    if (file !== undefined) throw new UsageError("--undo takes a journal, not a pairs file: drop the file.");
    if (flags.csv !== undefined) {
      throw new UsageError("--csv writes the rows of a bulk run, not of --undo: drop --csv.");
    }
    for (const [given, flag] of [
      [flags.mergeMetadata, "--merge-metadata"],
      [flags.noKeepMetadata, "--no-keep-metadata"],
    ] as const) {
      if (given) {
        throw new UsageError(
          `${flag} goes with a bulk run, not --undo: drop it.`,
          "--undo gives back what the run's journal kept, and removes what its --merge-metadata added.",
        );
      }
    }
    return (await import("./bulk-undo.ts")).bulkUndo({ journalFile: flags.undo, flags }, ctx);
  }
  if (file === undefined) throw new UsageError("bulk needs a pairs file (or --undo JOURNAL).");
  if (flags.trustJournal) {
    throw new UsageError(
      "--trust-journal goes with --undo: a bulk run resumes only a journal your key checks.",
      "Drop --trust-journal; to start afresh beside a journal made elsewhere, give this run its own (--journal F).",
    );
  }
  const { io, output } = ctx;
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new UsageError(`--concurrency ${flags.concurrency}: give a whole number from 1 to 32.`);
  }
  const path = resolve(io.cwd, file);
  const head = await readHead(path).catch((error: unknown) => {
    throw unreadable(file, "bulk", error);
  });
  const format = detectFormat(file, head, flags.format);
  // The file is streamed, pass after pass, never held: a run keeps the journal's index and the secondaries seen.
  const source = fileSource(path);
  const parsed = await validateRows(source, format);
  const journalPath = resolve(io.cwd, flags.journal ?? `${file}.journal.jsonl`);
  const journalTarget: Target = {
    path: journalPath,
    name: flags.journal === undefined ? `journal ${file}.journal.jsonl` : `--journal ${flags.journal}`,
  };
  if (journalPath === path) {
    throw new UsageError(
      `--journal ${flags.journal} is the pairs file.`,
      "Give the journal a file of its own.",
    );
  }
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
  const csvTarget: Target | undefined =
    csvPath === undefined ? undefined : { path: csvPath, name: `--csv ${flags.csv}` };
  if (csvPath === path || csvPath === journalPath) {
    throw new UsageError(
      `--csv ${flags.csv} is the ${csvPath === path ? "pairs file" : "journal"}: it would be replaced.`,
      "Give the CSV file a path of its own.",
    );
  }
  // Every file this run writes is checked before anything is sent: no link or other non-file in their place.
  await checkTarget(journalTarget);
  if (csvTarget !== undefined) await checkTarget(csvTarget);
  let journalKey: JournalKey | undefined;
  const key = () => {
    journalKey ??= loadJournalKey(io.env.credentials, io.cwd);
    return journalKey;
  };
  const journalOptions = { target: journalTarget, use: "append", key } as const;
  if (flags.dryRun) {
    const { state, journal } = await loadJournal(journalOptions);
    const counts = await countStates(source, format, parsed, state);
    return dryRun(
      source,
      format,
      parsed,
      state,
      counts,
      {
        file,
        journalPath,
        csvTarget,
        header: journal.header,
        keepMetadata: !flags.noKeepMetadata,
        mergeMetadata: flags.mergeMetadata === true,
      },
      ctx,
    );
  }

  const connection = await resolveConnection(flags, io);
  const tenant = tenantOf(connection);
  // The journal's header before the question: a journal of another tenant or key is refused now, not after "yes".
  checkTenant(
    await readJournal({ ...journalOptions, kind: "bulk", headerOnly: true }),
    tenant,
    journalTarget.name,
    "append",
  );
  const lock = await confirmAndLock(
    ctx,
    `Link ${parsed.valid} pairs on ${connection.tenant.origin}?`,
    journalPath,
    flags.yes,
  );
  if (typeof lock === "number") return lock;
  try {
    const { state, journal: contents } = await loadJournal(journalOptions);
    checkTenant(contents, tenant, journalTarget.name, "append");
    const skippedDone = (await countStates(source, format, parsed, state)).done;
    const toRun = parsed.valid - skippedDone;
    async function* pending(): AsyncGenerator<PendingRow> {
      for await (const row of validRows(source, format, parsed)) {
        const s = state.get(row.key);
        if (s !== "done") yield { row, reconcile: s === "unknown" };
      }
    }
    const journal = new Journal(journalTarget, key(), contents, {
      kind: "bulk",
      run: contents.header?.run ?? randomUUID(),
      tenant,
    });
    const counts: Record<OutcomeStatus, number> = {
      linked: 0,
      already_linked: 0,
      blocked: 0,
      failed: 0,
      unknown: 0,
    };
    const failures: RowResult[] = [];
    // Only --csv keeps every row's outcome (the file lists them all); a run without it keeps none.
    const results = new Map<string, RowResult>();
    const progress = createProgress(io, output, toRun);
    try {
      await journal.append({
        type: "run",
        at: new Date().toISOString(),
        pid: io.pid,
        file: path,
        rows: parsed.valid,
      });
      const client = createClient(connection, { retry: { maxRetries: 30, maxWaitMs: 10 * 60_000 } });
      await runRows({
        client,
        journal,
        pending: pending(),
        concurrency,
        stop: io.interrupt,
        onResult(result) {
          counts[result.status]++;
          if (result.status !== "linked" && result.status !== "already_linked") failures.push(result);
          if (csvPath !== undefined) results.set(result.row.key, result);
          progress.update(counts, client.rateLimit);
        },
        keepMetadata: !flags.noKeepMetadata,
        mergeMetadata: flags.mergeMetadata === true,
      });
      const interrupted = io.interrupt.aborted;
      await journal.append({ type: "end", at: new Date().toISOString(), interrupted, counts });
      progress.done();
      const notRun = toRun - Object.values(counts).reduce((a, b) => a + b, 0);
      const summary = {
        ok: !interrupted && failures.length === 0,
        file,
        journal: journalPath,
        rows: parsed.total,
        linked: counts.linked,
        alreadyLinked: counts.already_linked + skippedDone,
        alreadyDoneInJournal: skippedDone,
        blocked: counts.blocked,
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
        metadata: flags.noKeepMetadata ? ("not_kept" as const) : ("kept" as const),
        ...(csvPath === undefined ? {} : { csvFile: csvPath }),
        ...lockTakeovers(lock),
      };
      if (csvTarget !== undefined) {
        await writeRowsCsv(csvTarget, validRows(source, format, parsed), parsed, (row) => {
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

interface StateCounts {
  done: number;
  reconcile: number;
  retry: number;
}

/** How many valid rows the journal has done, left unknown (to reconcile) or failed (to retry): one more pass. */
async function countStates(
  source: Source,
  format: Format,
  validation: Validation,
  state: Map<string, PairState>,
): Promise<StateCounts> {
  const counts = { done: 0, reconcile: 0, retry: 0 };
  if (state.size === 0) return counts;
  for await (const row of validRows(source, format, validation)) {
    const s = state.get(row.key);
    if (s === "done") counts.done++;
    else if (s === "unknown") counts.reconcile++;
    else if (s === "failed") counts.retry++;
  }
  return counts;
}

async function dryRun(
  source: Source,
  format: Format,
  parsed: Validation,
  state: Map<string, PairState>,
  { done, reconcile, retry }: StateCounts,
  paths: {
    file: string;
    journalPath: string;
    csvTarget: Target | undefined;
    header: JournalHeader | undefined;
    keepMetadata: boolean;
    mergeMetadata: boolean;
  },
  { output }: CommandContext,
): Promise<number> {
  const plan = {
    ok: parsed.issues.length === 0,
    dryRun: true,
    file: paths.file,
    journal: paths.journalPath,
    rows: parsed.total,
    valid: parsed.valid,
    invalid: parsed.issues.map((i) => ({ row: i.row, line: i.line, field: i.path, message: i.message })),
    alreadyDone: done,
    toReconcile: reconcile,
    toRetry: retry,
    toLink: parsed.valid - done - reconcile - retry,
    metadata: paths.keepMetadata ? ("kept" as const) : ("not_kept" as const),
    mergeMetadata: paths.mergeMetadata,
    ...(paths.header === undefined ? {} : { journalTenant: paths.header.tenant.origin }),
    ...(paths.csvTarget === undefined ? {} : { csvFile: paths.csvTarget.path }),
  };
  if (paths.csvTarget !== undefined) {
    const planned = { done: "done_before", unknown: "to_reconcile", failed: "to_retry" } as const;
    await writeRowsCsv(paths.csvTarget, validRows(source, format, parsed), parsed, (row) => {
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
  if (paths.header !== undefined) output.line(`  journal of      ${paths.header.tenant.origin}`);
  output.line(`  done (journal)  ${done}`);
  output.line(
    `  to reconcile    ${reconcile}  (outcome unknown: the primary's identities will be read first)`,
  );
  output.line(`  to retry        ${retry}  (failed or blocked before)`);
  output.line(`  to link         ${plan.toLink}`);
  output.line(
    "Before each link the secondary is read (two requests a row, paced to the tenant's rate limit); a row whose " +
      "secondary is missing, is an identity linked into another user (Auth0 would move that whole user), holds " +
      "linked identities, or has an unverified email is reported as blocked and not sent.",
  );
  output.line(
    !paths.keepMetadata
      ? "The journal keeps no metadata (--no-keep-metadata): --undo will unlink, and cannot give the secondaries' metadata back."
      : "The journal keeps each secondary's user_metadata and app_metadata as read before its link (Auth0 discards them): --undo writes them back. It is personal data, in a file only you can read; --no-keep-metadata keeps none.",
  );
  if (paths.mergeMetadata) {
    output.line(
      "--merge-metadata: before each link, the secondary's user_metadata keys the primary lacks are copied onto it (two more reads and a write a row); --undo removes them where they still hold the values written.",
    );
  }
  for (const i of plan.invalid.slice(0, maxIssuesShown)) {
    output.line(`  ${s.red("invalid")} row ${i.row} (line ${i.line}) ${i.field}: ${i.message}`);
  }
  if (paths.csvTarget !== undefined) output.line(`CSV: ${paths.csvTarget.path}`);
  if (output.json) output.document(plan);
  return plan.ok ? ExitCode.ok : ExitCode.usage;
}

const csvHeader = ["row", "line", "primary", "secondary", "status", "via", "reason"] as const;

/** Every data row of the file, in its order, with what became of it (or what will) — for a spreadsheet. */
async function writeRowsCsv(
  target: Target,
  rows: AsyncIterable<Row>,
  parsed: Validation,
  outcome: (row: Row) => [status: string, via?: string, reason?: string],
): Promise<void> {
  const invalid = new Map<number, { line: number; reasons: string[] }>();
  for (const i of parsed.issues) {
    const entry = invalid.get(i.row) ?? { line: i.line, reasons: [] };
    entry.reasons.push(`${i.path}: ${i.message}`);
    invalid.set(i.row, entry);
  }
  const records: (readonly [number, number, ...(string | undefined)[]])[] = [];
  for await (const row of rows)
    records.push([row.row, row.line, row.primary, row.secondary, ...outcome(row)]);
  for (const [row, i] of invalid) {
    records.push([row, i.line, undefined, undefined, "invalid", undefined, i.reasons.join("; ")]);
  }
  records.sort((a, b) => a[0] - b[0]);
  await writeCsv(target, csvHeader, records);
}

interface Summary {
  ok: boolean;
  file: string;
  journal: string;
  rows: number;
  linked: number;
  alreadyLinked: number;
  alreadyDoneInJournal: number;
  /** Rows core's check refused before linking (never sent); they are listed in `failed` with status "blocked". */
  blocked: number;
  failed: { row: number; primary: string; secondary: string; status: string; reason: string }[];
  invalid: { row: number; line: number; field: string; message: string }[];
  notRun: number;
  interrupted: boolean;
  /** Whether the journal kept each secondary's metadata for --undo (--no-keep-metadata: not). */
  metadata: "kept" | "not_kept";
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
  if (summary.blocked > 0) {
    output.line(`  blocked         ${s.yellow(String(summary.blocked))} (checked before linking: not sent)`);
  }
  const failed = summary.failed.length - summary.blocked;
  output.line(`  failed          ${failed > 0 ? s.red(String(failed)) : "0"}`);
  if (summary.invalid.length > 0) output.line(`  invalid         ${summary.invalid.length} (skipped)`);
  if (summary.notRun > 0) output.line(`  not run         ${summary.notRun} (run again to resume)`);
  for (const f of summary.failed.slice(0, 50)) {
    output.line(`  ${s.red(f.status)} row ${f.row} ${f.secondary} → ${f.primary}: ${f.reason}`);
  }
  if (summary.failed.length > 50)
    output.line(`  … and ${summary.failed.length - 50} more (see --json or the journal)`);
  output.line(
    `Journal: ${summary.journal}${summary.metadata === "kept" ? " (it keeps each secondary's metadata for --undo: personal data, mode 600)" : ""}`,
  );
  if (summary.csvFile !== undefined) output.line(`CSV: ${summary.csvFile}`);
  if (summary.interrupted)
    output.line(
      "Interrupted: in-flight requests finished and the journal is flushed; run the same command to resume.",
    );
  if (output.json) output.document(summary);
}
