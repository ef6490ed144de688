import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { readEnv } from "../src/env.ts";
import type { Io } from "../src/io.ts";
import { runCli } from "../src/program.ts";

/** runCli off a terminal, with no tenant: parse errors must stop before anything needs one. */
async function run(argv: string[], io: Partial<Io> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    env: readEnv({}),
    writeOut: (t) => {
      stdout += t;
    },
    writeErr: (t) => {
      stderr += t;
    },
    readStdin: async () => "",
    prompt: async () => "",
    interactive: false,
    stderrIsTTY: false,
    colorOut: false,
    colorErr: false,
    interrupt: new AbortController().signal,
    cwd: process.cwd(),
    pid: process.pid,
    ...io,
  });
  return { code, stdout, stderr };
}

describe("usage errors exit 2 and say what is wrong", () => {
  test.each([
    [["show", "a", "--frobnicate"], "unknown option '--frobnicate'"],
    [["link", "a", "--dryrun"], "unknown option '--dryrun'\n(Did you mean --dry-run?)"],
    [["link", "a", "-x"], "unknown option '-x'"],
    [["--domain", "x", "show", "a"], "unknown option '--domain'"],
    [["link", "a", "--provider"], "option '--provider <provider>' argument missing"],
    [
      ["bulk", "f.csv", "--concurrency", "-1"],
      "option '--concurrency <n>' argument missing (to give a value starting with '-', write --concurrency=-…)",
    ],
    [
      ["bulk", "f.csv", "--format", "xml"],
      "option '--format <format>' argument 'xml' is invalid. Allowed choices are csv, jsonl.",
    ],
    [["link", "a", "--yes=1"], "option '--yes' takes no value"],
    [["show"], "missing required argument 'user'"],
    [["link"], "missing required argument 'primary'"],
    [["show", "a", "b"], "too many arguments for 'show'. Expected 1 argument but got 2."],
    [["emulator", "x"], "too many arguments for 'emulator'. Expected 0 arguments but got 1."],
    [["shw", "a"], "unknown command 'shw'\n(Did you mean show?)"],
  ])("idlink %j", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: ${message}\n(run with --help for usage)\n`);
    expect(result.stdout).toBe("");
  });

  test("with --json: exactly one document on stdout", async () => {
    const result = await run(["show", "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      exitCode: 2,
      error: { title: "Usage error — nothing was sent", message: "missing required argument 'user'" },
    });
  });

  test("an unknown flag's value is not echoed (it may be a secret)", async () => {
    const result = await run(["show", "a", "--token=eyJ-not-echoed", "--json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--token'");
    expect(result.stdout + result.stderr).not.toContain("eyJ-not-echoed");
  });

  test("a value error wins over --help; --help wins over unknown flags and positionals", async () => {
    expect((await run(["bulk", "f", "--help", "--format", "xml"])).code).toBe(2);
    for (const argv of [
      ["link", "a", "--frobnicate", "--help"],
      ["show", "a", "b", "-h"],
    ]) {
      const result = await run(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: idlink /);
    }
  });
});

test("--version anywhere before --", async () => {
  for (const argv of [["--version"], ["-V"], ["show", "a", "--frobnicate", "--version"]]) {
    expect(await run(argv)).toEqual({ code: 0, stdout: "0.1.0\n", stderr: "" });
  }
});

test("no command: the overview on stderr, exit 2; help <command> and --help on stdout", async () => {
  const none = await run([]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/^Usage: idlink \[options\] \[command\]\n/);
  expect((await run(["--help"])).stdout).toBe(none.stderr);
  expect((await run(["help"])).stdout).toBe(none.stderr);
  expect((await run(["help", "bulk"])).stdout).toBe((await run(["bulk", "-h"])).stdout);
  const unknown = await run(["help", "nope", "--json"]);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toBe(none.stderr);
  expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { message: "unknown command 'nope'" } });
});

test("help keeps its layout, wrapped at 80 columns off a terminal", async () => {
  expect((await run(["show", "--help"])).stdout).toBe(
    [
      "Usage: idlink show [options] <user>",
      "",
      "Show a user and its identities (identity-provider tokens redacted).",
      "",
      "Arguments:",
      "  user                       the user's id",
      "",
      "Options:",
      "  --domain <domain>          tenant domain, e.g. your-tenant.eu.auth0.com",
      "                             (default: $AUTH0_DOMAIN)",
      "  --token-file <file>        read the Management API token from a file",
      "  --token-stdin              read the Management API token from stdin",
      "  --tenant <profile>         a profile of the config file (default:",
      "                             $IDLINK_TENANT, or the file's default)",
      "  --audience <url>           Management API audience, when --domain is a custom",
      "                             domain (default: $AUTH0_AUDIENCE)",
      "  --private-key-file <file>  sign in with Private Key JWT: the application's PEM",
      "                             private key (with AUTH0_CLIENT_ID)",
      "  --allow-insecure-key-file  use a --private-key-file others may read (refused",
      "                             otherwise, as ssh does), with a warning",
      "  --debug                    each request, answer and retry on stderr (redacted)",
      "  --json                     print one JSON document on stdout",
      "  -q, --quiet                only errors and the essential result (no plan,",
      "                             notes, progress)",
      "  --no-color                 no colour, even on a terminal (as NO_COLOR=1)",
      "  -h, --help                 display help for command",
      "",
      "Example:",
      "  $ idlink show 'auth0|6600aa11bb22cc33dd44ee55'",
      "",
      "",
    ].join("\n"),
  );
  const wide = await run(["show", "--help"], { outColumns: 120 });
  expect(wide.stdout).toContain("(default: $AUTH0_DOMAIN)\n");
});

test("bulk's option defaults and choices show in its help", async () => {
  const { stdout } = await run(["bulk", "--help"]);
  expect(stdout).toMatch(/ {2}--concurrency <n> +requests in flight at once \(1-32\) \(default: "4"\)\n/);
  expect(stdout).toMatch(/\(default: from the extension\)\n +\(choices: "csv", "jsonl"\)/);
});

describe("options named like object properties", () => {
  test.each(["--constructor", "--__proto__", "--toString", "--hasOwnProperty"])(
    "%s is idlink's own unknown option, on a command and before it",
    async (flag) => {
      const onCommand = await run(["show", "auth0|1", flag]);
      expect(onCommand.code).toBe(2);
      expect(onCommand.stderr).toContain(`error: unknown option '${flag}'`);
      const before = await run([flag]);
      expect(before.code).toBe(2);
      expect(before.stderr).toContain(`error: unknown option '${flag}'`);
    },
  );
});

describe("a file that cannot be read says why", () => {
  const dir = mkdtempSync(join(tmpdir(), "idlink-files-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = readEnv({ AUTH0_DOMAIN: "tenant.example.com" });

  test.each([
    ["missing", () => join(dir, "nope.txt"), "no such file"],
    ["a directory", () => dir, "it is a directory"],
    [
      "under a file",
      () => join(fileURLToPath(import.meta.url), "x"),
      "a part of the path is not a directory",
    ],
  ])("%s", async (_name, path, why) => {
    for (const argv of [
      ["show", "auth0|1", "--token-file", path()],
      ["bulk", path(), "--dry-run"],
      ["link", "auth0|1", "--link-with-file", path(), "--token-file", path()],
    ]) {
      const result = await run(argv, { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`cannot read ${path()}: ${why}`);
    }
  });
});
