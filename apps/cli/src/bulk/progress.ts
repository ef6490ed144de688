import type { RateLimitState } from "@idlink/core";
import type { Io } from "../io.ts";
import type { Output } from "../output.ts";
import { createProgressLine, progressFigures } from "../progress-line.ts";
import type { Style } from "../style.ts";
import type { OutcomeStatus } from "./journal.ts";

export interface Progress {
  update(counts: Record<OutcomeStatus, number>, rateLimit: RateLimitState | undefined): void;
  done(): void;
}

/**
 * On a terminal, one line redrawn in place on stderr (`createProgressLine`): rows done of the total, the rate and
 * the time left, then linked, already, failed, blocked, and the limit learnt from the tenant. Nothing on a pipe or
 * a file, nor with --quiet or --json: the summary (and the journal) say every row's outcome.
 */
export function createProgress(
  io: Io,
  output: Output,
  total: number,
  now: () => number = Date.now,
): Progress {
  const line = createProgressLine(io, output, now);
  const started = now();
  return {
    update(counts, rateLimit) {
      const finished = Object.values(counts).reduce((a, b) => a + b, 0);
      line.draw(() => progressText(counts, total, started, now(), rateLimit, output.err), finished === total);
    },
    done: () => line.done(),
  };
}

function progressText(
  counts: Record<OutcomeStatus, number>,
  total: number,
  startedMs: number,
  nowMs: number,
  rateLimit: RateLimitState | undefined,
  s: Style,
): string {
  const done = Object.values(counts).reduce((a, b) => a + b, 0);
  const figures = progressFigures({
    done,
    total,
    startedMs,
    nowMs,
    unit: "rows",
    format: (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1)),
  });
  const failed = counts.failed + counts.unknown;
  return [
    figures,
    s.green(`linked ${counts.linked}`),
    `already ${counts.already_linked}`,
    failed > 0 ? s.red(`failed ${failed}`) : "failed 0",
    ...(counts.blocked > 0 ? [s.yellow(`blocked ${counts.blocked}`)] : []),
    ...(rateLimit ? [`limit ${rateLimit.limit} (${rateLimit.remaining} left)`] : []),
  ].join(" · ");
}
