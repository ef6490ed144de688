import type { Io } from "./io.ts";
import { createStyle, type Style } from "./style.ts";

/** How a command speaks: human lines on stdout, or exactly one JSON document with --json. */
export interface Output {
  json: boolean;
  /** Styling for stdout (human mode) and stderr. */
  out: Style;
  err: Style;
  /** A human line on stdout; silent with --json (stdout then belongs to the document). */
  line(text?: string): void;
  /** A note on stderr, shown in both modes. */
  note(text: string): void;
  /** The JSON document (with --json) — call once. */
  document(value: unknown): void;
}

export function createOutput(io: Io, json: boolean): Output {
  return {
    json,
    out: createStyle(io.colorOut && !json),
    err: createStyle(io.colorErr),
    line(text = "") {
      if (!json) io.writeOut(`${text}\n`);
    },
    note(text) {
      io.writeErr(`${text}\n`);
    },
    document(value) {
      io.writeOut(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
