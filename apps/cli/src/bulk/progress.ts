import type { RateLimitState } from "@idlink/core";
import type { Io } from "../io.ts";
import type { Output } from "../output.ts";
import { fitLine } from "../style.ts";
import type { OutcomeStatus } from "./journal.ts";
import type { RowResult } from "./runner.ts";

export interface Progress {
  update(
    result: RowResult,
    counts: Record<OutcomeStatus, number>,
    rateLimit: RateLimitState | undefined,
  ): void;
  done(): void;
}

/**
 * On a terminal one redrawn line (done/failed, rate, ETA), cut to the terminal's width so it never wraps;
 * elsewhere one plain line per row, on stderr. Nothing with --quiet.
 */
export function createProgress(io: Io, output: Output, total: number): Progress {
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  const s = output.err;
  return {
    update(result, counts, rateLimit) {
      if (output.quiet) return;
      const finished = Object.values(counts).reduce((a, b) => a + b, 0);
      if (!io.stderrIsTTY) {
        const what = result.status.replace("_", " ");
        const reason = result.reason ? `: ${result.reason}` : "";
        io.writeErr(
          `row ${result.row.row} ${what} ${result.row.secondary} → ${result.row.primary}${reason}\n`,
        );
        return;
      }
      const now = Date.now();
      if (now - lastDraw < 100 && finished < total) return;
      lastDraw = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? finished / seconds : 0;
      const eta = rate > 0 ? Math.ceil((total - finished) / rate) : undefined;
      const limit = rateLimit ? `  limit ${rateLimit.limit} (${rateLimit.remaining} left)` : "";
      const failed = counts.failed + counts.unknown;
      const blocked = counts.blocked > 0 ? `  ${s.yellow(`blocked ${counts.blocked}`)}` : "";
      const line =
        `${finished}/${total}  ${s.green(`linked ${counts.linked}`)}  already ${counts.already_linked}  ` +
        `${failed > 0 ? s.red(`failed ${failed}`) : "failed 0"}${blocked}  ${rate.toFixed(1)}/s  ETA ${eta === undefined ? "?" : `${eta}s`}${limit}`;
      io.writeErr(`\r\u001b[K${fitLine(line, io.errColumns === undefined ? undefined : io.errColumns - 1)}`);
      drawn = true;
    },
    done() {
      if (drawn) io.writeErr("\n");
    },
  };
}
