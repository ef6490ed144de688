import { z } from "zod";
import type { components } from "../generated/management-api.ts";
import type { Issue, Parsed } from "../present/errors.ts";
import { echo } from "../present/text.ts";
import { checkNotSelfLink, maxIdLength, type Provider, providers, unknownProviderHint } from "./user-id.ts";

/** The request body of link, exactly as the fragment types it. */
export type LinkUserIdentityRequestContent = components["schemas"]["LinkUserIdentityRequestContent"];

const connectionIdPattern = /^con_[A-Za-z0-9]{16}$/;
const identityFields = ["provider", "user_id", "connection_id"] as const;
const knownFields: ReadonlySet<string> = new Set(["link_with", ...identityFields]);

/** The token variant: the secondary's ID token, alone. */
export const TokenLinkRequestSchema = z.strictObject({
  link_with: z
    .string({ error: "link_with must be a string: the secondary account's ID token (a JWT)" })
    .min(1, "link_with must not be empty — pass the secondary account's ID token"),
});

const ProviderSchema = z.enum(providers as unknown as readonly [Provider, ...Provider[]], {
  error: (issue) =>
    issue.input === undefined
      ? "provider is required with user_id — the part before the first | of the secondary's id, e.g. google-oauth2"
      : issue.input === ""
        ? "provider must not be empty — use the part before the first | of the secondary's id, e.g. google-oauth2"
        : typeof issue.input === "string"
          ? `provider "${echo(issue.input)}" is not an Auth0 identity provider — ${unknownProviderHint(issue.input)}`
          : "provider must be a string naming an identity provider, e.g. google-oauth2",
});

const userIdHint = "the part after the first | of the secondary's id";
const UserIdSchema = z.union(
  [
    z.string().min(1, `user_id must not be empty — use ${userIdHint}`),
    z.number().refine(Number.isInteger, `user_id must be a string or a whole number — ${userIdHint}`),
  ],
  {
    error: (issue) =>
      issue.input === undefined
        ? `user_id is required with provider — ${userIdHint}`
        : `user_id must be a string or an integer — ${userIdHint}`,
  },
);

const ConnectionIdSchema = z
  .string({ error: "connection_id must be a string like con_ followed by 16 letters or digits" })
  .refine((v) => v.length > 0, {
    message:
      "connection_id must not be empty — leave it out unless the secondary is in one of several database connections",
    abort: true,
  })
  .refine((v) => connectionIdPattern.test(v), {
    message: "connection_id must look like con_ followed by 16 letters or digits",
  });

/** The identity variant: the secondary's provider and user_id, and optionally its connection. */
export const IdentityLinkRequestSchema = z
  .strictObject({
    provider: ProviderSchema,
    user_id: UserIdSchema,
    connection_id: ConnectionIdSchema.optional(),
  })
  .superRefine((body, ctx) => {
    // Auth0 accepts any non-empty user_id in the body (spaces, `%`, dots): only idlink's length bound applies.
    if (typeof body.user_id === "string" && body.user_id.length > maxIdLength) {
      ctx.addIssue({
        code: "custom",
        path: ["user_id"],
        message: `user_id is ${body.user_id.length} characters long (${echo(body.user_id)}) — an id has at most ${maxIdLength}`,
      });
    }
  });

/** Either variant. Use `parseLinkRequest` for messages that name the field and the fix. */
export const LinkRequestSchema = z.union([TokenLinkRequestSchema, IdentityLinkRequestSchema]);

export type TokenLinkRequest = z.infer<typeof TokenLinkRequestSchema>;
export type IdentityLinkRequest = z.infer<typeof IdentityLinkRequestSchema>;
export type LinkRequest = z.infer<typeof LinkRequestSchema>;

/** A link body as `parseLinkRequest` read it: its variant, the body Auth0 gets, and what was changed on the way. */
export type LinkBody = {
  /** What core changed on the way (a full id given as user_id is sent as its bare part), for the face to show. */
  notes: Issue[];
} & ({ variant: "token"; body: TokenLinkRequest } | { variant: "identity"; body: IdentityLinkRequest });

