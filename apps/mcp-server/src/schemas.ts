import { z } from "zod";

// Loose types on purpose: core validates these fields with messages that name the field and the fix.
export const primaryField = z
  .string()
  .describe("The primary account's full user id, provider|id, e.g. auth0|64f1a2b3c4d5e6f708192a3b.");

export const secondaryFields = {
  secondary: z
    .string()
    .optional()
    .describe(
      "The secondary account's full user id, provider|id, e.g. google-oauth2|108234567890123456789. Give this, or provider with user_id, or link_with.",
    ),
  provider: z
    .string()
    .optional()
    .describe(
      "The secondary's identity provider (the part before the first |), e.g. google-oauth2. With user_id.",
    ),
  user_id: z
    .union([z.string(), z.number()])
    .optional()
    .describe("The secondary's id after the first | (a full id is accepted and sent bare). With provider."),
};

export const IdentitySummarySchema = z.object({
  id: z.string().describe("Full id of the identity, provider|user_id."),
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
  .describe(
    "Only when your client cannot ask the user: the confirmation_token preview_link / preview_unlink returned for exactly this action, primary and secondary, after the user approved its plan. Valid 5 minutes, once.",
  );

/** The link-only arguments: a connection, or the secondary's ID token. */
export const linkFields = {
  connection_id: z
    .string()
    .optional()
    .describe("con_ and 16 letters or digits, when the secondary is in one of several database connections."),
  link_with: z
    .string()
    .optional()
    .describe("The secondary's ID token (a JWT from its sign-in), instead of an id. Never echoed back."),
};

/** What a preview returns for confirming without elicitation. */
export const ConfirmationIssuedFields = {
  confirmation_token: z
    .string()
    .optional()
    .describe(
      "Pass to link_accounts / unlink_identity after the user approves this plan, if your client cannot ask the user itself. Single use, 5 minutes, only for this action and these two accounts. Not a credential.",
    ),
  confirmation_expires_at: z.string().optional(),
};

/** What both previews say besides the plan: what to know, what blocks it, and how to confirm it. */
export const PlanVerdictFields = {
  warnings: z.array(z.string()).describe("Things the user should know before confirming."),
  blockers: z.array(IssueSchema).describe("Reasons the change cannot go ahead; fix them first."),
  can_proceed: z.boolean(),
  ...ConfirmationIssuedFields,
};
