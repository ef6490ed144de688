import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import {
  DuplicateFinder,
  type DuplicateReport,
  downloadExport,
  duplicateExportFields,
  ExportError,
  type GroupAccount,
  type MalformedLine,
  type PrimaryCriterion,
  pairsJsonl,
  primaryCriteria,
  readUserExport,
  runUsersExport,
} from "@idlink/core/export";
import type { CommandInput, Handler } from "../command-spec.ts";
import type { CommandContext } from "../context.ts";
import { createClient, resolveConnection } from "../credentials.ts";
import { writeCsv } from "../csv.ts";
import { ExitCode } from "../exit-codes.ts";
import { checkTarget, type Target, writeFileAtomic } from "../files.ts";
import type { duplicatesSpec } from "../specs/duplicates.ts";
import { fitLine } from "../style.ts";
import { UsageError } from "../usage-error.ts";

const csvHeader = [
  "group",
  "email",
  "role",
  "user_id",
  "provider",
  "email_verified",
  "created_at",
  "logins_count",
  "linked_identities",
  "reason",
] as const;

/**
 * The report for a spreadsheet: an account a line, grouped (`group` numbers the groups, then the skipped ones);
 * `role` is primary, secondary (paired with that primary), unverified (reported, never paired) or skipped.
 */
function* csvRecords(report: DuplicateReport): Generator<(string | number | boolean | undefined)[]> {
  const line = (group: number, email: string, role: string, a: GroupAccount, reason = "") => [
    group,
    email,
    role,
    a.user_id,
    a.provider,
    a.email_verified,
    a.created_at,
    a.logins_count,
    a.linked,
    reason,
  ];
  let group = 0;
  for (const g of report.groups) {
    group++;
    yield line(group, g.email, "primary", g.primary, g.reason);
    for (const a of g.secondaries) yield line(group, g.email, "secondary", a);
    for (const a of g.unverified)
      yield line(group, g.email, "unverified", a, "email not verified: never paired");
  }
  for (const s of report.skipped) {
    group++;
    for (const a of s.accounts) yield line(group, s.email, "skipped", a, `${s.reason}: ${s.detail}`);
  }
}

export type DuplicatesFlags = CommandInput<typeof duplicatesSpec>["flags"];

const sampleSize = 20;
// 256 KiB reads and gunzip output: zlib's 16 KiB default means four times the chunks, each an async step.
const readChunk = 256 * 1024;

/**
 * `idlink duplicates`: reads every user of the tenant (a new export job, or a local export file), groups them by
 * email, and writes the pairs file that `idlink bulk` takes plus a JSON report. Changes nothing on the tenant.
 */
export const run: Handler<typeof duplicatesSpec> = async ({ flags }, ctx) => duplicates(flags, ctx);

