import { z } from "zod";

// Loose types on purpose: core validates these fields with messages that name the field and the fix.
export const primaryField = z.string().describe("The primary's user id, provider|id.");

export const secondaryFields = {
  secondary: z
    .string()
    .optional()
    .describe("The secondary's user id, provider|id; or give provider and user_id."),
  provider: z.string().optional().describe("The secondary's provider (before the |), with user_id."),
  user_id: z
    .union([z.string(), z.number()])
    .optional()
    .describe("The secondary's id after the |, with provider."),
};

export const IdentitySummarySchema = z.object({
  id: z.string().describe("provider|user_id."),
  provider: z.string(),
  connection: z.string(),
});

export const AccountSummarySchema = z.object({
  user_id: z.string(),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  identities: z.array(IdentitySummarySchema),
});

export const IssueSchema = z.object({ path: z.string(), message: z.string() });

export const MetadataKeysSchema = z.object({
  user_metadata: z.array(z.string()),
  app_metadata: z.array(z.string()),
});

export const ConfirmationTokenField = z
  .string()
  .optional()
  .describe("Only if your client cannot ask the user: the preview's token, once the user approved.");

/** The link-only arguments: a connection, or the secondary's ID token. */
export const linkFields = {
  connection_id: z.string().optional().describe("con_…, if the secondary's id is in several connections."),
  link_with: z.string().optional().describe("The secondary's ID token (JWT) instead of an id. Never echoed."),
};

/** What a preview returns for confirming without elicitation. */
export const ConfirmationIssuedFields = {
  confirmation_token: z
    .string()
    .optional()
    .describe("Only if your client cannot ask the user: pass it on once they approve. 5 minutes, once."),
  confirmation_expires_at: z.string().optional(),
};

/** What both previews say besides the plan: what to know, what blocks it, and how to confirm it. */
export const PlanVerdictFields = {
  warnings: z.array(z.string()).describe("Tell the user before confirming."),
  blockers: z.array(IssueSchema).describe("Why it cannot go ahead."),
  can_proceed: z.boolean(),
  ...ConfirmationIssuedFields,
};
