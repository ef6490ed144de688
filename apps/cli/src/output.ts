import type { Io } from "./io.ts";
import { createStyle, type Style } from "./style.ts";

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
  return {
    json,
    quiet,
    out: createStyle(io.colorOut && !json && !mode.noColor),
    err: createStyle(io.colorErr && !mode.noColor),
    width: io.outColumns,
    line(text = "") {
      if (!json) io.writeOut(`${text}\n`);
    },
    detail(text = "") {
      if (!json && !quiet) io.writeOut(`${text}\n`);
    },
    note(text) {
      if (!quiet) io.writeErr(`${text}\n`);
    },
    error(text) {
      io.writeErr(`${text}\n`);
    },
    document(value) {
      io.writeOut(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