async function duplicates(flags: DuplicatesFlags, ctx: CommandContext): Promise<number> {
  const { io, output } = ctx;
  const maxGroupSize = Number(flags.maxGroup);
  if (!Number.isInteger(maxGroupSize) || maxGroupSize < 2) {
    throw new UsageError(`--max-group ${flags.maxGroup}: give a whole number ≥ 2.`);
  }
  const policy = parsePolicy(flags.policy);
  if (flags.from !== undefined && flags.connectionId !== undefined) {
    throw new UsageError(
      "--connection-id selects what an export job reads: it does not apply to --from FILE.",
    );
  }
  const outPath = resolve(io.cwd, flags.out);
  const reportFile = flags.report ?? `${flags.out.replace(/\.jsonl$/i, "")}.report.json`;
  const reportPath = resolve(io.cwd, reportFile);
  const csvPath = flags.csv === undefined ? undefined : resolve(io.cwd, flags.csv);
  const outTarget: Target = { path: outPath, name: `--out ${flags.out}` };
  const reportTarget: Target = {
    path: reportPath,
    name: flags.report === undefined ? `report ${reportFile}` : `--report ${reportFile}`,
  };
  const csvTarget: Target | undefined =
    csvPath === undefined ? undefined : { path: csvPath, name: `--csv ${flags.csv}` };
  // Every file this command writes is checked before an export job starts or a file is read.
  const targets = [outTarget, reportTarget, ...(csvTarget ? [csvTarget] : [])];
  const fromPath = flags.from === undefined ? undefined : resolve(io.cwd, flags.from);
  for (const [i, target] of targets.entries()) {
    const same = [
      ...targets.slice(0, i),
      ...(fromPath ? [{ path: fromPath, name: `--from ${flags.from}` }] : []),
    ].find((t) => t.path === target.path);
    if (same) {
      throw new UsageError(
        `${target.name} is also ${same.name}: one would replace the other.`,
        "Give each file its own path.",
      );
    }
    await checkTarget(target);
  }
  const finder = new DuplicateFinder({ policy, maxGroupSize });
  const malformed: MalformedLine[] = [];
  const progress = readingProgress(ctx);

  let source: AsyncIterable<Uint8Array>;
  let format: "json" | "csv";
  let origin: string;
  if (flags.from !== undefined) {
    const path = resolve(io.cwd, flags.from);
    const gzipped = await isGzip(path, flags.from);
    format = flags.format ?? (/\.csv(\.gz)?$/i.test(flags.from) ? "csv" : "json");
    const file = createReadStream(path, { highWaterMark: readChunk });
    source = gzipped ? file.pipe(createGunzip({ chunkSize: readChunk })) : file;
    origin = flags.from;
  } else {
    const connection = await resolveConnection(flags, io);
    const client = createClient(connection, { signal: io.interrupt });
    format = "json";
    output.note(`Starting a user export on ${connection.tenant.origin}…`);
    const job = await runUsersExport(
      client,
      {
        format,
        fields: duplicateExportFields,
        ...(flags.connectionId === undefined ? {} : { connection_id: flags.connectionId }),
      },
      {
        signal: io.interrupt,
        onProgress: (j) =>
          progress.status(
            `export ${j.id}: ${j.status}${typeof j.percentage_done === "number" ? ` ${j.percentage_done}%` : ""}`,
          ),
      },
    );
    progress.status(`export ${job.id}: completed, downloading`);
    const download = Readable.from(
      downloadExport(job.location, {
        signal: io.interrupt,
        ...(connection.onEvent ? { onEvent: connection.onEvent } : {}),
      }),
    );
    source = download.pipe(createGunzip({ chunkSize: readChunk }));
    origin = `export ${job.id} of ${connection.tenant.origin}`;
  }

  try {
    for await (const users of readUserExport(source, {
      format,
      malformed: flags.skipMalformed ? "skip" : "fail",
      onMalformed: (issue) => {
        malformed.push(issue);
        if (malformed.length <= sampleSize) output.note(`line ${issue.line} skipped: ${issue.message}`);
      },
      onProgress: (p) => progress.reading(p.lines, p.bytes),
    })) {
      for (const user of users) finder.add(user);
    }
  } catch (error) {
    progress.done();
    if (error instanceof ExportError && error.issue) {
      throw new UsageError(
        error.message,
        "Fix the file, or pass --skip-malformed to skip bad lines and report them.",
      );
    }
    if (error instanceof Error && "code" in error && error.code === "ENOENT") {
      throw new UsageError(
        `Cannot read ${flags.from}.`,
        "Check the path of the export file (.json.gz or .csv.gz).",
      );
    }
    if (error instanceof Error && "code" in error && error.code === "Z_DATA_ERROR") {
      throw new UsageError(`${origin} is not valid gzip: ${error.message}`);
    }
    throw error;
  }
  progress.done();
  const report = finder.finish();

  // Streamed into a temporary file renamed into place at the end: a good pairs file is never half replaced.
  await writeFileAtomic(outTarget, pairsJsonl(report));
  const full = { source: origin, pairsFile: outPath, malformedLines: malformed, ...report };
  await writeFileAtomic(reportTarget, `${JSON.stringify(full)}\n`);
  if (csvTarget !== undefined) await writeCsv(csvTarget, csvHeader, csvRecords(report));
  print(report, { source: origin, outPath, reportPath, csvPath, malformed }, ctx);
  return ExitCode.ok;
}

function parsePolicy(value: string | undefined): PrimaryCriterion[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !primaryCriteria.includes(n as PrimaryCriterion));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(
      `--policy ${value}: unknown criterion ${unknown.join(", ")}.`,
      `Use a comma-separated order of ${primaryCriteria.join(", ")}.`,
    );
  }
  return names as PrimaryCriterion[];
}

