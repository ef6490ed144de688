import type { Env } from "./env.ts";

/** Everything a command may touch outside itself: tests pass their own, main.ts passes the process's. */
export interface Io {
  env: Env;
  writeOut(text: string): void;
  writeErr(text: string): void;
  /** Reads all of stdin (once). */
  readStdin(): Promise<string>;
  /** Asks a question on the terminal; resolves with the answer ("" on end of input). */
  prompt(question: string): Promise<string>;
  /** stdin and stdout are both terminals: a person is there to confirm. */
  interactive: boolean;
  /** stderr is a terminal: progress may redraw one line. */
  stderrIsTTY: boolean;
  /** Colour allowed on stdout / stderr (a TTY and no NO_COLOR, or FORCE_COLOR); `--no-color` turns both off. */
  colorOut: boolean;
  colorErr: boolean;
  /**
   * Width of stdout / stderr when a terminal: help wraps to it, a table too wide for it is shown a record at a
   * time, a redrawn progress line is cut to it. Unset when piped: nothing is cut or reflowed (80 for help).
   */
  outColumns?: number | undefined;
  errColumns?: number | undefined;
  /** Aborted on the first Ctrl-C. */
  interrupt: AbortSignal;
  /** Working directory for relative paths. */
  cwd: string;
  /** This process's id (written into the bulk lock file). */
  pid: number;
}
