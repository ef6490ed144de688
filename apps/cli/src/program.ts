import pkg from "../package.json" with { type: "json" };
import {
  type CommandSpec,
  commonOptions,
  type Handler,
  helpOption,
  optionTerm,
  type ParseResult,
  parseCommand,
  suggestSimilar,
} from "./command-spec.ts";
import type { CommandContext } from "./context.ts";
import { ExitCode } from "./exit-codes.ts";
import { formatHelp } from "./help.ts";
import type { Io } from "./io.ts";
import { createOutput } from "./output.ts";
import { actionSpec } from "./specs/action.ts";
import { bulkSpec } from "./specs/bulk.ts";
import { candidatesSpec } from "./specs/candidates.ts";
import { duplicatesSpec } from "./specs/duplicates.ts";
import { emulatorSpec } from "./specs/emulator.ts";
import { linkSpec } from "./specs/link.ts";
import { showSpec } from "./specs/show.ts";
import { unlinkSpec } from "./specs/unlink.ts";

const version = pkg.version;

/** A command bound to its handler, which is imported on first use so that `--help` loads no core. */
interface BoundCommand {
  spec: CommandSpec;
  parse(argv: string[]): ParseResult<(ctx: CommandContext) => Promise<number>>;
}

function bind<S extends CommandSpec>(spec: S, load: () => Promise<{ run: Handler<S> }>): BoundCommand {
  return {
    spec,
    parse(argv) {
      const parsed = parseCommand(spec, argv);
      if (parsed.kind !== "run") return parsed;
      return { ...parsed, input: async (ctx) => (await load()).run(parsed.input, ctx) };
    },
  };
}

const commands: readonly BoundCommand[] = [
  bind(linkSpec, () => import("./commands/link.ts")),
  bind(unlinkSpec, () => import("./commands/unlink.ts")),
  bind(showSpec, () => import("./commands/show.ts")),
  bind(candidatesSpec, () => import("./commands/candidates.ts")),
  bind(bulkSpec, () => import("./commands/bulk.ts")),
  bind(duplicatesSpec, () => import("./commands/duplicates.ts")),
  bind(emulatorSpec, () => import("./commands/emulator.ts")),
  bind(actionSpec, () => import("./commands/action.ts")),
];

const programDescription =
  "Link, unlink, inspect and bulk-link Auth0 accounts.\n\n" +
  "Credentials: AUTH0_TOKEN, --token-file F, --token-stdin, or AUTH0_CLIENT_ID with a private key\n" +
  "(AUTH0_CLIENT_SIGNING_KEY_PATH, --private-key-file F) or AUTH0_CLIENT_SECRET; or a profile (--tenant NAME).\n" +
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
            ...commands.map(({ spec }): [string, string] => [usageOf(spec), spec.description]),
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
  const options = Object.entries({ ...command.options, ...commonOptions }).map(
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
      createOutput(io, { json: true, quiet: false, noColor: false }).document({
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
  const [name, ...rest] = tenantAfterCommand(args);
  if (name === undefined) return usageError("no command given", programHelp(io.errColumns));
  if (name === "help") {
    const topic = rest[0]?.startsWith("-") ? undefined : rest[0];
    if (topic === undefined) {
      io.writeOut(programHelp(io.outColumns));
      return ExitCode.ok;
    }
    const command = commands.find((c) => c.spec.name === topic);
    if (command === undefined) return usageError(unknownCommand(topic), programHelp(io.errColumns));
    io.writeOut(commandHelp(command.spec, io.outColumns));
    return ExitCode.ok;
  }
  const command = commands.find((c) => c.spec.name === name);
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

  const parsed = command.parse(rest);
  if (parsed.kind === "help") {
    io.writeOut(commandHelp(command.spec, io.outColumns));
    return ExitCode.ok;
  }
  if (parsed.kind === "error") return usageError(parsed.message);
  const output = createOutput(io, parsed.mode);
  try {
    return await parsed.input({ io, output });
  } catch (error) {
    const { reportError } = await import("./report.ts");
    return reportError(error, output);
  }
}

/** `idlink --tenant staging show …` reads as `idlink show --tenant staging …`: a profile may be named first. */
function tenantAfterCommand(args: string[]): string[] {
  const [first, second, third, ...more] = args;
  if (first === "--tenant" && second !== undefined && third !== undefined)
    return [third, first, second, ...more];
  if (first?.startsWith("--tenant=") && second !== undefined)
    return [second, first, ...(third === undefined ? [] : [third]), ...more];
  return args;
}

function unknownCommand(name: string): string {
  return `unknown command '${name}'${suggestSimilar(name, [...commands.map((c) => c.spec.name), "help"])}`;
}
