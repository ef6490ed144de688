import { executeLink, previewLink } from "@idlink/core";
import { z } from "zod";
import { confirmationGate } from "../confirm.ts";
import { fenced, joinFenced, own } from "../fence.ts";
import { describeLinkPlan } from "../plans.ts";
import { blockedNext, invalidArguments, ok, refusal } from "../results.ts";
import {
  ConfirmationTokenField,
  IdentitySummarySchema,
  linkFields,
  primaryField,
  secondaryFields,
} from "../schemas.ts";
import { defineTool } from "../tool.ts";

export const linkAccounts = defineTool({
  name: "link_accounts",
  title: "Link two accounts",
  description:
    "Links a secondary into a primary once the user agreed (it asks them): the secondary stops being a user and loses its metadata unless merge_metadata. Never link on a shared email alone. Returns the status and identities.",
  inputSchema: z.strictObject({
    primary: primaryField,
    ...secondaryFields,
    ...linkFields,
    merge_metadata: z.boolean().default(false).describe("first copy user_metadata keys the primary lacks"),
    confirmation_token: ConfirmationTokenField,
  }),
  outputSchema: z.object({
    status: z
      .enum(["linked", "declined", "cancelled"])
      .describe("declined/cancelled: user said no, nothing changed"),
    primary: z.string(),
    secondary: z.string(),
    identities: z.array(IdentitySummarySchema).optional().describe("the primary's, now"),
    merged_metadata_keys: z.array(z.string()).optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  async handler({ merge_metadata, confirmation_token, ...args }, { server, client, confirmations }, ctx) {
    const previewed = await previewLink(client, args);
    if (!previewed.ok) return invalidArguments("link_accounts", previewed.issues);
    const plan = previewed.value;
    if (plan.blockers.length > 0) {
      return refusal("Cannot link — nothing was changed", plan.blockers, blockedNext("preview_link"));
    }
    const primary = args.primary;
    const secondary = plan.secondary.user_id;
    const gate = confirmationGate({
      server,
      ctx,
      confirmations,
      binding: { action: "link", primary, secondary },
      confirmationToken: confirmation_token,
      plan: joinFenced([describeLinkPlan(plan, merge_metadata), own("Link these accounts?")]),
    });
    if (gate.kind === "ask" || gate.kind === "refused") return gate.result;
    if (gate.kind === "answered") {
      const status = gate.action === "decline" ? "declined" : "cancelled";
      return ok(
        { status, primary, secondary },
        fenced`The user ${own(status)} linking ${secondary} into ${primary}; nothing was changed. Do not retry unless they ask.`,
      );
    }
    const { identities, mergedMetadataKeys: merged } = await executeLink(client, plan, {
      mergeMetadata: merge_metadata,
    });
    const mergedText =
      merged.length > 0 ? fenced` Copied user_metadata ${merged} into its user_metadata first.` : own("");
    return ok(
      { status: "linked", primary, secondary, identities, merged_metadata_keys: merged },
      fenced`Linked ${secondary} into ${primary}: ${identities.map((i) => i.id)}.${mergedText}`,
    );
  },
});
