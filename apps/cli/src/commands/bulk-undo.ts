import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { checkTenant, Journal, type JournalState, readJournal, tenantOf } from "../bulk/journal.ts";
import { type JournalKey, loadJournalKey } from "../bulk/journal-key.ts";
import type { RestoreReport } from "../bulk/restore.ts";
import {
  linkedPairsCollector,
  loadUndoJournal,
  type UndoPair,
  type UndoRecord,
  type UndoResult,
  type UndoState,
  type UndoStatus,
  undoPairs,
} from "../bulk/undo.ts";
import type { CommandInput } from "../command-spec.ts";
import type { CommandContext } from "../context.ts";
import { createClient, resolveConnection } from "../credentials.ts";
import { ExitCode } from "../exit-codes.ts";
import { checkTarget, type Target } from "../files.ts";
import type { bulkSpec } from "../specs/bulk.ts";
import { UsageError } from "../usage-error.ts";
import { confirmAndLock, lockTakeovers } from "./journal-lock.ts";

type BulkFlags = CommandInput<typeof bulkSpec>["flags"];

/**
 * What undo gives back and what it cannot, said before anything is sent. Auth0 recreates an unlinked identity as a
 * new user "with no metadata" (main/docs/manage-users/user-accounts/user-account-linking/unlink-user-accounts.mdx in
 * auth0/docs-v2), built from the identity alone: what belonged to the old user object is not the identity's.
 */
export const undoCannotRestore =
  "Undo unlinks each pair; Auth0 recreates the unlinked identity as a new user of the same id, built from its " +
  "identity's profile data. Undo then writes back the user_metadata and app_metadata the run's journal kept of it, " +
  "and removes from the primary what --merge-metadata added there (only keys still holding the values written). " +
  "Auth0 cannot give back what belonged to the old user rather than to its identity: its roles and permissions, " +
  "sessions and refresh tokens, MFA enrollments, organization memberships, a block, and its created_at, " +
  "logins_count and last_login.";

