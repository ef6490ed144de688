import { writeFile } from "node:fs/promises";

// Cells a spreadsheet reads as a formula (OWASP, "CSV Injection"): =, +, -, @, and tab or carriage return first.
const formulaStart = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled. A text that a
 * spreadsheet would run as a formula gets a leading `'`, so an id or a reason from the tenant cannot become one.
 */
export function csvCell(value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && formulaStart.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: a header line and one line per record, CRLF-terminated as RFC 4180 has it. */
export function csvDocument(
  header: readonly string[],
  records: Iterable<readonly (string | number | boolean | undefined)[]>,
): string {
  const lines = [header.map(csvCell).join(",")];
  for (const record of records) lines.push(record.map(csvCell).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Writes a CSV file readable by its owner only (it lists user ids and emails). */
export async function writeCsv(
  path: string,
  header: readonly string[],
  records: Iterable<readonly (string | number | boolean | undefined)[]>,
): Promise<void> {
  await writeFile(path, csvDocument(header, records), { mode: 0o600 });
}
