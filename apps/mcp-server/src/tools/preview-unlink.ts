import { previewUnlink as preview } from "@idlink/core";
import { z } from "zod";
import { previewConfirmation } from "../confirm.ts";
import { describeUnlinkPlan } from "../plans.ts";
import { ok, refusal } from "../results.ts";
import {
  AccountSummarySchema,
  IdentitySummarySchema,
  PlanVerdictFields,
  primaryField,
  secondaryFields,
} from "../schemas.ts";
import { defineTool } from "../tool.ts";

export const previewUnlink = defineTool({
  name: "preview_unlink",
  title: "Preview an unlink",
  description:
    "Shows what unlinking a secondary identity from a primary would do, and changes nothing: validation, a check of the server's token, the identities that remain, warnings and blockers (the main identity, or an identity the primary does not hold). Name the identity by full id (secondary) or by provider and user_id. Show the plan to the user before any change; its confirmation_token lets unlink_identity proceed when your client cannot ask the user.",
  inputSchema: z.strictObject({ primary: primaryField, ...secondaryFields }),
  outputSchema: z.object({
    primary: AccountSummarySchema,
    secondary: IdentitySummarySchema.describe("The identity to unlink, as the primary holds it."),
    identities_after: z.array(IdentitySummarySchema).describe("The primary's identities after the unlink."),
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
        warnings: plan.warnings,
        blockers: plan.blockers,
        can_proceed: canProceed,
        ...previewConfirmation(
          deps,
          { action: "unlink", primary: args.primary, secondary: plan.secondary.id },
          canProceed,
        ),
      },
      describeUnlinkPlan(plan),
    );
  },
});