/**
 * `idlink bulk --undo JOURNAL`: unlinks what a bulk run linked, under its own journal and lock, resumably. The
 * journal must check out with the user's key (or be trusted with --trust-journal) and belong to the connection's
 * tenant; each pair is read first and unlinked only while still linked as the run left it.
 */
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
  const undoFile = flags.journal ?? `${journalFile.replace(/\.jsonl$/i, "")}.undo.jsonl`;
  const undoPath = resolve(io.cwd, undoFile);
  if (undoPath === sourcePath) throw new UsageError("--journal must differ from the journal being undone.");
  const undoTarget: Target = {
    path: undoPath,
    name: flags.journal === undefined ? `undo journal ${undoFile}` : `--journal ${undoFile}`,
  };
  await checkTarget(undoTarget);
  let journalKey: JournalKey | undefined;
  const key = () => {
    journalKey ??= loadJournalKey(io.env.credentials, io.cwd);
    return journalKey;
  };

  // The whole journal is checked before anything else: a changed line, another tenant's or key's journal is
  // refused here, before any request.
  const collector = linkedPairsCollector();
  const source = await readJournal({
    target: { path: sourcePath, name: journalFile },
    kind: "bulk",
    use: "undo",
    key,
    trust: flags.trustJournal === true,
    onRecord: collector.onRecord,
  });
  const pairs = collector.pairs();
  const undoOptions = { target: undoTarget, use: "append", key } as const;
  const undone = await loadUndoJournal(undoOptions);
  checkUndoJournal(undone.journal, source, undoTarget.name, journalFile);
  const pendingOf = (state: Map<string, UndoState>) =>
    pairs
      .filter((p) => state.get(p.key) !== "done")
      .map((pair: UndoPair) => ({
        pair,
        reconcile: state.get(pair.key) === "unknown",
        restoreOnly: state.get(pair.key) === "restore",
      }));
  const done = pairs.filter((p) => undone.state.get(p.key) === "done").length;
  let pending = pendingOf(undone.state);
  const toRestore = pending.filter((p) => p.restoreOnly).length;
  const kept = pairs.filter((p) => p.kept !== undefined && !("omitted" in p.kept)).length;

  const s = output.out;
  output.line(`${s.bold("Undo")} of ${journalFile}: ${pairs.length} pairs the run linked`);
  const header = source.header;
  output.line(
    `  tenant               ${header === undefined ? "not named (a journal of an older idlink)" : `${header.tenant.origin} (run ${header.run})`}`,
  );
  if (!source.verified) {
    output.note(
      `${output.err.yellow("warning:")} ${journalFile} is taken on trust (--trust-journal): ${
        source.legacy
          ? "it was written by an older idlink, names no tenant and carries no MACs"
          : "it was made with another key, so it is not checked for edits"
      }. Each pair is still read before it is unlinked.`,
    );
  } else if (flags.trustJournal) {
    output.note(`${journalFile} checks out with your key: --trust-journal was not needed.`);
  }
  output.line(`  done (undo journal)  ${done}`);
  output.line(`  to unlink            ${pending.length - toRestore}`);
  if (toRestore > 0) {
    output.line(
      `  to give back         ${toRestore}  (unlinked by an earlier undo, metadata still to write back)`,
    );
  }
  output.line(`  metadata kept        ${kept} of ${pairs.length} pairs`);
  output.line(`  ${s.yellow("note:")} ${undoCannotRestore}`);
  const plan = {
    journal: sourcePath,
    undoJournal: undoPath,
    tenant: header?.tenant.origin ?? null,
    run: header?.run ?? null,
    trusted: !source.verified,
    pairs: pairs.length,
    alreadyUndone: done,
    toUnlink: pending.length - toRestore,
    toRestore,
    metadataKept: kept,
    cannotRestore: undoCannotRestore,
  };
  if (flags.dryRun) {
    output.line("Dry run: nothing was sent.");
    if (output.json) output.document({ ok: true, dryRun: true, ...plan });
    return ExitCode.ok;
  }
  if (pending.length === 0) {
    output.line("Nothing to undo.");
    if (output.json) {
      output.document({
        ok: true,
        ...plan,
        unlinked: 0,
        notLinked: 0,
        failed: [],
        restored: 0,
        notRestored: [],
      });
    }
    return ExitCode.ok;
  }
  const connection = await resolveConnection(flags, io);
  const tenant = tenantOf(connection);
  // Before any request: the journal is undone only on the tenant its run linked on.
  checkTenant(source, tenant, journalFile, "undo");
  checkTenant(undone.journal, tenant, undoTarget.name, "append");
  if (source.legacy) {
    output.note(
      `${output.err.yellow("warning:")} ${journalFile} names no tenant: it will be undone on ${tenant.origin}.`,
    );
  }
  const lock = await confirmAndLock(
    ctx,
    `Unlink ${pending.length - toRestore} identities on ${connection.tenant.origin}${toRestore > 0 ? ` and give back ${toRestore} unlinked before` : ""}?`,
    undoPath,
    flags.yes,
  );
  if (typeof lock === "number") return lock;
  let journal: Journal<UndoRecord>;
  try {
    // Read again under the lock: what another undo did meanwhile, and where the chain ends.
    const fresh = await loadUndoJournal(undoOptions);
    checkUndoJournal(fresh.journal, source, undoTarget.name, journalFile);
    checkTenant(fresh.journal, tenant, undoTarget.name, "append");
    pending = pendingOf(fresh.state);
    journal = new Journal<UndoRecord>(undoTarget, key(), fresh.journal, {
      kind: "undo",
      run: fresh.journal.header?.run ?? randomUUID(),
      tenant,
      undoes: header?.run ?? null,
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  const counts: Record<UndoStatus, number> = { unlinked: 0, not_linked: 0, failed: 0, unknown: 0 };
  const failures: UndoResult[] = [];
  const notRestored: { primary: string; secondary: string; what: string; why: string }[] = [];
  let restoredPairs = 0;
  let restorePending = 0;
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
        // A pair an earlier undo unlinked, only given back now, is not counted as unlinked again.
        if (!(result.status === "unlinked" && result.restoreOnly)) counts[result.status]++;
        if (result.status === "failed" || result.status === "unknown") failures.push(result);
        const { restore } = result;
        if (restore === "pending") restorePending++;
        else if (restore !== undefined) {
          if (restore.notRestored.length === 0) restoredPairs++;
          for (const n of restore.notRestored) {
            notRestored.push({ primary: result.pair.primary, secondary: result.pair.secondary, ...n });
          }
        }
        output.note(rowLine(result));
      },
    });
    const interrupted = io.interrupt.aborted;
    await journal.append({ type: "end", at: new Date().toISOString(), interrupted, counts });
    const summary = {
      ok: !interrupted && failures.length === 0 && restorePending === 0,
      ...plan,
      unlinked: counts.unlinked,
      notLinked: counts.not_linked,
      failed: failures.map((f) => ({
        primary: f.pair.primary,
        secondary: f.pair.secondary,
        status: f.status,
        reason: f.reason ?? "",
      })),
      restored: restoredPairs,
      notRestored,
      restorePending,
      interrupted,
      ...lockTakeovers(lock),
    };
    output.line(`  unlinked             ${s.green(String(counts.unlinked))}`);
    if (counts.not_linked > 0) output.line(`  not linked           ${counts.not_linked}`);
    output.line(`  failed               ${failures.length > 0 ? s.red(String(failures.length)) : "0"}`);
    output.line(`  given back whole     ${restoredPairs}`);
    if (notRestored.length > 0) {
      output.line(
        `  not given back       ${s.yellow(String(notRestored.length))} (each said above, and in --json)`,
      );
    }
    if (restorePending > 0) {
      output.line(`  still to give back   ${s.yellow(String(restorePending))} (run the undo again)`);
    }
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

/**
 * What became of one pair, as a line: `unlinked S ← P: gave back user_metadata.theme; removed from P:
 * user_metadata.theme; not given back: app_metadata.plan (changed since…)`. Key names, never values.
 */
function rowLine(result: UndoResult): string {
  const { pair, restore } = result;
  const head = `${result.status.replace("_", " ")} ${pair.secondary} ← ${pair.primary}`;
  if (restore === undefined || restore === "pending")
    return `${head}${result.reason ? `: ${result.reason}` : ""}`;
  return `${head}: ${describeRestore(restore, pair.primary)}`;
}

function describeRestore(r: RestoreReport, primary: string): string {
  const parts: string[] = [];
  if (r.restored.length > 0) parts.push(`gave back ${r.restored.join(", ")}`);
  if (r.removed.length > 0) parts.push(`removed from ${primary} ${r.removed.join(", ")}`);
  if (r.notRestored.length > 0) {
    parts.push(`not given back: ${r.notRestored.map((n) => `${n.what} (${n.why})`).join(", ")}`);
  }
  return parts.length > 0 ? parts.join("; ") : "no metadata to give back";
}

/** An undo journal belongs to the undo of one bulk run: another's is refused, naming both runs. */
function checkUndoJournal(undo: JournalState, source: JournalState, name: string, journalFile: string): void {
  const undoes = undo.header?.undoes;
  if (undo.header === undefined || undoes === (source.header?.run ?? null)) return;
  throw new UsageError(
    `${name} is the undo journal of another run (${undoes ?? "a journal of an older idlink"}), not of ${journalFile} (${source.header?.run ?? "a journal of an older idlink"}).`,
    "Give this undo a journal of its own (--journal F).",
  );
}
