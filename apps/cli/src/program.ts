import { Command, CommanderError, Option } from "commander";
import type { ConnectionFlags } from "./credentials.ts";
import { ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import { createOutput, type Output } from "./output.ts";

/** What every command gets: the outside world and the way to speak. */
export interface CommandContext {
  io: Io;
  output: Output;
}

export type CommandFlags = ConnectionFlags & { json?: boolean };

type Run = (ctx: CommandContext) => Promise<number>;

const version = "0.1.0";

/** Runs idlink with `argv` (without node and the script); resolves with the exit code. Never calls process.exit. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  let pending: { run: Run; json: boolean } | undefined;
  const schedule = (json: boolean | undefined, run: Run) => {
    pending = { run, json: json === true };
  };
  const program = buildProgram(io, schedule);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.ok;
      if (argv.includes("--json")) {
        createOutput(io, true).document({
          ok: false,
          exitCode: ExitCode.usage,
          error: { title: "Usage error — nothing was sent", message: error.message.replace(/^error: /, "") },
        });
      }
      return ExitCode.usage;
    }
    throw error;
  }
  if (!pending) return ExitCode.ok;
  const output = createOutput(io, pending.json);
  try {
    return await pending.run({ io, output });
  } catch (error) {
    const { reportError } = await import("./report.ts");
    return reportError(error, output);
  }
}

function example(lines: string): string {
  return `\nExample${lines.includes("\n") ? "s" : ""}:\n${lines
    .split("\n")
    .map((l) => `  $ ${l}`)
    .join("\n")}\n`;
}

function withConnection(command: Command): Command {
  return command
    .option("--domain <domain>", "tenant domain, e.g. your-tenant.eu.auth0.com (default: $AUTH0_DOMAIN)")
    .option("--token-file <file>", "read the Management API token from a file")
    .option("--token-stdin", "read the Management API token from stdin")
    .option("--json", "print one JSON document on stdout");
}

function buildProgram(io: Io, schedule: (json: boolean | undefined, run: Run) => void): Command {
  const program = new Command("idlink")
    .description(
      "Link, unlink, inspect and bulk-link Auth0 accounts.\n\n" +
        "Credentials: AUTH0_TOKEN, --token-file F, --token-stdin, or AUTH0_CLIENT_ID + AUTH0_CLIENT_SECRET.\n" +
        "Never pass a secret as a flag value.",
    )
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.writeOut(s), writeErr: (s) => io.writeErr(s) })
    .showHelpAfterError("(run with --help for usage)");
  program.addHelpText(
    "after",
    example("idlink link 'auth0|64f1a2b3c4d5e6f708192a3b' 'google-oauth2|108234567890123456789'"),
  );

  withConnection(
    program
      .command("link")
      .description(
        "Link a secondary account into a primary. Validates, checks the token, shows the plan, asks, then links.",
      )
      .argument("<primary>", "the primary user's id, e.g. auth0|64f1…")
      .argument("[secondary]", "the secondary's full id, e.g. google-oauth2|108… or samlp|conn|abc")
      .option("--provider <provider>", "the secondary's provider (with --user-id), instead of a full id")
      .option("--user-id <id>", "the secondary's user_id: the part after the first |")
      .option("--connection-id <id>", "the secondary's connection (con_ + 16 characters), when needed")
      .option("--link-with <dash>", "'-': read the secondary's ID token from stdin (token variant)")
      .option("--link-with-file <file>", "read the secondary's ID token from a file (token variant)")
      .option("--merge-metadata", "copy the secondary's user_metadata keys the primary lacks before linking")
      .option("--dry-run", "stop after the plan; change nothing")
      .option("--print-curl", "print the equivalent curl request (token as $AUTH0_TOKEN) and send nothing")
      .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)"),
  )
    .addHelpText(
      "after",
      example(
        [
          "idlink link 'auth0|64f1a2b3c4d5e6f708192a3b' 'google-oauth2|108234567890123456789' --dry-run",
          "idlink link 'auth0|64f1…' --provider github --user-id 5812345 --yes --json",
          "idlink link 'auth0|64f1…' --link-with - < secondary-id-token.txt",
        ].join("\n"),
      ),
    )
    .action((primary: string, secondary: string | undefined, flags: LinkFlags) =>
      schedule(flags.json, async (ctx) =>
        (await import("./commands/link.ts")).link({ primary, secondary, flags }, ctx),
      ),
    );

  withConnection(
    program
      .command("unlink")
      .description(
        "Unlink a secondary identity from a primary; Auth0 recreates it as a user without metadata.",
      )
      .argument("<primary>", "the primary user's id")
      .argument("[secondary]", "the linked identity's full id, e.g. google-oauth2|108…")
      .option("--provider <provider>", "the identity's provider (with --user-id), instead of a full id")
      .option("--user-id <id>", "the identity's user_id")
      .option("--dry-run", "show what would happen; change nothing")
      .option("--print-curl", "print the equivalent curl request (token as $AUTH0_TOKEN) and send nothing")
      .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)"),
  )
    .addHelpText("after", example("idlink unlink 'auth0|6600aa11bb22cc33dd44ee55' 'github|7700123' --yes"))
    .action((primary: string, secondary: string | undefined, flags: UnlinkFlags) =>
      schedule(flags.json, async (ctx) =>
        (await import("./commands/unlink.ts")).unlink({ primary, secondary, flags }, ctx),
      ),
    );

  withConnection(
    program
      .command("show")
      .description("Show a user and its identities (identity-provider tokens redacted).")
      .argument("<user>", "the user's id"),
  )
    .addHelpText("after", example("idlink show 'auth0|6600aa11bb22cc33dd44ee55'"))
    .action((user: string, flags: CommandFlags) =>
      schedule(flags.json, async (ctx) => (await import("./commands/show.ts")).show({ user, flags }, ctx)),
    );

  withConnection(
    program
      .command("candidates")
      .description(
        "Suggest accounts to link: users sharing a verified email, each with its idlink link command. " +
          "Unverified matches are listed apart, never suggested.",
      )
      .argument("<email-or-user>", "an email address or a user id"),
  )
    .addHelpText(
      "after",
      example(
        "idlink candidates alice.martin@example.com\nidlink candidates 'auth0|64f1a2b3c4d5e6f708192a3b'",
      ),
    )
    .action((subject: string, flags: CommandFlags) =>
      schedule(flags.json, async (ctx) =>
        (await import("./commands/candidates.ts")).candidates({ subject, flags }, ctx),
      ),
    );

  withConnection(
    program
      .command("bulk")
      .description(
        "Link many pairs from a CSV (primary,secondary[,connection_id]) or JSONL file, resumably, " +
          "under the tenant's rate limit, with a journal.",
      )
      .argument("<file>", "a .csv or .jsonl file of pairs")
      .option("--journal <file>", "journal path (default: <file>.journal.jsonl)")
      .addOption(
        new Option("--concurrency <n>", "requests in flight at once (1-32)").default("4").argParser(String),
      )
      .addOption(
        new Option("--format <format>", "input format (default: from the extension)").choices([
          "csv",
          "jsonl",
        ]),
      )
      .option("--skip-invalid", "start even when some rows are invalid, skipping them")
      .option("--dry-run", "validate and print the plan and counts; send nothing")
      .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)"),
  )
    .addHelpText(
      "after",
      example(
        "idlink bulk pairs.csv --dry-run\nidlink bulk pairs.csv --yes --concurrency 8\nidlink bulk pairs.csv --yes   # again: resumes from pairs.csv.journal.jsonl",
      ),
    )
    .action((file: string, flags: BulkFlags) =>
      schedule(flags.json, async (ctx) => (await import("./commands/bulk.ts")).bulk({ file, flags }, ctx)),
    );

  program
    .command("emulator")
    .description(
      "Start the local Auth0 emulator on 127.0.0.1 and print how to point idlink at it (Ctrl-C stops).",
    )
    .option("--seed <file>", "a seed JSON file (default: the bundled tenant)")
    .option("--port <n>", "port on 127.0.0.1 (default: a free one)")
    .option(
      "--env-out <file>",
      "write AUTH0_DOMAIN and the admin client's credentials to this file (mode 600)",
    )
    .option("--json", "print one JSON document on stdout")
    .addHelpText(
      "after",
      example(
        "idlink emulator --port 4010 --env-out .emulator.env\nsource .emulator.env && idlink show 'auth0|64f1a2b3c4d5e6f708192a3b'",
      ),
    )
    .action((flags: EmulatorFlags) =>
      schedule(flags.json, async (ctx) => (await import("./commands/emulator.ts")).emulator({ flags }, ctx)),
    );

  return program;
}

export interface LinkFlags extends CommandFlags {
  provider?: string;
  userId?: string;
  connectionId?: string;
  linkWith?: string;
  linkWithFile?: string;
  mergeMetadata?: boolean;
  dryRun?: boolean;
  printCurl?: boolean;
  yes?: boolean;
}

export interface UnlinkFlags extends CommandFlags {
  provider?: string;
  userId?: string;
  dryRun?: boolean;
  printCurl?: boolean;
  yes?: boolean;
}

export interface BulkFlags extends CommandFlags {
  journal?: string;
  concurrency: string;
  format?: "csv" | "jsonl";
  skipInvalid?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

export interface EmulatorFlags {
  seed?: string;
  port?: string;
  envOut?: string;
  json?: boolean;
}
