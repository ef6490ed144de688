import { createReadStream, fstatSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import {
  type DuplicateGroup,
  type DuplicateSummary,
  downloadJobExport,
  duplicateExportFields,
  type ExportDuplicates,
  ExportError,
  findExportDuplicates,
  type GroupAccount,
  type MalformedLine,
  type OpenExport,
  type PrimaryCriterion,
  pairsJsonl,
  primaryCriteria,
  runUsersExport,
  type SkippedGroup,
} from "@idlink/core/export";
import type { CommandInput, Handler } from "../command-spec.ts";
import type { CommandContext } from "../context.ts";
import { createClient, resolveConnection } from "../credentials.ts";
import { csvRow } from "../csv.ts";
import { ExitCode } from "../exit-codes.ts";
import { type AtomicFile, checkTarget, createAtomic, type Target } from "../files.ts";
import { clock, createProgressLine, progressFigures } from "../progress-line.ts";
import type { duplicatesSpec } from "../specs/duplicates.ts";
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

type CsvRecord = (string | number | boolean | undefined)[];

const csvLine = (group: number, email: string, role: string, a: GroupAccount, reason = ""): CsvRecord => [
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

/**
 * The report for a spreadsheet: an account a line, grouped (`group` numbers the groups, then the skipped ones);
 * `role` is primary, secondary (paired with that primary), unverified (reported, never paired) or skipped.
 */
function* groupRecords(number: number, g: DuplicateGroup): Generator<CsvRecord> {
  yield csvLine(number, g.email, "primary", g.primary, g.reason);
  for (const a of g.secondaries) yield csvLine(number, g.email, "secondary", a);
  for (const a of g.unverified)
    yield csvLine(number, g.email, "unverified", a, "email not verified: never paired");
}

function* skippedRecords(number: number, s: SkippedGroup): Generator<CsvRecord> {
  for (const a of s.accounts) yield csvLine(number, s.email, "skipped", a, `${s.reason}: ${s.detail}`);
}

export type DuplicatesFlags = CommandInput<typeof duplicatesSpec>["flags"];

const sampleSize = 20;
// The report lists this many malformed lines (their count is `malformedLineCount`): a file of nothing but bad lines
// read with --skip-malformed must not fill memory.
const malformedListed = 1000;
// 1 MiB reads and gunzip output: zlib's 16 KiB default means 64 times the chunks, each an async step through the
// streams (measured: 0.41 s of main-thread CPU a pass of a 1,000,000-user export at 64 KiB, 0.26 s at 1 MiB).
const readChunk = 1024 * 1024;

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
  const malformed: MalformedLine[] = [];
  let malformedCount = 0;
  const progress = createProgressLine(io, output);

  // What is read, twice (see findExportDuplicates): the compressed bytes of each pass are counted for the progress.
  let source: { open: OpenExport; format: "json" | "csv"; origin: string };
  const read = { pass: 1 as 1 | 2, bytes: [0, 0], size: undefined as number | undefined };
  if (fromPath !== undefined && flags.from !== undefined) {
    source = await fileSource(fromPath, flags.from, flags.format, read);
  } else {
    const connection = await resolveConnection(flags, io);
    const client = createClient(connection, { signal: io.interrupt });
    output.note(`Starting a user export on ${connection.tenant.origin}…`);
    let named = false;
    const job = await runUsersExport(
      client,
      {
        format: "json",
        fields: duplicateExportFields,
        ...(flags.connectionId === undefined ? {} : { connection_id: flags.connectionId }),
      },
      {
        signal: io.interrupt,
        onProgress: (j) => {
          if (!named) output.note(`Export ${j.id} started.`);
          named = true;
          progress.draw(
            () =>
              `export ${j.id}: ${j.status}${typeof j.percentage_done === "number" ? ` ${j.percentage_done}%` : ""}${typeof j.time_left_seconds === "number" ? ` · ${clock(j.time_left_seconds)} left` : ""}`,
            true,
          );
        },
      },
    );
    const download = {
      signal: io.interrupt,
      ...(connection.onEvent ? { onEvent: connection.onEvent } : {}),
      onSize: (bytes: number) => {
        read.size = bytes;
      },
    };
    source = {
      format: "json",
      origin: `export ${job.id} of ${connection.tenant.origin}`,
      // Each pass downloads the file again, from a fresh link for the second (a link lasts 60 seconds).
      open: (pass) =>
        Readable.from(
          counted(downloadJobExport(client, pass === 1 ? job : { id: job.id }, download), read, pass),
        ).pipe(createGunzip({ chunkSize: readChunk })),
    };
  }

  const started = Date.now();
  let found: ExportDuplicates;
  try {
    found = await findExportDuplicates(source.open, {
      format: source.format,
      ...(policy === undefined ? {} : { policy }),
      maxGroupSize,
      malformed: flags.skipMalformed ? "skip" : "fail",
      onMalformed: (issue) => {
        malformedCount++;
        if (malformed.length < malformedListed) malformed.push(issue);
        if (malformedCount <= sampleSize) output.note(`line ${issue.line} skipped: ${issue.message}`);
      },
      onProgress: ({ pass, lines }) => {
        // A new pass is drawn at once: the line says which pass it is in.
        progress.draw(() => readingLine(pass, lines, read, started), pass !== read.pass);
        read.pass = pass;
      },
    });
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
      throw new UsageError(`${source.origin} is not valid gzip: ${error.message}`);
    }
    throw error;
  }
  progress.done();

  // The second pass finds some malformed lines (those grouped, malformed past their email): the report lists them
  // in line order.
  malformed.sort((a, b) => a.line - b.line);
  const sample = await writeResults(found, {
    source: source.origin,
    outTarget,
    reportTarget,
    csvTarget,
    malformed,
    malformedCount,
  });
  print(found.summary, sample, { source: source.origin, outPath, reportPath, csvPath, malformedCount }, ctx);
  return ExitCode.ok;
}

