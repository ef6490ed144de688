import type { Io } from "./io.ts";
import { createStyle, type Style, terminalSafe } from "./style.ts";

/** How the person or script asked to be spoken to (the flags every command takes). */
export interface OutputMode {
  /** --json: stdout is exactly one JSON document. */
  json: boolean;
  /** --quiet: only errors and the essential result. */
  quiet: boolean;
  /** --no-color. */
  noColor: boolean;
}

/** How a command speaks: human lines on stdout, or exactly one JSON document with --json. */
export interface Output {
  json: boolean;
  quiet: boolean;
  /** Styling for stdout (human mode) and stderr. */
  out: Style;
  err: Style;
  /** Columns of stdout when it is a terminal; undefined when piped (then nothing is cut or reflowed). */
  width: number | undefined;
  /** A line of the result on stdout; silent with --json (stdout then belongs to the document). */
  line(text?: string): void;
  /** A line that explains the result (a plan before a change, a sample); silent with --quiet or --json. */
  detail(text?: string): void;
  /** A note or progress on stderr; silent with --quiet. */
  note(text: string): void;
  /** An error on stderr, always shown. */
  error(text: string): void;
  /** The JSON document (with --json) — call once. */
  document(value: unknown): void;
}

export function createOutput(io: Io, mode: OutputMode): Output {
  const { json, quiet } = mode;
  const colourOut = io.colorOut && !json && !mode.noColor;
  const colourErr = io.colorErr && !mode.noColor;
  // Commands escape tenant values where they print them (`printable`); every line still passes `terminalSafe`.
  const out = (text: string) => io.writeOut(`${terminalSafe(text, colourOut)}\n`);
  const err = (text: string) => io.writeErr(`${terminalSafe(text, colourErr)}\n`);
  return {
    json,
    quiet,
    out: createStyle(colourOut),
    err: createStyle(colourErr),
    width: io.outColumns,
    line(text = "") {
      if (!json) out(text);
    },
    detail(text = "") {
      if (!json && !quiet) out(text);
    },
    note(text) {
      if (!quiet) err(text);
    },
    error(text) {
      err(text);
    },
    document(value) {
      io.writeOut(`${jsonText(value)}\n`);
    },
  };
}

/**
 * The --json document. JSON.stringify escapes control characters (C0) in strings, but not DEL, C1 controls, the
 * line and paragraph separators or bidi controls, which a terminal or an editor showing the document would act
 * on: those are written as `\uXXXX` too. They can only be inside strings, so the document parses to the same values.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
