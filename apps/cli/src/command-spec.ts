import { parseArgs } from "node:util";
import type { CommandContext } from "./program.ts";

/** One option of a command, keyed by its long name without dashes (`dry-run`). */
export interface OptionSpec {
  type: "string" | "boolean";
  description: string;
  /** Placeholder of a string option's value in help: `--domain <domain>`. */
  value?: string;
  short?: string;
  default?: string;
  choices?: readonly string[];
}

export interface ArgSpec {
  name: string;
  description: string;
  required: boolean;
}

/** Flags as a command receives them: camelCased keys (`--dry-run` → `dryRun`). */
export type Flags = Record<string, string | boolean | undefined>;

/** Positionals in the order of `args`; every required one is present. */
export interface ParsedCommand {
  args: string[];
  flags: Flags;
}

/** A row of the command table: drives both parsing and help. `run` imports the command's module on first use. */
export interface CommandSpec {
  name: string;
  description: string;
  args: readonly ArgSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  examples: readonly string[];
  run(parsed: ParsedCommand, ctx: CommandContext): Promise<number>;
}

export type ParseResult =
  | ({ kind: "run" } & ParsedCommand)
  | { kind: "help" }
  | { kind: "error"; message: string };

/** Every command's `-h, --help`. */
export const helpOption: OptionSpec = {
  type: "boolean",
  short: "h",
  description: "display help for command",
};

/** `--provider <provider>`, `-y, --yes`: how an option is named in help and errors. */
export function optionTerm(name: string, option: OptionSpec): string {
  const flags = option.short === undefined ? `--${name}` : `-${option.short}, --${name}`;
  return option.value === undefined ? flags : `${flags} <${option.value}>`;
}

/**
 * Parses a command's argv (after its name) with `util.parseArgs` in strict mode. Errors come in this order: a
 * missing or invalid option value, then `--help` (which wins over the rest), then unknown options, then positionals.
 */
export function parseCommand(spec: CommandSpec, argv: string[]): ParseResult {
  const all: Record<string, OptionSpec> = { ...spec.options, help: helpOption };
  const options: Record<string, { type: "string" | "boolean"; short?: string; default?: string }> = {};
  for (const [name, { type, short, default: fallback }] of Object.entries(all)) {
    options[name] = {
      type,
      ...(short === undefined ? {} : { short }),
      ...(fallback === undefined ? {} : { default: fallback }),
    };
  }
  const config = { args: argv, options, allowPositionals: true, tokens: true } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config & { strict: true }>> | undefined;
  let failure: Error | undefined;
  try {
    parsed = parseArgs({ ...config, strict: true });
  } catch (error) {
    if (!isParseArgsError(error)) throw error;
    failure = error;
  }
  const { tokens } = parsed ?? parseArgs({ ...config, strict: false });
  const optionTokens = tokens.flatMap((t) => (t.kind === "option" ? [t] : []));

  for (const token of optionTokens) {
    const option = spec.options[token.name];
    if (option?.type !== "string") continue;
    const term = optionTerm(token.name, option);
    if (token.value === undefined) return { kind: "error", message: `option '${term}' argument missing` };
    if (!token.inlineValue && token.value.length > 1 && token.value.startsWith("-")) {
      return {
        kind: "error",
        message: `option '${term}' argument missing (to give a value starting with '-', write --${token.name}=-…)`,
      };
    }
    if (option.choices !== undefined && !option.choices.includes(token.value)) {
      return {
        kind: "error",
        message: `option '${term}' argument '${token.value}' is invalid. Allowed choices are ${option.choices.join(", ")}.`,
      };
    }
  }
  if (optionTokens.some((t) => t.name === "help")) return { kind: "help" };

  if (parsed === undefined) {
    for (const token of optionTokens) {
      const option = all[token.name];
      if (option === undefined) {
        const similar = token.rawName.startsWith("--")
          ? suggestSimilar(token.rawName, [...Object.keys(all).map((n) => `--${n}`), "--version"])
          : "";
        // The flag only, never its `=value`: a secret typed into a wrong flag is not echoed.
        return { kind: "error", message: `unknown option '${token.rawName}'${similar}` };
      }
      if (option.type === "boolean" && token.value !== undefined) {
        return { kind: "error", message: `option '--${token.name}' takes no value` };
      }
    }
    return { kind: "error", message: failure?.message ?? "invalid arguments" };
  }

  const { positionals, values } = parsed;
  const missing = spec.args.find((arg, i) => arg.required && positionals[i] === undefined);
  if (missing !== undefined) return { kind: "error", message: `missing required argument '${missing.name}'` };
  if (positionals.length > spec.args.length) {
    const expected = spec.args.length;
    return {
      kind: "error",
      message: `too many arguments for '${spec.name}'. Expected ${expected} argument${expected === 1 ? "" : "s"} but got ${positionals.length}.`,
    };
  }
  const flags: Flags = {};
  for (const [name, value] of Object.entries(values)) {
    if (name !== "help") flags[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return { kind: "run", args: positionals, flags };
}

function isParseArgsError(error: unknown): error is Error {
  return error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS_");
}

/** `\n(Did you mean --dry-run?)` for a close match among `candidates` (commander's rule: ≤ 3 edits, > 40% alike). */
export function suggestSimilar(word: string, candidates: readonly string[]): string {
  const options = word.startsWith("--");
  const strip = (s: string) => (options ? s.slice(2) : s);
  const target = strip(word);
  let best = 3;
  let similar: string[] = [];
  for (const candidate of new Set(candidates.map(strip))) {
    if (candidate.length <= 1) continue;
    const distance = editDistance(target, candidate);
    const length = Math.max(target.length, candidate.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < best) {
      best = distance;
      similar = [candidate];
    } else if (distance === best) {
      similar.push(candidate);
    }
  }
  const shown = similar.sort((a, b) => a.localeCompare(b)).map((s) => (options ? `--${s}` : s));
  if (shown.length > 1) return `\n(Did you mean one of ${shown.join(", ")}?)`;
  return shown.length === 1 ? `\n(Did you mean ${shown[0]}?)` : "";
}

/** Optimal string alignment distance (Damerau–Levenshtein without repeated edits of a substring). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Math.max(a.length, b.length);
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] ?? [];
      row[j] = Math.min(
        at(i - 1, j) + 1,
        at(i, j - 1) + 1,
        at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(a.length, b.length);
}
