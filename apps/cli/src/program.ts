import pkg from "../package.json" with { type: "json" };
import {
  type CommandSpec,
  helpOption,
  type OptionSpec,
  optionTerm,
  parseCommand,
  suggestSimilar,
} from "./command-spec.ts";
import type { DuplicatesFlags } from "./commands/duplicates.ts";
import type { ConnectionFlags } from "./credentials.ts";
import { ExitCode } from "./exit-codes.ts";
import { formatHelp } from "./help.ts";
import type { Io } from "./io.ts";
import { createOutput, type Output } from "./output.ts";
import { UsageError } from "./usage-error.ts";

/** What every command gets: the outside world and the way to speak. */
export interface CommandContext {
  io: Io;
  output: Output;
}

export type CommandFlags = ConnectionFlags & { json?: boolean };

const version = pkg.version;

const yes: OptionSpec = {
  type: "boolean",
  short: "y",
  description: "do not ask for confirmation (required when not on a terminal)",
};
const printCurl: OptionSpec = {
  type: "boolean",
  description: "print the equivalent curl request (token as $AUTH0_TOKEN) and send nothing",
};
const json: OptionSpec = { type: "boolean", description: "print one JSON document on stdout" };

/** The options of every command that talks to a tenant. */
const connection: Record<string, OptionSpec> = {
  domain: {
    type: "string",
    value: "domain",
    description: "tenant domain, e.g. your-tenant.eu.auth0.com (default: $AUTH0_DOMAIN)",
  },
  "token-file": { type: "string", value: "file", description: "read the Management API token from a file" },
  "token-stdin": { type: "boolean", description: "read the Management API token from stdin" },
  json,
};

