import type { GeneratedTenantOptions } from "./generate.ts";
import type { RateLimit } from "./rate-limit.ts";

/**
 * A tenant flag given a value it cannot take. `message` names the flag and the value, `fix` says what to give
 * instead; `idlink-emulator` and `idlink emulator` both print them.
 */
export class EmulatorFlagError extends Error {
  override name = "EmulatorFlagError";
  constructor(
    readonly flag: "--users" | "--duplicate-rate" | "--rate-limit" | "--action" | "--action-secret",
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** The tenant flags as typed on a command line (`--users N --duplicate-rate R --seed S --rate-limit BURST/RATE|off`). */
export interface EmulatorFlags {
  users?: string | undefined;
  duplicateRate?: string | undefined;
  rateLimit?: string | undefined;
  /** With `users`, a whole number seeds the generator; otherwise (or not a whole number) it is a seed file. */
  seed?: string | undefined;
  /** `--action FILE`, repeated: post-login Actions' code files, in the order they run. */
  actions?: string[] | undefined;
  /** `--action-secret KEY=VALUE`, repeated: `event.secrets` of every `--action`. */
  actionSecrets?: string[] | undefined;
}

/** What the flags ask of `createEmulator`; absent fields keep its defaults. */
export interface EmulatorFlagValues {
  generate?: GeneratedTenantOptions;
  rateLimit?: RateLimit | false;
  /** The seed file to read (`--seed FILE`), when `--seed` is not the generator's seed. */
  seedFile?: string;
  /** Post-login Actions' code files to read, in order (`--action FILE`). */
  actionFiles?: string[];
  /** The secrets every Action gets (`--action-secret KEY=VALUE`). */
  actionSecrets?: Record<string, string>;
}

/** The default share of generated users that duplicate another's email. */
export const defaultDuplicateRate = 0.1;

const usersFix = "Give how many users to generate, a whole number ≥ 1 (e.g. --users 100000).";
const rateFix =
  "Give the share (0..1) of generated users that duplicate another's email (e.g. --duplicate-rate 0.1).";
const actionSecretFix =
  "Give --action-secret KEY=VALUE, a key of 1 to 128 characters and a value of at most 4096 (Auth0's limits), " +
  "once per key, beside at least one --action FILE.";
const rateLimitFix =
  "Give BURST/RATE, a bucket of BURST ≥ 1 requests refilled at RATE > 0 per second (e.g. --rate-limit 50/16.7, " +
  "a paid tenant), or --rate-limit off.";

/**
 * `--rate-limit BURST/RATE|off`: `off` turns limiting off (`false`), `10/2` is a bucket of 10 refilled at 2 per
 * second. Throws an `EmulatorFlagError` naming the flag otherwise.
 */
export function parseRateLimitFlag(value: string): RateLimit | false {
  if (value === "off") return false;
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value);
  if (!match)
    throw new EmulatorFlagError(
      "--rate-limit",
      `--rate-limit ${value}: not BURST/RATE or off.`,
      rateLimitFix,
    );
  const burst = Number(match[1]);
  const perSecond = Number(match[2]);
  if (!(burst >= 1 && Number.isSafeInteger(burst)))
    throw new EmulatorFlagError(
      "--rate-limit",
      `--rate-limit ${value}: the burst must be at least 1.`,
      rateLimitFix,
    );
  if (!(perSecond > 0))
    throw new EmulatorFlagError(
      "--rate-limit",
      `--rate-limit ${value}: the rate must be above 0.`,
      rateLimitFix,
    );
  return { burst, perSecond };
}

/**
 * The tenant flags of `idlink-emulator` and `idlink emulator`, one parser for both: `--users N` (a whole number ≥ 1)
 * adds N generated users, `--duplicate-rate R` (0..1, default 0.1, needs `--users`) the share of them that are a
 * second account, `--seed S` with `--users` a whole number seeding the generator (default 1), otherwise a seed file;
 * `--rate-limit BURST/RATE|off`. Throws an `EmulatorFlagError` naming the flag and the fix.
 */
export function parseEmulatorFlags(flags: EmulatorFlags): EmulatorFlagValues {
  const values: EmulatorFlagValues = {};
  if (flags.rateLimit !== undefined) values.rateLimit = parseRateLimitFlag(flags.rateLimit);
  Object.assign(values, parseActionFlags(flags.actions ?? [], flags.actionSecrets ?? []));
  if (flags.users === undefined) {
    if (flags.duplicateRate !== undefined) {
      throw new EmulatorFlagError(
        "--duplicate-rate",
        `--duplicate-rate ${flags.duplicateRate}: applies to generated users, and there is no --users.`,
        "Add --users N, or leave --duplicate-rate out.",
      );
    }
    if (flags.seed !== undefined) values.seedFile = flags.seed;
    return values;
  }
  const users = /^\d+$/.test(flags.users) ? Number(flags.users) : Number.NaN;
  if (!(users >= 1 && Number.isSafeInteger(users)))
    throw new EmulatorFlagError("--users", `--users ${flags.users}: not a whole number ≥ 1.`, usersFix);
  const rate =
    flags.duplicateRate === undefined
      ? defaultDuplicateRate
      : /^\d*\.?\d+$/.test(flags.duplicateRate)
        ? Number(flags.duplicateRate)
        : Number.NaN;
  if (!(rate >= 0 && rate <= 1)) {
    throw new EmulatorFlagError(
      "--duplicate-rate",
      `--duplicate-rate ${flags.duplicateRate}: not a number between 0 and 1.`,
      rateFix,
    );
  }
  values.generate = { users, duplicateRate: rate };
  if (flags.seed !== undefined) {
    if (/^\d+$/.test(flags.seed)) values.generate.seed = Number(flags.seed);
    else values.seedFile = flags.seed;
  }
  return values;
}

/**
 * `--action FILE` (repeated, in order) and `--action-secret KEY=VALUE` (repeated; every Action gets them all).
 * A message never shows a secret's value, nor an argument that might hold one.
 */
export function parseActionFlags(
  actions: string[],
  secrets: string[],
): { actionFiles?: string[]; actionSecrets?: Record<string, string> } {
  for (const file of actions) {
    if (file.trim() === "") {
      throw new EmulatorFlagError(
        "--action",
        "--action: no file given.",
        "Give the file of a post-login Action's code (e.g. --action link.js).",
      );
    }
  }
  const values: { actionFiles?: string[]; actionSecrets?: Record<string, string> } = {};
  if (actions.length > 0) values.actionFiles = [...actions];
  if (secrets.length === 0) return values;
  if (actions.length === 0) {
    throw new EmulatorFlagError(
      "--action-secret",
      "--action-secret: there is no --action to give it to.",
      "Add --action FILE, or leave --action-secret out.",
    );
  }
  const given: Record<string, string> = {};
  for (const secret of secrets) {
    const at = secret.indexOf("=");
    if (at < 1) {
      throw new EmulatorFlagError(
        "--action-secret",
        "--action-secret: an argument is not KEY=VALUE (it is not shown, it may hold a secret).",
        actionSecretFix,
      );
    }
    const key = secret.slice(0, at);
    const value = secret.slice(at + 1);
    const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
    if (key.length > 128) {
      throw new EmulatorFlagError(
        "--action-secret",
        `--action-secret ${shown}: the key is longer than 128 characters.`,
        actionSecretFix,
      );
    }
    if (value.length > 4096) {
      throw new EmulatorFlagError(
        "--action-secret",
        `--action-secret ${shown}: the value is longer than 4096 characters.`,
        actionSecretFix,
      );
    }
    if (Object.hasOwn(given, key)) {
      throw new EmulatorFlagError(
        "--action-secret",
        `--action-secret ${shown}: given twice.`,
        actionSecretFix,
      );
    }
    given[key] = value;
  }
  values.actionSecrets = given;
  return values;
}
