import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { type IdentityLinkRequest, type Issue, parseLinkArguments } from "@idlink/core";
import { KeyIndex } from "./key-index.ts";

/** One valid pair of the input file. */
export interface Row {
  /** 1-based data row (a CSV header is not counted). */
  row: number;
  line: number;
  primary: string;
  secondary: string;
  body: IdentityLinkRequest;
  /** Identifies the pair across runs (the journal's key): the file may be reordered between runs. */
  key: string;
}

export interface RowIssue extends Issue {
  row: number;
  line: number;
}

/** What validating a whole file found; the rows themselves are read again, one at a time, by `validRows`. */
export interface Validation {
  /** Data rows read, valid or not. */
  total: number;
  valid: number;
  /** Every problem, by row: few in a usable file, so kept. */
  issues: RowIssue[];
  /** The rows with issues, which `validRows` skips. */
  invalidRows: Set<number>;
  /** The CSV file's separator (see `sniffSeparator`), told once for every pass; a comma for JSONL. */
  separator: string;
}

export type Format = "csv" | "jsonl";

/** The file's text, read afresh each time it is called: a pass streams it in chunks, never holding it whole. */
export type Source = () => AsyncIterable<string>;

export const fileSource =
  (path: string): Source =>
  () =>
    createReadStream(path, { encoding: "utf8", highWaterMark: 64 * 1024 });

/** A source over text already in memory (tests). */
export const textSource = (text: string): Source =>
  async function* () {
    yield text;
  };

/** The first characters of a file, to tell its format; throws the file system's error (ENOENT, EISDIR…). */
export async function readHead(path: string): Promise<string> {
  const handle = await open(path, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

export const pairKey = (primary: string, secondary: string): string => `${primary} ${secondary}`;

/** The format from a flag, else the extension, else the first character (`{` is JSONL). */
export function detectFormat(path: string, head: string, flag: Format | undefined): Format {
  if (flag) return flag;
  if (/\.(jsonl|ndjson)$/i.test(path)) return "jsonl";
  if (/\.csv$/i.test(path)) return "csv";
  return head.trimStart().startsWith("{") ? "jsonl" : "csv";
}

interface RawRow {
  row: number;
  line: number;
  fields: Record<string, unknown>;
  issues: Issue[];
}

/**
 * Validates every row, naming its row, line and field; nothing is sent. Streams the file twice, keeping only a
 * compact index of the secondaries seen (12 bytes a pair), which the checks across rows need: a secondary listed
 * twice, and a primary that another row links away as its secondary (a chain), are refused.
 */
export async function validateRows(source: Source, format: Format): Promise<Validation> {
  const issues: RowIssue[] = [];
  const invalidRows = new Set<number>();
  // Hashes, not the ids (see KeyIndex): a collision refuses a row, never sends one.
  const secondaryAt = new KeyIndex();
  let total = 0;
  const separator = format === "csv" ? await sniffSeparator(source()) : ",";
  for await (const raw of rawRows(source, format, separator)) {
    total++;
    const checked = checkRow(raw);
    const push = (issue: Issue) => {
      issues.push({ row: raw.row, line: raw.line, ...issue });
      invalidRows.add(raw.row);
    };
    if (!checked.ok) {
      checked.issues.forEach(push);
      continue;
    }
    const { secondary } = checked.row;
    const earlier = secondaryAt.get(secondary);
    if (earlier !== undefined) {
      push({
        path: "secondary",
        message: `${secondary} is already on row ${earlier}: an account can be linked once`,
      });
      continue;
    }
    secondaryAt.set(secondary, raw.row);
  }
  // A primary that another row links away as a secondary would no longer exist when its own row runs.
  for await (const raw of rawRows(source, format, separator)) {
    if (invalidRows.has(raw.row)) continue;
    const primary = String(raw.fields.primary);
    const asSecondary = secondaryAt.get(primary);
    if (asSecondary !== undefined) {
      issues.push({
        row: raw.row,
        line: raw.line,
        path: "primary",
        message: `${primary} is linked away as the secondary of row ${asSecondary} — link chains in two steps`,
      });
      invalidRows.add(raw.row);
    }
  }
  issues.sort((a, b) => a.row - b.row);
  return { total, valid: total - invalidRows.size, issues, invalidRows, separator };
}

/** The valid rows, in file order, streamed from the file again (see `validateRows`). */
export async function* validRows(
  source: Source,
  format: Format,
  validation: Validation,
): AsyncGenerator<Row> {
  for await (const raw of rawRows(source, format, validation.separator)) {
    if (validation.invalidRows.has(raw.row)) continue;
    const checked = checkRow(raw);
    if (checked.ok) yield checked.row;
  }
}

/** The rules of one row on its own. */
function checkRow(raw: RawRow): { ok: true; row: Row } | { ok: false; issues: Issue[] } {
  if (raw.issues.length > 0) return { ok: false, issues: raw.issues };
  const { primary, secondary, connection_id } = raw.fields;
  if (secondary === undefined) {
    return {
      ok: false,
      issues: [
        { path: "secondary", message: "secondary is required — the secondary's full id, provider|id" },
      ],
    };
  }
  const parsed = parseLinkArguments({ primary, secondary, connection_id });
  if (!parsed.ok) return parsed;
  if (parsed.value.variant !== "identity" || typeof primary !== "string" || typeof secondary !== "string") {
    return {
      ok: false,
      issues: [{ path: "secondary", message: "bulk links by full ids only (no link_with)" }],
    };
  }
  return {
    ok: true,
    row: {
      row: raw.row,
      line: raw.line,
      primary,
      secondary,
      body: parsed.value.body,
      key: pairKey(primary, secondary),
    },
  };
}

function rawRows(source: Source, format: Format, separator: string): AsyncGenerator<RawRow> {
  return format === "csv" ? readCsv(source(), separator) : readJsonl(source());
}

/**
 * The CSV file's separator, told by its first line of data (not a comment): a comma; else a semicolon or a tab, as
 * spreadsheets save "CSV" in locales whose decimal mark is a comma, or a sheet copied as text. Reads only as far as
 * that line.
 */
async function sniffSeparator(chunks: AsyncIterable<string>): Promise<string> {
  for await (const { text } of lines(chunks)) {
    const data = text.trim();
    if (data === "" || data.startsWith("#")) continue;
    return data.includes(",") ? "," : data.includes(";") ? ";" : data.includes("\t") ? "\t" : ",";
  }
  return ",";
}

async function* readJsonl(chunks: AsyncIterable<string>): AsyncGenerator<RawRow> {
  let row = 0;
  for await (const { line, text } of lines(chunks)) {
    if (text.trim() === "") continue;
    row += 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield {
        row,
        line,
        fields: {},
        issues: [{ path: "line", message: 'not valid JSON — one {"primary", "secondary"} object per line' }],
      };
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      yield {
        row,
        line,
        fields: {},
        issues: [{ path: "line", message: 'not a JSON object — {"primary": …, "secondary": …}' }],
      };
      continue;
    }
    const fields = value as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !["primary", "secondary", "connection_id"].includes(k));
    yield {
      row,
      line,
      fields,
      issues: unknown.map((k) => ({
        path: k,
        message: `${k} is not a column — use primary, secondary and connection_id`,
      })),
    };
  }
}