// Flags reach each command exactly as declared in its row (parseCommand builds them from `options`), hence the
// casts to the command's flag type. Required positionals are always present; the `= ""` defaults only satisfy TS.
const commands: readonly CommandSpec[] = [
  {
    name: "link",
    description:
      "Link a secondary account into a primary. Validates, checks the token, shows the plan, asks, then links.",
    args: [
      { name: "primary", required: true, description: "the primary user's id, e.g. auth0|64f1…" },
      {
        name: "secondary",
        required: false,
        description: "the secondary's full id, e.g. google-oauth2|108… or samlp|conn|abc",
      },
    ],
    options: {
      provider: {
        type: "string",
        value: "provider",
        description: "the secondary's provider (with --user-id), instead of a full id",
      },
      "user-id": {
        type: "string",
        value: "id",
        description: "the secondary's user_id: the part after the first |",
      },
      "connection-id": {
        type: "string",
        value: "id",
        description: "the secondary's connection (con_ + 16 characters), when needed",
      },
      "link-with": {
        type: "string",
        value: "dash",
        description: "'-': read the secondary's ID token from stdin (token variant)",
      },
      "link-with-file": {
        type: "string",
        value: "file",
        description: "read the secondary's ID token from a file (token variant)",
      },
      "merge-metadata": {
        type: "boolean",
        description: "copy the secondary's user_metadata keys the primary lacks before linking",
      },
      "dry-run": { type: "boolean", description: "stop after the plan; change nothing" },
      "print-curl": printCurl,
      yes,
      ...connection,
    },
    examples: [
      "idlink link 'auth0|64f1a2b3c4d5e6f708192a3b' 'google-oauth2|108234567890123456789' --dry-run",
      "idlink link 'auth0|64f1…' --provider github --user-id 5812345 --yes --json",
      "idlink link 'auth0|64f1…' --link-with - < secondary-id-token.txt",
    ],
    run: async ({ args: [primary = "", secondary], flags }, ctx) =>
      (await import("./commands/link.ts")).link({ primary, secondary, flags: flags as LinkFlags }, ctx),
  },
  {
    name: "unlink",
    description: "Unlink a secondary identity from a primary; Auth0 recreates it as a user without metadata.",
    args: [
      { name: "primary", required: true, description: "the primary user's id" },
      {
        name: "secondary",
        required: false,
        description: "the linked identity's full id, e.g. google-oauth2|108…",
      },
    ],
    options: {
      provider: {
        type: "string",
        value: "provider",
        description: "the identity's provider (with --user-id), instead of a full id",
      },
      "user-id": { type: "string", value: "id", description: "the identity's user_id" },
      "dry-run": { type: "boolean", description: "show what would happen; change nothing" },
      "print-curl": printCurl,
      yes,
      ...connection,
    },
    examples: ["idlink unlink 'auth0|6600aa11bb22cc33dd44ee55' 'github|7700123' --yes"],
    run: async ({ args: [primary = "", secondary], flags }, ctx) =>
      (await import("./commands/unlink.ts")).unlink({ primary, secondary, flags: flags as UnlinkFlags }, ctx),
  },
  {
    name: "show",
    description: "Show a user and its identities (identity-provider tokens redacted).",
    args: [{ name: "user", required: true, description: "the user's id" }],
    options: connection,
    examples: ["idlink show 'auth0|6600aa11bb22cc33dd44ee55'"],
    run: async ({ args: [user = ""], flags }, ctx) =>
      (await import("./commands/show.ts")).show({ user, flags: flags as CommandFlags }, ctx),
  },
  {
    name: "candidates",
    description:
      "Suggest accounts to link: users sharing a verified email, each with its idlink link command. " +
      "Unverified matches are listed apart, never suggested.",
    args: [{ name: "email-or-user", required: true, description: "an email address or a user id" }],
    options: connection,
    examples: [
      "idlink candidates alice.martin@example.com",
      "idlink candidates 'auth0|64f1a2b3c4d5e6f708192a3b'",
    ],
    run: async ({ args: [subject = ""], flags }, ctx) =>
      (await import("./commands/candidates.ts")).candidates({ subject, flags: flags as CommandFlags }, ctx),
  },
  {
    name: "bulk",
    description:
      "Link many pairs from a CSV (primary,secondary[,connection_id]) or JSONL file, resumably, " +
      "under the tenant's rate limit, with a journal.",
    args: [
      { name: "file", required: false, description: "a .csv or .jsonl file of pairs (not with --undo)" },
    ],
    options: {
      undo: {
        type: "string",
        value: "journal",
        description: "unlink what the run of this journal linked (its own journal: <journal>.undo.jsonl)",
      },
      journal: { type: "string", value: "file", description: "journal path (default: <file>.journal.jsonl)" },
      concurrency: {
        type: "string",
        value: "n",
        description: "requests in flight at once (1-32)",
        default: "4",
      },
      format: {
        type: "string",
        value: "format",
        description: "input format (default: from the extension)",
        choices: ["csv", "jsonl"],
      },
      "skip-invalid": {
        type: "boolean",
        description: "start even when some rows are invalid, skipping them",
      },
      "dry-run": { type: "boolean", description: "validate and print the plan and counts; send nothing" },
      yes,
      ...connection,
    },
    examples: [
      "idlink bulk pairs.csv --dry-run",
      "idlink bulk pairs.csv --yes --concurrency 8",
      "idlink bulk pairs.csv --yes   # again: resumes from pairs.csv.journal.jsonl",
      "idlink bulk --undo pairs.csv.journal.jsonl --dry-run",
    ],
    run: async ({ args: [file], flags }, ctx) => {
      const bulkFlags = flags as unknown as BulkFlags;
      if (bulkFlags.undo !== undefined) {
        if (file !== undefined)
          throw new UsageError("--undo takes a journal, not a pairs file: drop the file.");
        return (await import("./commands/bulk-undo.ts")).bulkUndo(
          { journalFile: bulkFlags.undo, flags: bulkFlags },
          ctx,
        );
      }
      if (file === undefined) throw new UsageError("bulk needs a pairs file (or --undo JOURNAL).");
      return (await import("./commands/bulk.ts")).bulk({ file, flags: bulkFlags }, ctx);
    },
  },
  {
    name: "duplicates",
    description:
      "Find every duplicate account in the tenant from a user export (a new export job, or --from FILE): " +
      "groups by verified email, writes a pairs file for idlink bulk and a report. Changes nothing.",
    args: [],
    options: {
      from: {
        type: "string",
        value: "file",
        description: "read a downloaded export (.json.gz, .csv.gz, or plain)",
      },
      format: {
        type: "string",
        value: "format",
        description: "format of --from (default: from the extension, else json)",
        choices: ["json", "csv"],
      },
      "connection-id": {
        type: "string",
        value: "id",
        description: "export one connection only (con_ + 16 characters)",
      },
      out: {
        type: "string",
        value: "file",
        description: "pairs file to write",
        default: "duplicate-pairs.jsonl",
      },
      report: { type: "string", value: "file", description: "report to write (default: <out>.report.json)" },
      policy: {
        type: "string",
        value: "list",
        description:
          "primary choice, in order (default already_primary,database,oldest,most_logins; also latest_login)",
      },
      "max-group": {
        type: "string",
        value: "n",
        description: "skip groups of more accounts than this",
        default: "5",
      },
      "skip-malformed": {
        type: "boolean",
        description: "skip malformed lines (reported) instead of stopping",
      },
      ...connection,
    },
    examples: [
      "idlink duplicates --out pairs.jsonl",
      "idlink duplicates --from users.json.gz --policy oldest,most_logins --json",
      "idlink bulk pairs.jsonl --dry-run",
    ],
    run: async ({ flags }, ctx) =>
      (await import("./commands/duplicates.ts")).duplicates(
        { flags: flags as unknown as DuplicatesFlags },
        ctx,
      ),
  },
  {
    name: "emulator",
    description:
      "Start the local Auth0 emulator on 127.0.0.1 and print how to point idlink at it (Ctrl-C stops).",
    args: [],
    options: {
      seed: { type: "string", value: "file", description: "a seed JSON file (default: the bundled tenant)" },
      port: { type: "string", value: "n", description: "port on 127.0.0.1 (default: a free one)" },
      "env-out": {
        type: "string",
        value: "file",
        description: "write AUTH0_DOMAIN and the admin client's credentials to this file (mode 600)",
      },
      json,
    },
    examples: [
      "idlink emulator --port 4010 --env-out .emulator.env",
      "source .emulator.env && idlink show 'auth0|64f1a2b3c4d5e6f708192a3b'",
    ],
    run: async ({ flags }, ctx) =>
      (await import("./commands/emulator.ts")).emulator({ flags: flags as EmulatorFlags }, ctx),
  },
];

