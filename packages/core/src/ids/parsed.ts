import type { Parsed } from "../present/errors.ts";

// Apart from the parsers (arguments.ts, which bring zod's rules): the client asks whether a target was parsed
// without loading them, so code that only reads users (a post-login Action) bundles no zod.

// Targets the parsers made: the client sends them as they are, and parses anything else first.
const parsedTargets = new WeakSet<object>();

export function remember<T extends object>(target: T): T {
  for (const value of Object.values(target)) if (typeof value === "object") Object.freeze(value);
  parsedTargets.add(Object.freeze(target));
  return target;
}

/**
 * A target one of these parsers made (frozen, so unchanged since), as the parse result it was; undefined for
 * anything else, which the caller parses. The client and the workflow take a parsed target this way.
 */
export function alreadyParsed<T extends object>(value: unknown): Parsed<T> | undefined {
  return typeof value === "object" && value !== null && parsedTargets.has(value)
    ? { ok: true, value: value as T }
    : undefined;
}
