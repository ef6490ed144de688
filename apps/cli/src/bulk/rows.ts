import { type IdentityLinkRequest, type Issue, parseLinkArguments } from "@idlink/core";

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

export interface ParsedRows {
  rows: Row[];
  issues: RowIssue[];
  /** Data rows read, valid or not. */
  total: number;
}

export type Format = "csv" | "jsonl";

export const pairKey = (primary: string, secondary: string): string => `${primary} ${secondary}`;

/** The format from a flag, else the extension, else the first character (`{` is JSONL). */
export function detectFormat(path: string, text: string, flag: Format | undefined): Format {
  if (flag) return flag;
  if (/\.(jsonl|ndjson)$/i.test(path)) return "jsonl";
  if (/\.csv$/i.test(path)) return "csv";
  return text.trimStart().startsWith("{") ? "jsonl" : "csv";
}

interface RawRow {
  row: number;
  line: number;
  fields: Record<string, unknown>;
  issues: Issue[];
}

/** Reads and validates every row; issues name the row, its line and the field. Nothing is sent. */
export function parseRows(text: string, format: Format): ParsedRows {
  const raw = format === "csv" ? readCsv(text) : readJsonl(text);
  const issues: RowIssue[] = [];
  const rows: Row[] = [];
  const secondaryAt = new Map<string, number>();
  const primaries = new Map<string, number>();
  for (const r of raw) {
    const { row, line } = r;
    const push = (issue: Issue) => issues.push({ row, line, ...issue });
    r.issues.forEach(push);
    if (r.issues.length > 0) continue;
    const { primary, secondary, connection_id } = r.fields;
    if (secondary === undefined) {
      push({ path: "secondary", message: "secondary is required — the secondary's full id, provider|id" });
      continue;
    }
    const parsed = parseLinkArguments({ primary, secondary, connection_id });
    if (!parsed.ok) {
      parsed.issues.forEach(push);
      continue;
    }
    if (parsed.value.variant !== "identity" || typeof primary !== "string" || typeof secondary !== "string") {
      push({ path: "secondary", message: "bulk links by full ids only (no link_with)" });
      continue;
    }
    const earlier = secondaryAt.get(secondary);
    if (earlier !== undefined) {
      push({
        path: "secondary",
        message: `${secondary} is already on row ${earlier}: an account can be linked once`,
      });
      continue;
    }
    secondaryAt.set(secondary, row);
    if (!primaries.has(primary)) primaries.set(primary, row);
    rows.push({ row, line, primary, secondary, body: parsed.value.body, key: pairKey(primary, secondary) });
  }
  // A primary that another row links away as a secondary would no longer exist when its own row runs.
  for (const r of rows) {
    const asSecondary = secondaryAt.get(r.primary);
    if (asSecondary !== undefined) {
      issues.push({
        row: r.row,
        line: r.line,
        path: "primary",
        message: `${r.primary} is linked away as the secondary of row ${asSecondary} — link chains in two steps`,
      });
    }
  }
  const bad = new Set(issues.map((i) => i.row));
  issues.sort((a, b) => a.row - b.row);
  return { rows: rows.filter((r) => !bad.has(r.row)), issues, total: raw.length };
}

function readJsonl(text: string): RawRow[] {
  const out: RawRow[] = [];
  const lines = text.split(/\r?\n/);
  let row = 0;
  lines.forEach((content, index) => {
    if (content.trim() === "") return;
    row += 1;
    const line = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      out.push({
        row,
        line,
        fields: {},
        issues: [{ path: "line", message: 'not valid JSON — one {"primary", "secondary"} object per line' }],
      });
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      out.push({
        row,
        line,
        fields: {},
        issues: [{ path: "line", message: 'not a JSON object — {"primary": …, "secondary": …}' }],
      });
      return;
    }
    const fields = value as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !["primary", "secondary", "connection_id"].includes(k));
    out.push({
      row,
      line,
      fields,
      issues: unknown.map((k) => ({
        path: k,
        message: `${k} is not a column — use primary, secondary and connection_id`,
      })),
    });
  });
  return out;
}

const columns = ["primary", "secondary", "connection_id"] as const;

function readCsv(text: string): RawRow[] {
  const records = csvRecords(text);
  const out: RawRow[] = [];
  let header: string[] = [...columns];
  let row = 0;
  records.forEach((record, index) => {
    const cells = record.cells.map((c) => c.trim());
    if (cells.every((c) => c === "") || cells[0]?.startsWith("#")) return;
    if (index === 0 && cells[0]?.toLowerCase() === "primary") {
      header = cells.map((c) => c.toLowerCase());
      return;
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
    out.push({ row, line: record.line, fields, issues });
  });
  return out;
}

/** RFC 4180 records (quoted cells may hold commas, quotes and newlines), with their starting line. */
function csvRecords(text: string): { line: number; cells: string[] }[] {
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      cells.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      cells.push(cell);
      records.push({ line: start, cells });
      cells = [];
      cell = "";
      line++;
      start = line;
    } else cell += ch;
  }
  if (cell !== "" || cells.length > 0) {
    cells.push(cell);
    records.push({ line: start, cells });
  }
  return records;
}