/**
 * The full id in user_id (`"auth0|64f…"` with provider `auth0`): Auth0 accepts it (recorded in Auth0's go and ruby
 * SDK test suites) and links the same account as the documented bare form, which idlink sends instead and says so.
 * A remainder that still holds a `|` (`samlp|conn|id`) may be a bare enterprise id: it is sent as given.
 */
export function normaliseIdentity(body: IdentityLinkRequest): { body: IdentityLinkRequest; notes: Issue[] } {
  const prefix = `${body.provider}|`;
  if (typeof body.user_id !== "string" || !body.user_id.startsWith(prefix)) return { body, notes: [] };
  const bare = body.user_id.slice(prefix.length);
  if (bare === "" || bare.includes("|")) return { body, notes: [] };
  return {
    body: { ...body, user_id: bare },
    notes: [
      {
        path: "user_id",
        message: `user_id was the full id; sent "${echo(bare)}", the part after "${prefix}" (Auth0 links the same account either way)`,
      },
    ],
  };
}

/**
 * Validates a link body against Auth0's schema and the rules it states only in prose (one variant at a time, no
 * empty strings, provider with user_id). Never throws; the issues name the field and the fix.
 * With `primary`, also rejects linking the primary into itself.
 */
export function parseLinkRequest(input: unknown, options: { primary?: string } = {}): Parsed<LinkBody> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return fail(
      "body",
      "the body must be a JSON object: { link_with } or { provider, user_id, connection_id? }",
    );
  }
  const keys = Object.keys(input);
  if (keys.length === 0) {
    return fail(
      "body",
      "the body is empty — send link_with (the secondary's ID token), or provider and user_id",
    );
  }
  const issues: Issue[] = keys
    .filter((k) => !knownFields.has(k))
    .map((k) => ({
      path: k === "" ? "body" : k,
      message: `"${echo(k)}" is not a field of this request — send link_with, or provider, user_id and connection_id`,
    }));
  const record = input as Record<string, unknown>;
  const mixed = keys.includes("link_with") && identityFields.some((f) => keys.includes(f));
  if (mixed) {
    issues.push({
      path: "link_with",
      message: "link_with cannot be combined with provider, user_id or connection_id — send one variant",
    });
  }
  // Without unknown keys the body goes to zod as it is; otherwise only the known fields do, reported once above.
  const pick = (fields: readonly string[]) =>
    issues.length === 0
      ? record
      : Object.fromEntries(fields.filter((f) => Object.hasOwn(record, f)).map((f) => [f, record[f]]));
  const isToken = keys.includes("link_with");
  // On a mixed body the link_with issue above stands for that field; the identity fields are still checked.
  const token = isToken && !mixed ? check(TokenLinkRequestSchema, pick(["link_with"])) : undefined;
  const identity = !isToken || mixed ? check(IdentityLinkRequestSchema, pick(identityFields)) : undefined;
  for (const result of [token, identity]) {
    if (result && !result.success) {
      for (const i of result.error.issues) {
        if (mixed && i.input === undefined) continue; // "required" noise on a mixed body
        issues.push({ path: i.path.map(String).join(".") || "body", message: i.message });
      }
    }
  }
  const normalised = !isToken && identity?.success ? normaliseIdentity(identity.data) : undefined;
  if (normalised && options.primary !== undefined) {
    issues.push(...checkNotSelfLink(options.primary, normalised.body));
  }
  if (issues.length > 0) return { ok: false, issues };
  if (token?.success) return { ok: true, value: { variant: "token", body: token.data, notes: [] } };
  if (normalised) return { ok: true, value: { variant: "identity", ...normalised } };
  return fail("body", "the body matches neither variant — send link_with, or provider and user_id");
}

// Zod's fast path does not report inputs; only a failing body is parsed again to word its issues.
function check<T extends z.ZodType>(schema: T, value: unknown) {
  const result = schema.safeParse(value);
  return result.success ? result : schema.safeParse(value, { reportInput: true });
}

function fail(path: string, message: string): Parsed<never> {
  return { ok: false, issues: [{ path, message }] };
}
