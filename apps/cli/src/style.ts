/** ANSI styling that collapses to plain text when colour is off (not a TTY, or NO_COLOR). */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function createStyle(enabled: boolean): Style {
  if (!enabled) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

/**
 * Columns padded to their widest cell; the last column is not padded. The first row is the header. Given a `width`
 * (a terminal's) that the table would overflow, each row becomes a block of `HEADER  value` lines instead: nothing
 * is ever cut, since ids are copied from here.
 */
export function table(rows: string[][], width?: number): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
    });
  }
  const lines = rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - visibleLength(cell)),
      )
      .join("  ")
      .trimEnd(),
  );
  if (width === undefined || rows.length < 2 || lines.every((l) => visibleLength(l) <= width)) {
    return lines.join("\n");
  }
  const [header = [], ...records] = rows;
  const labelWidth = Math.max(...header.map(visibleLength));
  return records
    .map((record) =>
      record
        .map((cell, i) => {
          const label = header[i] ?? "";
          return visibleLength(label) === 0
            ? cell
            : `${label}${" ".repeat(labelWidth - visibleLength(label))}  ${cell}`.trimEnd();
        })
        .join("\n"),
    )
    .join("\n\n");
}

/**
 * Cuts a line to `width` visible characters (an ellipsis marks the cut), keeping ANSI escapes whole: for a line
 * redrawn in place on a terminal, which must not wrap. Unchanged when `width` is undefined (not a terminal).
 */
export function fitLine(text: string, width: number | undefined): string {
  if (width === undefined || visibleLength(text) <= width) return text;
  let out = "";
  let shown = 0;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: keeping ANSI escapes whole is the point
  for (const part of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith("\u001b[")) {
      out += part;
      continue;
    }
    const room = width - 1 - shown;
    if (room <= 0) continue;
    out += part.slice(0, room);
    shown += Math.min(room, part.length);
  }
  return `${out}…${out.includes("\u001b[") ? "\u001b[0m" : ""}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ansi = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ansi, "").length;
}

/** Quotes a value for a POSIX shell when it needs it (ids hold `|`). */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
