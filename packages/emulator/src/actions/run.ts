import { Worker } from "node:worker_threads";
import type { HandlerOutcome, WorkerInput, WorkerMessage } from "./types.ts";
import { actionWorkerSource } from "./worker-source.ts";

/**
 * Runs one handler of one Action in its own worker thread (a fresh `node:vm` context inside it) and settles with
 * what it did, its error, or `timeout` once `timeoutMs` has passed; the worker is terminated either way. Its
 * `console` (and anything it writes to the worker's stdout/stderr) goes to `onLog`, never to the emulator's output.
 */
export function runHandler(
  input: WorkerInput,
  timeoutMs: number,
  onLog: (level: string, text: string) => void,
  live: Set<Worker>,
): Promise<HandlerOutcome> {
  return new Promise((resolve) => {
    const worker = new Worker(actionWorkerSource, {
      eval: true,
      workerData: input,
      // The Actions runtime gives an Action no environment of the host: `process.env` is empty, even through
      // `require("process")`.
      env: {},
      stdout: true,
      stderr: true,
    });
    live.add(worker);
    let settled = false;
    const finish = (outcome: HandlerOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      live.delete(worker);
      void worker.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: "timeout" }), Math.max(0, timeoutMs));
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "log") onLog(message.level, message.text);
      else if (message.type === "done")
        finish({ kind: "done", commands: message.commands, cache: message.cache });
      else finish({ kind: "error", message: message.message });
    });
    worker.on("error", (error: unknown) =>
      finish({ kind: "error", message: error instanceof Error ? error.message : String(error) }),
    );
    worker.on("exit", (code) => finish({ kind: "error", message: `The Action stopped (exit code ${code})` }));
    const relay = (level: string) => (chunk: Buffer | string) => {
      const text = String(chunk).replace(/\n$/, "");
      if (text !== "") onLog(level, text);
    };
    worker.stdout.on("data", relay("stdout"));
    worker.stderr.on("data", relay("stderr"));
  });
}
