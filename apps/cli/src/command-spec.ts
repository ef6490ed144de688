import { parseArgs } from "node:util";
import type { CommandContext } from "./context.ts";
import type { OutputMode } from "./output.ts";

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

export type Options = Readonly<Record<string, OptionSpec>>;

/** A command as declared: drives parsing, help and — through `FlagsOf`/`ArgsOf` — its handler's types. */
export interface CommandSpec<O extends Options = Options, A extends readonly ArgSpec[] = readonly ArgSpec[]> {
  name: string;
  description: string;
  args: A;
  options: O;
  examples: readonly string[];
}

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S;
type ValueOf<O extends OptionSpec> = O["type"] extends "boolean"
  ? boolean
  : O extends { choices: readonly (infer C extends string)[] }
    ? C
    : string;
type HasDefault<O extends OptionSpec> = O extends { default: string } ? true : false;

/** A command's flags as its handler receives them, inferred from its option rows (`--dry-run` → `dryRun`). */
export type FlagsOf<O extends Options> = {
  [K in keyof O & string as HasDefault<O[K]> extends true ? Camel<K> : never]: ValueOf<O[K]>;
} & {
  [K in keyof O & string as HasDefault<O[K]> extends true ? never : Camel<K>]?: ValueOf<O[K]> | undefined;
};

/** A command's positionals in declared order: a required one is a string, an optional one may be missing. */
export type ArgsOf<A extends readonly ArgSpec[]> = {
  -readonly [I in keyof A]: A[I] extends { required: true } ? string : string | undefined;
};

/** What a handler is called with. */
export interface CommandInput<S extends CommandSpec> {
  args: ArgsOf<S["args"]>;
  flags: FlagsOf<S["options"]>;
}

export type Handler<S extends CommandSpec> = (input: CommandInput<S>, ctx: CommandContext) => Promise<number>;

/** Declares a command; `const` keeps the option rows literal so that `FlagsOf` can read them. */
export function defineCommand<const O extends Options, const A extends readonly ArgSpec[]>(
  spec: CommandSpec<O, A>,
): CommandSpec<O, A> {
  return spec;
}

export type ParseResult<T> =
  | { kind: "run"; input: T; mode: OutputMode }
  | { kind: "help" }
  | { kind: "error"; message: string };

/** Every command's `-h, --help`. */
export const helpOption: OptionSpec = {
  type: "boolean",
  short: "h",
  description: "display help for command",
};

/** Options every command takes besides its own: how it speaks. Handled by the runner, not the handlers. */
export const commonOptions: Readonly<Record<"quiet" | "no-color" | "help", OptionSpec>> = {
  quiet: {
    type: "boolean",
    short: "q",
    description: "only errors and the essential result (no plan, notes, progress)",
  },
  "no-color": { type: "boolean", description: "no colour, even on a terminal (as NO_COLOR=1)" },
  help: helpOption,
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
export function parseCommand<S extends CommandSpec>(spec: S, argv: string[]): ParseResult<CommandInput<S>> {
  // A Map, not an object: `--constructor` or `--__proto__` must not find Object.prototype's members.
  const all = new Map<string, OptionSpec>([
    ...Object.entries(spec.options),
    ...Object.entries(commonOptions),
  ]);
  const declared = (name: string) => all.get(name);
  const options: Record<string, { type: "string" | "boolean"; short?: string; default?: string }> = {};
  for (const [name, { type, short, default: fallback }] of all) {
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
    const option = token.name === "help" ? undefined : declared(token.name);
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
      const option = declared(token.name);
      if (option === undefined) {
        const similar = token.rawName.startsWith("--")
          ? suggestSimilar(token.rawName, [...[...all.keys()].map((n) => `--${n}`), "--version"])
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
  const flags = new Map<string, string | boolean | undefined>();
  for (const [name, value] of Object.entries(values)) {
    if (!Object.hasOwn(commonOptions, name) && all.has(name))
      flags.set(
        name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
        value,
      );
  }
  return {
    kind: "run",
    input: typedInput(spec, positionals, Object.fromEntries(flags)),
    mode: { json: values.json === true, quiet: values.quiet === true, noColor: values["no-color"] === true },
  };
}

// parseArgs built `flags` from exactly the rows of `spec.options` (camelCased), with their types and defaults, and
// checked the required positionals: the one place where the runtime values meet the types inferred from the spec.
function typedInput<S extends CommandSpec>(
  _spec: S,
  args: string[],
  flags: Record<string, string | boolean | undefined>,
): CommandInput<S> {
  return { args, flags } as unknown as CommandInput<S>;
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
