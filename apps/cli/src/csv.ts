import { type Target, writeFileAtomic } from "./files.ts";

// Formula injection (OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection): a spreadsheet
// runs a cell that begins with =, +, -, @, a tab, a carriage return or a line feed. Not only at the cell's start:
// "take care of the field separator (e.g. ',' or ';') and quotes", since a spreadsheet that splits on another
// separator — `;` where the decimal mark is a comma, a tab for pasted text — starts a new cell in the middle of
// ours, and a quote there may open it. So a cell starts at the text's start, or after `,`, `;`, a tab or a line
// break, past any spaces and quotes; where one would begin with =, +, - or @ a `'` goes first (right after the
// separator), which spreadsheets read as "this is text"; a text that begins with a tab or a line break gets one too.
const formulaAfter = /(^|[,;\t\r\n])(?=[ "]*[=+\-@])/g;
const blankStart = /^[\t\r\n]/;

/**
 * One CSV cell: a text from the tenant (an id, an email, a reason) never becomes a formula, whatever separator the
 * spreadsheet splits on (see above), and it is quoted (RFC 4180, quotes doubled) when it holds any separator — `,`,
 * `;`, a tab — a quote or a line break. Numbers and booleans are written as they are. idlink's own reader (bulk's
 * pairs files) reads the quoting back; a neutralised cell keeps its `'`.
 */
export function csvCell(value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  let text = String(value);
  if (typeof value === "string") {
    text = text.replace(formulaAfter, "$1'");
    if (blankStart.test(text)) text = `'${text}`;
  }
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record's line, CRLF-terminated as RFC 4180 has it. */
export function csvRow(record: readonly (string | number | boolean | undefined)[]): string {
  return `${record.map(csvCell).join(",")}\r\n`;
}

function* csvRows(
  header: readonly string[],
  records: Iterable<readonly (string | number | boolean | undefined)[]>,
): Generator<string> {
  yield csvRow(header);
  for (const record of records) yield csvRow(record);
}

/** A CSV document: a header line and one line per record. */
export function csvDocument(
  header: readonly string[],
  records: Iterable<readonly (string | number | boolean | undefined)[]>,
): string {
  return [...csvRows(header, records)].join("");
}

/**
 * Writes a CSV file readable by its owner only (it lists user ids and emails), the one way (files.ts), a record at a
 * time: never the whole document in memory.
 */
export async function writeCsv(
  target: Target,
  header: readonly string[],
  records: Iterable<readonly (string | number | boolean | undefined)[]>,
): Promise<void> {
  await writeFileAtomic(target, csvRows(header, records));
}
