import { executeUnlink, previewUnlink } from "@idlink/core";
import { z } from "zod";
import { confirmationGate } from "../confirm.ts";
import { fenced, joinFenced, own } from "../fence.ts";
import { describeUnlinkPlan } from "../plans.ts";
import { blockedNext, invalidArguments, ok, refusal } from "../results.ts";
import { ConfirmationTokenField, IdentitySummarySchema, primaryField, secondaryFields } from "../schemas.ts";
import { defineTool } from "../tool.ts";

export const unlinkIdentity = defineTool({
  name: "unlink_identity",
  title: "Unlink an identity",
  description:
    "Removes a linked identity from a primary once the user agreed (it asks them); Auth0 makes it a separate user without metadata. Returns the status and identities kept.",
  inputSchema: z.strictObject({
    primary: primaryField,
    ...secondaryFields,
    confirmation_token: ConfirmationTokenField,
  }),
  outputSchema: z.object({
    status: z
      .enum(["unlinked", "declined", "cancelled"])
      .describe("declined/cancelled: user said no, nothing changed"),
    primary: z.string(),
    secondary: z.string(),
    identities: z.array(IdentitySummarySchema).optional().describe("the primary's, now"),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  async handler({ confirmation_token, ...args }, { server, client, confirmations }, ctx) {
    const previewed = await previewUnlink(client, args);
    if (!previewed.ok) return invalidArguments("unlink_identity", previewed.issues);
    const plan = previewed.value;
    if (plan.blockers.length > 0) {
      return refusal("Cannot unlink — nothing was changed", plan.blockers, blockedNext("preview_unlink"));
    }
    const primary = args.primary;
    const secondary = plan.secondary.id;
    const gate = confirmationGate({
      server,
      ctx,
      confirmations,
      binding: { action: "unlink", primary, secondary },
      confirmationToken: confirmation_token,
      plan: joinFenced([describeUnlinkPlan(plan), own("Unlink this identity?")]),
    });
    if (gate.kind === "ask" || gate.kind === "refused") return gate.result;
    if (gate.kind === "answered") {
      const status = gate.action === "decline" ? "declined" : "cancelled";
      return ok(
        { status, primary, secondary },
        fenced`The user ${own(status)} unlinking ${secondary} from ${primary}; nothing was changed. Do not retry unless they ask.`,
      );
    }
    const identities = await executeUnlink(client, plan);
    return ok(
      { status: "unlinked", primary, secondary, identities },
      fenced`Unlinked ${secondary} from ${primary}, which keeps: ${identities.map((i) => i.id)}.`,
    );
  },
});