/** A local export (gzipped or not), opened once for each pass; a file changed between the two is refused. */
export async function fileSource(
  path: string,
  given: string,
  format: "json" | "csv" | undefined,
  read: { bytes: number[]; size: number | undefined },
): Promise<{ open: OpenExport; format: "json" | "csv"; origin: string }> {
  const gzipped = await isGzip(path, given);
  const first = await stat(path);
  read.size = first.size;
  return {
    format: format ?? (/\.csv(\.gz)?$/i.test(given) ? "csv" : "json"),
    origin: given,
    open: (pass) => {
      const file = createReadStream(path, { highWaterMark: readChunk });
      if (pass === 2) {
        // Checked as the second read starts: the same size and modification time as the first read saw.
        file.once("open", (fd) => {
          const now = fstatSync(fd);
          if (now.size !== first.size || now.mtimeMs !== first.mtimeMs) {
            file.destroy(
              new UsageError(
                `${given} changed while it was read.`,
                "Read a copy that nothing writes to, or wait for the export to finish.",
              ),
            );
          }
        });
      }
      file.on("data", (chunk) => {
        read.bytes[pass - 1] = (read.bytes[pass - 1] ?? 0) + chunk.length;
      });
      if (!gzipped) return file;
      const gunzip = createGunzip({ chunkSize: readChunk });
      // pipe() does not pass the source's errors on: the reader would wait for ever.
      file.on("error", (error) => gunzip.destroy(error));
      return file.pipe(gunzip);
    },
  };
}

async function* counted(
  chunks: AsyncIterable<Uint8Array>,
  read: { bytes: number[] },
  pass: 1 | 2,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    read.bytes[pass - 1] = (read.bytes[pass - 1] ?? 0) + chunk.length;
    yield chunk;
  }
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

/** `reading: pass 1 of 2 · 1,234,567 lines · 12.0/73.9 MB · 8.1 MB/s · 0:08 left` (MB of the compressed file). */
function readingLine(
  pass: 1 | 2,
  lines: number,
  read: { bytes: number[]; size: number | undefined },
  started: number,
): string {
  const [first = 0, second = 0] = read.bytes;
  // Both passes read the whole file: the total is twice its size (the first pass's bytes, once it is known).
  const size = read.size ?? (pass === 2 ? first : undefined);
  const figures = progressFigures({
    done: first + second,
    total: size === undefined ? undefined : 2 * size,
    startedMs: started,
    nowMs: Date.now(),
    unit: "MB",
    format: megabytes,
  });
  return `reading: pass ${pass} of 2 · ${lines.toLocaleString("en")} lines · ${figures}`;
}

/**
 * Writes the pairs file, the report and the CSV in one walk over the groups, each a group at a time (a report of
 * any size is never one string), each file renamed into place at the end (a good file is never half replaced).
 * Answers the first groups and skipped groups, for the summary.
 */
