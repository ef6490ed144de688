import { previewLink as preview } from "@idlink/core";
import { z } from "zod";
import { previewVerdict } from "../confirm.ts";
import { describeLinkPlan } from "../plans.ts";
import { afterBlockers, invalidArguments, ok } from "../results.ts";
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
    "Use before link_accounts; show the user its plan. Changes nothing. Returns both accounts, identities after, metadata Auth0 discards, warnings, blockers, a confirmation_token.",
  inputSchema: z.strictObject({ primary: primaryField, ...secondaryFields, ...linkFields }),
  outputSchema: z.object({
    primary: AccountSummarySchema,
    secondary: AccountSummarySchema,
    identities_after: z.array(IdentitySummarySchema),
    discarded_metadata: MetadataKeysSchema,
    mergeable_keys: z.array(z.string()).describe("keys merge_metadata would copy"),
    ...PlanVerdictFields,
  }),
  annotations: { readOnlyHint: true },
  async handler(args, deps) {
    const { client } = deps;
    const previewed = await preview(client, args);
    if (!previewed.ok) return invalidArguments("preview_link", previewed.issues);
    const plan = previewed.value;
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
        ...previewVerdict(
          deps,
          { action: "link", primary: args.primary, secondary: plan.secondary.user_id },
          plan,
        ),
      },
      afterBlockers(describeLinkPlan(plan, false), plan.blockers, "preview_link"),
    );
  },
});
