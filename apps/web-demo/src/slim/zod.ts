import * as m from "zod/mini";

// Stands in for `zod` in the page's build (see vite.config.ts): the few schema builders core's link rules use
// (packages/core/src/ids/rules.ts), on zod's mini build. Zod's classic build gives every schema methods such as
// `.toJSONSchema()`, so a bundler keeps all of it (about 20 kB gzipped); mini keeps only what is called. The
// schemas and their checks are zod's own and their messages core's, so the page validates exactly as core does
// elsewhere.
// A builder core starts to use that is missing here fails the page's first render, which the browser tests catch.

// Zod's own English messages are left out (about 1 KiB gzipped): core gives every issue the page can show its own
// words (packages/core/test/hardening/own-words.test.ts checks 20,000 bodies), so zod's would never be read. Should
// one slip through, it names zod's issue code rather than showing nothing.
m.config({ localeError: (issue) => `invalid input (${issue.code})` });

type Refinement = string | { message: string; abort?: boolean };

/** A mini schema with the classic methods core calls on it. */
export interface ClassicSchema extends m.ZodMiniType {
  min(length: number, message: string): ClassicSchema;
  refine(check: (value: never) => boolean, params?: Refinement): ClassicSchema;
  superRefine(check: (value: never, ctx: m.core.$RefinementCtx) => void): ClassicSchema;
  optional(): ClassicSchema;
}

function classic(schema: m.ZodMiniType): ClassicSchema {
  return Object.assign(schema, {
    min: (length: number, message: string) => classic(schema.check(m.minLength(length, message))),
    refine: (check: (value: never) => boolean, params?: Refinement) =>
      classic(schema.check(m.refine(check as (value: unknown) => boolean, params))),
    superRefine: (check: (value: never, ctx: m.core.$RefinementCtx) => void) =>
      classic(schema.check(m.superRefine(check as (value: unknown, ctx: m.core.$RefinementCtx) => void))),
    optional: () => classic(m.optional(schema)),
  });
}

export const z = {
  config: m.config,
  string: (params?: Parameters<typeof m.string>[0]) => classic(m.string(params)),
  number: (params?: Parameters<typeof m.number>[0]) => classic(m.number(params)),
  enum: (values: readonly string[], params?: Parameters<typeof m.enum>[1]) => classic(m.enum(values, params)),
  union: (...args: Parameters<typeof m.union>) => classic(m.union(...args)),
  strictObject: (...args: Parameters<typeof m.strictObject>) => classic(m.strictObject(...args)),
};