async function writeResults(
  found: ExportDuplicates,
  files: {
    source: string;
    outTarget: Target;
    reportTarget: Target;
    csvTarget: Target | undefined;
    malformed: MalformedLine[];
    malformedCount: number;
  },
): Promise<{ groups: DuplicateGroup[]; skipped: SkippedGroup[] }> {
  const { summary } = found;
  const opened: AtomicFile[] = [];
  // Text is gathered a file at a time and handed over by the 64 KiB, looked at every 256 groups: an await per line
  // cost more than the writing.
  const open = async (target: Target) => {
    const file = await createAtomic(target);
    opened.push(file);
    let text = "";
    return {
      add(more: string) {
        text += more;
      },
      async flush(force = false) {
        if (!force && text.length < 65_536) return;
        await file.write(text);
        text = "";
      },
    };
  };
  const sample = { groups: [] as DuplicateGroup[], skipped: [] as SkippedGroup[] };
  try {
    const pairs = await open(files.outTarget);
    const report = await open(files.reportTarget);
    const csv = files.csvTarget ? await open(files.csvTarget) : undefined;
    const flush = async (force = false) => {
      await pairs.flush(force);
      await report.flush(force);
      await csv?.flush(force);
    };
    const json = JSON.stringify;
    // The report's fields, in the order of the report as a whole object had them.
    report.add(
      `{"source":${json(files.source)},"pairsFile":${json(files.outTarget.path)},"malformedLines":${json(files.malformed)},"malformedLineCount":${files.malformedCount},"users":${summary.users},"usersWithoutEmail":${summary.usersWithoutEmail},"distinctEmails":${summary.distinctEmails},"alreadyLinked":${summary.alreadyLinked},"groups":[`,
    );
    csv?.add(csvRow(csvHeader));
    let number = 0;
    for (const group of found.groups()) {
      number++;
      if (sample.groups.length < sampleSize) sample.groups.push(group);
      for (const line of pairsJsonl({ groups: [group] })) pairs.add(line);
      report.add(`${number === 1 ? "" : ","}${json(group)}`);
      if (csv) for (const record of groupRecords(number, group)) csv.add(csvRow(record));
      if (number % 256 === 0) await flush();
    }
    report.add(`],"pairs":${summary.pairs},"skipped":[`);
    let skippedNumber = 0;
    for (const skipped of found.skipped()) {
      skippedNumber++;
      if (sample.skipped.length < sampleSize) sample.skipped.push(skipped);
      report.add(`${skippedNumber === 1 ? "" : ","}${json(skipped)}`);
      if (csv) for (const record of skippedRecords(number + skippedNumber, skipped)) csv.add(csvRow(record));
      if (skippedNumber % 256 === 0) await flush();
    }
    report.add(
      `],"skippedCounts":${json(summary.skippedCounts)},"policy":${json(summary.policy)},"maxGroupSize":${summary.maxGroupSize}}\n`,
    );
    await flush(true);
  } catch (error) {
    for (const file of opened) await file.abort();
    throw error;
  }
  for (const file of opened) await file.commit();
  return sample;
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

function print(
  summary: DuplicateSummary,
  sample: { groups: DuplicateGroup[]; skipped: SkippedGroup[] },
  files: {
    source: string;
    outPath: string;
    reportPath: string;
    csvPath: string | undefined;
    malformedCount: number;
  },
  { output }: CommandContext,
): void {
  const s = output.out;
  const skipped = Object.values(summary.skippedCounts).reduce((a, b) => a + b, 0);
  output.line(`${s.bold("Duplicates")} in ${files.source}`);
  output.line(
    `  users read        ${summary.users}${summary.usersWithoutEmail ? ` (${summary.usersWithoutEmail} without email)` : ""}`,
  );
  output.line(`  distinct emails   ${summary.distinctEmails}`);
  output.line(
    `  already linked    ${summary.alreadyLinked} (accounts sharing an email that hold linked identities)`,
  );
  output.line(`  groups            ${s.green(String(summary.groups))}`);
  output.line(`  pairs proposed    ${s.green(String(summary.pairs))}`);
  output.line(
    `  skipped           ${skipped} (unverified ${summary.skippedCounts.unverified}, conflicting primaries ${summary.skippedCounts.conflicting_primaries}, more than ${summary.maxGroupSize} accounts ${summary.skippedCounts.too_many_accounts})`,
  );
  if (files.malformedCount > 0)
    output.line(`  malformed lines   ${s.yellow(String(files.malformedCount))} (skipped)`);
  output.line(`  primary policy    ${summary.policy.join(" → ")} → smallest user_id`);
  for (const group of sample.groups) {
    output.detail(
      `  ${group.email}: ${group.primary.user_id} (${group.reason}) ← ${group.secondaries.map((a) => a.user_id).join(", ")}`,
    );
    if (group.unverified.length > 0) {
      output.detail(
        `    ${s.yellow("not paired (unverified):")} ${group.unverified.map((a) => a.user_id).join(", ")}`,
      );
    }
  }
  if (summary.groups > sampleSize)
    output.detail(`  … and ${summary.groups - sampleSize} more groups (see the report)`);
  for (const group of sample.skipped) {
    output.detail(`  ${s.yellow("skipped")} ${group.email}: ${group.reason} — ${group.detail}`);
  }
  if (skipped > sampleSize) output.detail(`  … and ${skipped - sampleSize} more skipped (see the report)`);
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
      users: summary.users,
      usersWithoutEmail: summary.usersWithoutEmail,
      distinctEmails: summary.distinctEmails,
      alreadyLinked: summary.alreadyLinked,
      groups: summary.groups,
      pairs: summary.pairs,
      skipped: summary.skippedCounts,
      malformedLines: files.malformedCount,
      policy: summary.policy,
      maxGroupSize: summary.maxGroupSize,
      sample,
    });
  }
}