async function isGzip(path: string, given: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch {
    throw new UsageError(`Cannot read ${given}.`, "Check the path of the export file (.json.gz or .csv.gz).");
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Progress on stderr: one redrawn line on a terminal (cut to its width); elsewhere a line per job status and per
 * 100 000 lines. Nothing with --quiet.
 */
function readingProgress({ io, output }: CommandContext) {
  let drawn = false;
  let lastStatus = "";
  let nextLines = 100_000;
  let lastDraw = 0;
  const draw = (text: string) => {
    if (output.quiet) return;
    if (io.stderrIsTTY) {
      const width = io.errColumns === undefined ? undefined : io.errColumns - 1;
      io.writeErr(`\r\u001b[K${fitLine(text, width)}`);
      drawn = true;
    } else output.note(text);
  };
  return {
    status(text: string) {
      if (text === lastStatus) return;
      lastStatus = text;
      draw(text);
    },
    reading(lines: number, bytes: number) {
      const text = `read ${lines} lines (${(bytes / 1e6).toFixed(1)} MB)`;
      if (io.stderrIsTTY) {
        const now = Date.now();
        if (now - lastDraw < 100) return;
        lastDraw = now;
        draw(text);
      } else if (lines >= nextLines) {
        nextLines = (Math.floor(lines / 100_000) + 1) * 100_000;
        draw(text);
      }
    },
    done() {
      if (drawn) io.writeErr("\n");
      drawn = false;
    },
  };
}

function print(
  report: DuplicateReport,
  files: {
    source: string;
    outPath: string;
    reportPath: string;
    csvPath: string | undefined;
    malformed: MalformedLine[];
  },
  { output }: CommandContext,
): void {
  const s = output.out;
  output.line(`${s.bold("Duplicates")} in ${files.source}`);
  output.line(
    `  users read        ${report.users}${report.usersWithoutEmail ? ` (${report.usersWithoutEmail} without email)` : ""}`,
  );
  output.line(`  distinct emails   ${report.distinctEmails}`);
  output.line(`  already linked    ${report.alreadyLinked} (accounts holding linked identities)`);
  output.line(`  groups            ${s.green(String(report.groups.length))}`);
  output.line(`  pairs proposed    ${s.green(String(report.pairs))}`);
  output.line(
    `  skipped           ${report.skipped.length} (unverified ${report.skippedCounts.unverified}, conflicting primaries ${report.skippedCounts.conflicting_primaries}, more than ${report.maxGroupSize} accounts ${report.skippedCounts.too_many_accounts})`,
  );
  if (files.malformed.length > 0)
    output.line(`  malformed lines   ${s.yellow(String(files.malformed.length))} (skipped)`);
  output.line(`  primary policy    ${report.policy.join(" → ")} → smallest user_id`);
  for (const group of report.groups.slice(0, sampleSize)) {
    output.detail(
      `  ${group.email}: ${group.primary.user_id} (${group.reason}) ← ${group.secondaries.map((a) => a.user_id).join(", ")}`,
    );
    if (group.unverified.length > 0) {
      output.detail(
        `    ${s.yellow("not paired (unverified):")} ${group.unverified.map((a) => a.user_id).join(", ")}`,
      );
    }
  }
  if (report.groups.length > sampleSize)
    output.detail(`  … and ${report.groups.length - sampleSize} more groups (see the report)`);
  for (const skipped of report.skipped.slice(0, sampleSize)) {
    output.detail(`  ${s.yellow("skipped")} ${skipped.email}: ${skipped.reason} — ${skipped.detail}`);
  }
  if (report.skipped.length > sampleSize)
    output.detail(`  … and ${report.skipped.length - sampleSize} more skipped (see the report)`);
  output.line(`Pairs:  ${files.outPath}`);
  output.line(`Report: ${files.reportPath}`);
  if (files.csvPath !== undefined) output.line(`CSV:    ${files.csvPath}`);
  output.detail(`Next:   idlink bulk ${files.outPath} --dry-run`);
  if (output.json) {
    output.document({
      ok: true,
      source: files.source,
      pairsFile: files.outPath,
      reportFile: files.reportPath,
      ...(files.csvPath === undefined ? {} : { csvFile: files.csvPath }),
      users: report.users,
      usersWithoutEmail: report.usersWithoutEmail,
      distinctEmails: report.distinctEmails,
      alreadyLinked: report.alreadyLinked,
      groups: report.groups.length,
      pairs: report.pairs,
      skipped: report.skippedCounts,
      malformedLines: files.malformed.length,
      policy: report.policy,
      maxGroupSize: report.maxGroupSize,
      sample: { groups: report.groups.slice(0, sampleSize), skipped: report.skipped.slice(0, sampleSize) },
    });
  }
}
