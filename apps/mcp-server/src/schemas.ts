import { z } from "zod";

// Loose types on purpose: core validates these fields with messages that name the field and the fix.
export const primaryField = z.string().describe("provider|id");

export const secondaryFields = {
  secondary: z.string().optional().describe("provider|id (or provider + user_id)"),
  provider: z.string().optional(),
  user_id: z.union([z.string(), z.number()]).optional(),
};

// The two shapes most results carry, named: tools/list says the name and the server's instructions say the shape
// once (src/listing.ts, src/server.ts).
export const IdentitySummarySchema = z
  .object({
    id: z.string().describe("provider|user_id."),
    provider: z.string(),
    connection: z.string(),
  })
  .meta({ title: "identity" });

export const AccountSummarySchema = z
  .object({
    user_id: z.string(),
    email: z.string().optional(),
    email_verified: z.boolean().optional(),
    identities: z.array(IdentitySummarySchema),
  })
  .meta({ title: "account" });

export const IssueSchema = z.object({ path: z.string(), message: z.string() });

export const MetadataKeysSchema = z.object({
  user_metadata: z.array(z.string()),
  app_metadata: z.array(z.string()),
});

export const ConfirmationTokenField = z
  .string()
  .optional()
  .describe("the preview's, once the user approved, if your client cannot ask them");

/** The link-only arguments: a connection, or the secondary's ID token. */
export const linkFields = {
  connection_id: z.string().optional().describe("con_…, if the id is in several connections"),
  link_with: z.string().optional().describe("the secondary's ID token instead of an id"),
};

/** What a preview returns for confirming without elicitation. */
export const ConfirmationIssuedFields = {
  confirmation_token: z.string().optional().describe("5 minutes, once"),
  confirmation_expires_at: z.string().optional(),
};

/** What both previews say besides the plan: what to know, what blocks it, and how to confirm it. */
export const PlanVerdictFields = {
  warnings: z.array(z.string()).describe("tell the user"),
  blockers: z.array(IssueSchema),
  can_proceed: z.boolean(),
  ...ConfirmationIssuedFields,
};
