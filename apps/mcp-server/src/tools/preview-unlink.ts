import { previewUnlink as preview } from "@idlink/core";
import { z } from "zod";
import { previewVerdict } from "../confirm.ts";
import { describeUnlinkPlan } from "../plans.ts";
import { afterBlockers, invalidArguments, ok } from "../results.ts";
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
    "Use before unlink_identity; show the user its plan. Changes nothing. Returns the primary, the identity to remove, identities left, warnings, blockers, a confirmation_token.",
  inputSchema: z.strictObject({ primary: primaryField, ...secondaryFields }),
  outputSchema: z.object({
    primary: AccountSummarySchema,
    secondary: IdentitySummarySchema.describe("to remove"),
    identities_after: z.array(IdentitySummarySchema),
    ...PlanVerdictFields,
  }),
  annotations: { readOnlyHint: true },
  async handler(args, deps) {
    const { client } = deps;
    const previewed = await preview(client, args);
    if (!previewed.ok) return invalidArguments("preview_unlink", previewed.issues);
    const plan = previewed.value;
    return ok(
      {
        primary: plan.primary,
        secondary: plan.secondary,
        identities_after: plan.identitiesAfter,
        ...previewVerdict(
          deps,
          { action: "unlink", primary: args.primary, secondary: plan.secondary.id },
          plan,
        ),
      },
      afterBlockers(describeUnlinkPlan(plan), plan.blockers, "preview_unlink"),
    );
  },
});
