import { createInterface } from "node:readline";
import { readEnv } from "./env.ts";
import type { Io } from "./io.ts";
import { runCli } from "./program.ts";

// The only place that reads process.env, argv, the terminal and calls process.exit.
const env = readEnv(process.env);
const controller = new AbortController();
let interrupts = 0;
process.on("SIGINT", () => {
  interrupts += 1;
  // A second Ctrl-C does not wait for in-flight requests.
  if (interrupts > 1) process.exit(130);
  const reason = new Error("Interrupted by Ctrl-C");
  reason.name = "InterruptedError";
  controller.abort(reason);
});

let stdinText: Promise<string> | undefined;
const readStdin = (): Promise<string> => {
  stdinText ??= (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString("utf8");
  })();
  return stdinText;
};

const colorOn = (tty: boolean | undefined) =>
  env.color === "always" || (env.color === "auto" && tty === true);
const io: Io = {
  env,
  writeOut: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
  readStdin,
  prompt: (question) =>
    new Promise((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      let answered = false;
      rl.on("SIGINT", () => {
        rl.close();
      });
      rl.on("close", () => {
        if (!answered) resolve("");
      });
      rl.question(question, (answer) => {
        answered = true;
        rl.close();
        resolve(answer);
      });
    }),
  interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  colorOut: colorOn(process.stdout.isTTY),
  colorErr: colorOn(process.stderr.isTTY),
  outColumns: process.stdout.isTTY ? process.stdout.columns : undefined,
  errColumns: process.stderr.isTTY ? process.stderr.columns : undefined,
  interrupt: controller.signal,
  cwd: process.cwd(),
  pid: process.pid,
};

runCli(process.argv.slice(2), io).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`idlink: unexpected failure: ${error instanceof Error ? error.name : "error"}\n`);
    process.exit(1);
  },
);