const programDescription =
  "Link, unlink, inspect and bulk-link Auth0 accounts.\n\n" +
  "Credentials: AUTH0_TOKEN, --token-file F, --token-stdin, or AUTH0_CLIENT_ID + AUTH0_CLIENT_SECRET.\n" +
  "Never pass a secret as a flag value.";

function usageOf(command: CommandSpec): string {
  const args = command.args.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`));
  return [command.name, "[options]", ...args].join(" ");
}

function programHelp(width: number | undefined): string {
  return formatHelp(
    {
      usage: "idlink [options] [command]",
      description: programDescription,
      sections: [
        {
          title: "Options:",
          items: [
            ["-V, --version", "output the version number"],
            [optionTerm("help", helpOption), helpOption.description],
          ],
        },
        {
          title: "Commands:",
          items: [
            ...commands.map((c): [string, string] => [usageOf(c), c.description]),
            ["help [command]", "display help for command"],
          ],
        },
      ],
      examples: ["idlink link 'auth0|64f1a2b3c4d5e6f708192a3b' 'google-oauth2|108234567890123456789'"],
    },
    width,
  );
}

function commandHelp(command: CommandSpec, width: number | undefined): string {
  const options = Object.entries({ ...command.options, help: helpOption }).map(
    ([name, option]): [string, string] => {
      const extra = [
        ...(option.choices ? [`choices: ${option.choices.map((c) => JSON.stringify(c)).join(", ")}`] : []),
        ...(option.default !== undefined ? [`default: ${JSON.stringify(option.default)}`] : []),
      ];
      return [
        optionTerm(name, option),
        extra.length ? `${option.description} (${extra.join(", ")})` : option.description,
      ];
    },
  );
  return formatHelp(
    {
      usage: `idlink ${usageOf(command)}`,
      description: command.description,
      sections: [
        { title: "Arguments:", items: command.args.map((a): [string, string] => [a.name, a.description]) },
        { title: "Options:", items: options },
      ],
      examples: command.examples,
    },
    width,
  );
}

/** Runs idlink with `argv` (without node and the script); resolves with the exit code. Never calls process.exit. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const wantsJson = argv.includes("--json");
  const usageError = (message: string, help?: string): number => {
    io.writeErr(help ?? `error: ${message}\n(run with --help for usage)\n`);
    if (wantsJson) {
      createOutput(io, true).document({
        ok: false,
        exitCode: ExitCode.usage,
        error: { title: "Usage error — nothing was sent", message },
      });
    }
    return ExitCode.usage;
  };

  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const end = args.indexOf("--");
  const flagArea = end === -1 ? args : args.slice(0, end);
  // --version and --help are answered wherever they stand before `--`.
  if (flagArea.includes("--version") || flagArea.includes("-V")) {
    io.writeOut(`${version}\n`);
    return ExitCode.ok;
  }
  const [name, ...rest] = args;
  if (name === undefined) return usageError("no command given", programHelp(io.errColumns));
  if (name === "help") {
    const topic = rest[0]?.startsWith("-") ? undefined : rest[0];
    if (topic === undefined) {
      io.writeOut(programHelp(io.outColumns));
      return ExitCode.ok;
    }
    const command = commands.find((c) => c.name === topic);
    if (command === undefined) return usageError(unknownCommand(topic), programHelp(io.errColumns));
    io.writeOut(commandHelp(command, io.outColumns));
    return ExitCode.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    if (!name.startsWith("-")) return usageError(unknownCommand(name));
    if (flagArea.includes("--help") || flagArea.includes("-h")) {
      io.writeOut(programHelp(io.outColumns));
      return ExitCode.ok;
    }
    const flag = name.split("=")[0] ?? name;
    const similar = flag.startsWith("--") ? suggestSimilar(flag, ["--version", "--help"]) : "";
    return usageError(`unknown option '${flag}'${similar}`);
  }

  const parsed = parseCommand(command, rest);
  if (parsed.kind === "help") {
    io.writeOut(commandHelp(command, io.outColumns));
    return ExitCode.ok;
  }
  if (parsed.kind === "error") return usageError(parsed.message);
  const output = createOutput(io, parsed.flags.json === true);
  try {
    return await command.run(parsed, { io, output });
  } catch (error) {
    const { reportError } = await import("./report.ts");
    return reportError(error, output);
  }
}

function unknownCommand(name: string): string {
  return `unknown command '${name}'${suggestSimilar(name, [...commands.map((c) => c.name), "help"])}`;
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
  undo?: string;
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
