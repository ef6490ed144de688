import { previewLink as preview } from "@idlink/core";
import { z } from "zod";
import { previewConfirmation } from "../confirm.ts";
import { describeLinkPlan } from "../plans.ts";
import { ok, refusal } from "../results.ts";
import {
  AccountSummarySchema,
  IdentitySummarySchema,
  linkFields,
  MetadataKeysSchema,
  PlanVerdictFields,
  primaryField,
  secondaryFields,
} from "../schemas.ts";
import { defineTool } from "../tool.ts";

export const previewLink = defineTool({
  name: "preview_link",
  title: "Preview a link",
  description:
    "Shows what linking a secondary account into a primary would do, and changes nothing: validation, a check of the server's token, the identities after, the secondary metadata Auth0 would discard, warnings and blockers (an unverified email blocks). Name the secondary by full id (secondary), by provider and user_id, or by its ID token (link_with). Show the plan to the user before any change; its confirmation_token lets link_accounts proceed when your client cannot ask the user.",
  inputSchema: z.strictObject({ primary: primaryField, ...secondaryFields, ...linkFields }),
  outputSchema: z.object({
    primary: AccountSummarySchema,
    secondary: AccountSummarySchema,
    identities_after: z.array(IdentitySummarySchema).describe("The primary's identities after the link."),
    discarded_metadata: MetadataKeysSchema.describe(
      "Keys of the secondary's metadata that Auth0 discards when linking.",
    ),
    mergeable_keys: z
      .array(z.string())
      .describe("user_metadata keys link_accounts copies to the primary first when merge_metadata is true."),
    ...PlanVerdictFields,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, deps) {
    const { client } = deps;
    const previewed = await preview(client, args);
    if (!previewed.ok) return refusal("Invalid input — nothing was sent", previewed.issues);
    const plan = previewed.value;
    const canProceed = plan.blockers.length === 0;
    return ok(
      {
        primary: plan.primary,
        secondary: plan.secondary,
        identities_after: plan.identitiesAfter,
        discarded_metadata: {
          user_metadata: Object.keys(plan.discarded.user_metadata),
          app_metadata: Object.keys(plan.discarded.app_metadata),
        },
        mergeable_keys: plan.mergeableKeys,
        warnings: plan.warnings,
        blockers: plan.blockers,
        can_proceed: canProceed,
        ...previewConfirmation(
          deps,
          { action: "link", primary: args.primary, secondary: plan.secondary.user_id },
          canProceed,
        ),
      },
      describeLinkPlan(plan, false),
    );
  },
});
