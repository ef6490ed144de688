import type { Io } from "./io.ts";
import type { Output } from "./output.ts";
import { fitLine } from "./style.ts";

/** A progress line on stderr: redrawn in place on a terminal, cut to its width; nothing on a pipe, --quiet or --json. */
export interface ProgressLine {
  /** Draws `text` (computed only when it will be drawn: at most every 100 ms unless `force`). */
  draw(text: () => string, force?: boolean): void;
  /** Ends the line, if one was drawn. */
  done(): void;
}

export function createProgressLine(io: Io, output: Output, now: () => number = Date.now): ProgressLine {
  const on = io.stderrIsTTY && !output.quiet && !output.json;
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    draw(text, force = false) {
      if (!on) return;
      const at = now();
      if (!force && at - last < 100) return;
      last = at;
      io.writeErr(
        `\r\u001b[K${fitLine(text(), io.errColumns === undefined ? undefined : io.errColumns - 1)}`,
      );
      drawn = true;
    },
    done() {
      if (drawn) io.writeErr("\n");
      drawn = false;
    },
  };
}

/** `0:07`, `1:05:00`: a duration in whole seconds, as a clock shows it. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh > 0 ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/**
 * Done out of total, the rate since `startedMs` and the time left at that rate: `12.0/73.9 MB · 8.1 MB/s · 0:08
 * left`. Without a total, what is done and the rate only.
 */
export function progressFigures(options: {
  done: number;
  total?: number | undefined;
  startedMs: number;
  nowMs: number;
  unit: string;
  /** Writes an amount in `unit` (`12.0`). */
  format: (amount: number) => string;
}): string {
  const { done, total, format, unit } = options;
  const seconds = (options.nowMs - options.startedMs) / 1000;
  const rate = seconds > 0 ? done / seconds : 0;
  const parts = [`${format(done)}${total === undefined ? "" : `/${format(total)}`} ${unit}`];
  if (rate > 0) parts.push(`${format(rate)} ${unit}/s`);
  if (total !== undefined && rate > 0) parts.push(`${clock((total - done) / rate)} left`);
  return parts.join(" · ");
}