/** Lines split on LF or CRLF across chunk boundaries, numbered from 1. */
async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string }> {
  let rest = "";
  let line = 0;
  for await (const chunk of chunks) {
    rest += chunk;
    let start = 0;
    for (let end = rest.indexOf("\n"); end !== -1; end = rest.indexOf("\n", start)) {
      const text = rest.slice(start, end);
      yield { line: ++line, text: text.endsWith("\r") ? text.slice(0, -1) : text };
      start = end + 1;
    }
    rest = rest.slice(start);
  }
  if (rest !== "") yield { line: ++line, text: rest };
}

const columns = ["primary", "secondary", "connection_id"] as const;

async function* readCsv(chunks: AsyncIterable<string>, separator: string): AsyncGenerator<RawRow> {
  let header: string[] = [...columns];
  let row = 0;
  let first = true;
  for await (const record of csvRecords(chunks, separator)) {
    const cells = record.cells.map((c) => c.trim());
    const isFirst = first;
    first = false;
    if (cells.every((c) => c === "") || cells[0]?.startsWith("#")) continue;
    if (isFirst && cells[0]?.toLowerCase() === "primary") {
      header = cells.map((c) => c.toLowerCase());
      continue;
    }
    row += 1;
    const issues: Issue[] = [];
    const fields: Record<string, unknown> = {};
    cells.forEach((cell, i) => {
      const name = header[i];
      if (name === undefined || !(columns as readonly string[]).includes(name)) {
        if (cell !== "")
          issues.push({
            path: name ?? `column ${i + 1}`,
            message: `unexpected column ${i + 1} — use primary,secondary[,connection_id]`,
          });
        return;
      }
      // An empty optional cell means "not given": CSV cannot say otherwise.
      if (name === "connection_id" && cell === "") return;
      fields[name] = cell;
    });
    yield { row, line: record.line, fields, issues };
  }
}

/**
 * RFC 4180 records (quoted cells may hold separators, quotes and newlines), with their starting line, read across
 * chunk boundaries: a quote or a CR that ends a chunk is settled by the next one's first character.
 */
async function* csvRecords(
  chunks: AsyncIterable<string>,
  separator: string,
): AsyncGenerator<{ line: number; cells: string[] }> {
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  /** In a quoted cell, a quote was read: the next character says whether it was `""` or the closing quote. */
  let quoteSeen = false;
  /** A record ended on CR: an LF right after belongs to it. */
  let afterCr = false;
  let line = 1;
  let start = 1;
  const out: { line: number; cells: string[] }[] = [];
  for await (const text of chunks) {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (afterCr) {
        afterCr = false;
        if (ch === "\n") continue;
      }
      if (quoteSeen) {
        quoteSeen = false;
        if (ch === '"') {
          cell += '"';
          continue;
        }
        quoted = false;
      }
      if (quoted) {
        if (ch === '"') quoteSeen = true;
        else {
          if (ch === "\n") line++;
          cell += ch;
        }
      } else if (ch === '"' && cell === "") quoted = true;
      else if (ch === separator) {
        cells.push(cell);
        cell = "";
      } else if (ch === "\n" || ch === "\r") {
        afterCr = ch === "\r";
        cells.push(cell);
        out.push({ line: start, cells });
        cells = [];
        cell = "";
        line++;
        start = line;
      } else cell += ch;
    }
    yield* out;
    out.length = 0;
  }
  if (cell !== "" || cells.length > 0) {
    cells.push(cell);
    yield { line: start, cells };
  }
}
