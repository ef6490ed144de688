import { describe, expect, test } from "vitest";
import type { Io } from "../src/io.ts";
import { clock, createProgressLine, progressFigures } from "../src/progress-line.ts";

function io(tty: boolean) {
  const err: string[] = [];
  return {
    err,
    io: { stderrIsTTY: tty, errColumns: 30, writeErr: (t: string) => err.push(t) } as unknown as Io,
  };
}

describe("createProgressLine", () => {
  test("redraws one line on a terminal, at most every 100 ms unless forced, cut to its width", () => {
    const t = io(true);
    let now = 1000;
    const line = createProgressLine(t.io, { quiet: false, json: false } as never, () => now);
    line.draw(() => "first");
    now += 50;
    line.draw(() => "skipped: too soon");
    line.draw(() => "forced", true);
    now += 150;
    line.draw(() => "x".repeat(80));
    line.done();
    expect(t.err).toEqual(["\r\u001b[Kfirst", "\r\u001b[Kforced", `\r\u001b[K${"x".repeat(28)}…`, "\n"]);
  });

  test.each([
    ["a pipe", false, { quiet: false, json: false }],
    ["--quiet", true, { quiet: true, json: false }],
    ["--json", true, { quiet: false, json: true }],
  ])("draws nothing on %s", (_name, tty, mode) => {
    const t = io(tty);
    const line = createProgressLine(t.io, mode as never);
    line.draw(() => "never", true);
    line.done();
    expect(t.err).toEqual([]);
  });
});

describe("progressFigures and clock", () => {
  test("done/total, the rate and the time left at that rate", () => {
    const text = progressFigures({
      done: 20e6,
      total: 80e6,
      startedMs: 0,
      nowMs: 4000,
      unit: "MB",
      format: (n) => (n / 1e6).toFixed(1),
    });
    expect(text).toBe("20.0/80.0 MB · 5.0 MB/s · 0:12 left");
  });

  test("without a total: what is done and the rate", () => {
    expect(progressFigures({ done: 10, startedMs: 0, nowMs: 2000, unit: "lines", format: String })).toBe(
      "10 lines · 5 lines/s",
    );
    expect(progressFigures({ done: 0, total: 9, startedMs: 0, nowMs: 0, unit: "MB", format: String })).toBe(
      "0/9 MB",
    );
  });

  test.each([
    [0, "0:00"],
    [7.2, "0:08"],
    [65, "1:05"],
    [3600, "1:00:00"],
    [-3, "0:00"],
  ])("clock(%s) is %s", (seconds, text) => {
    expect(clock(seconds)).toBe(text);
  });
});
