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

/**
 * Quotes a value for a POSIX shell when it needs it (ids hold `|`). A value with a character `printable` escapes
 * is written in ANSI-C quotes (`$'…\x1b…'`, bash, zsh and ksh): pasted, it is the same id, and nothing raw reaches
 * the terminal that shows the command.
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  if (!unprintable.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  const body = value.replace(/[\\']/g, (c) => `\\${c}`).replace(unprintableAll, escapeChar);
  return `$'${body}'`;
}

/**
 * Tenant data for a terminal or a plain-text file (issue 22, "untrusted data fenced"): anyone sets their own name
 * and metadata, and identity providers assert emails, so a value may hold terminal escapes (a window title, a
 * screen clear), line breaks that forge lines, or bidi controls that reorder what is shown. Each such character is
 * written visibly instead: `\x1b`, `\x07`, `\n`, `\u202e`. Everything else, backslashes included, is left as it is.
 * Every command applies it where it prints a value from Auth0 or from its arguments; `--json` has its own escaping
 * (output.ts).
 */
export function printable(value: string | number | undefined): string {
  if (value === undefined) return "";
  const text = String(value);
  return unprintable.test(text) ? text.replace(unprintableAll, escapeChar) : text;
}

// C0 controls (ESC starts every terminal sequence, BEL ends a title), DEL, C1 controls (U+009B is a one-character
// CSI, U+0085 a line break), the Arabic letter mark, the zero-width space, LRM and RLM, the line and paragraph
// separators (U+2028, U+2029), the bidi embeddings and overrides (U+202A–U+202E), the word joiner and invisible
// operators, the bidi isolates (U+2066–U+2069) and deprecated format controls, the byte order mark. The zero-width
// (non-)joiners stay: scripts and emoji need them.
const unprintableSource =
  "[\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b\\u200e\\u200f\\u2028-\\u202e\\u2060-\\u206f\\ufeff]";
const unprintable = new RegExp(unprintableSource);
const unprintableAll = new RegExp(unprintableSource, "g");
const named: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return (
    named[c] ??
    (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`)
  );
}

/**
 * The last guard before a line reaches stdout or stderr (output.ts): what `printable` escapes, except the line
 * breaks between a message's own lines and, when colour is on, the styles above. Commands escape tenant values
 * where they print them; this catches a value one of them missed, so that no raw ESC, BEL or bidi control is ever
 * written.
 */
export function terminalSafe(text: string, colour: boolean): string {
  if (!unprintable.test(text)) return text;
  return text.replace(colour ? styledOrUnprintable : unprintableAll, (match) =>
    match === "\n" || (match.length > 1 && colour) ? match : escapeChar(match),
  );
}

// The sequences createStyle and fitLine write (bold, dim, normal, red, green, yellow, cyan, default, reset), whole.
const styledOrUnprintable = new RegExp(`\\u001b\\[(?:0|1|2|22|31|32|33|36|39)m|${unprintableSource}`, "g");
