import { summarizeIdentity } from "@idlink/core";
import { z } from "zod";
import { confirmationGate } from "../confirm.ts";
import { describeUnlinkPlan, resolveUnlink } from "../plans.ts";
import { guarded, ok, refusal } from "../results.ts";
import { ConfirmationTokenField, IdentitySummarySchema, primaryField, secondaryFields } from "../schemas.ts";
import type { ToolDeps } from "../server.ts";

const InputSchema = z.strictObject({
  primary: primaryField,
  ...secondaryFields,
  confirmation_token: ConfirmationTokenField,
});

const OutputSchema = z.object({
  status: z
    .enum(["unlinked", "declined", "cancelled"])
    .describe(
      "unlinked: done. declined / cancelled: the user said no or dismissed the question; nothing changed.",
    ),
  primary: z.string(),
  secondary: z.string(),
  identities: z
    .array(IdentitySummarySchema)
    .optional()
    .describe("The identities the primary keeps, as Auth0 answered."),
});

export function registerUnlinkIdentity(deps: ToolDeps): void {
  const { server, client, confirmations } = deps;
  server.registerTool(
    "unlink_identity",
    {
      title: "Unlink an identity",
      description:
        'Removes a linked secondary identity from a primary user; Auth0 recreates it as a separate user without metadata. Name it by full id (secondary) or provider and user_id; the primary\'s main identity cannot be removed. The user must confirm: if your client supports elicitation they are asked; otherwise first call preview_link with action "unlink", show the plan, and pass its confirmation_token.',
      inputSchema: InputSchema,
      outputSchema: OutputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    ({ confirmation_token, ...args }, ctx) =>
      guarded(async () => {
        const resolved = await resolveUnlink(deps, args);
        if (!resolved.ok) return refusal("Invalid input — nothing was sent", resolved.issues);
        const plan = resolved.value;
        if (plan.blockers.length > 0) return refusal("Cannot unlink — nothing was changed", plan.blockers);
        const primary = args.primary;
        const secondary = plan.secondary.id;
        const gate = confirmationGate({
          server,
          ctx,
          confirmations,
          binding: { action: "unlink", primary, secondary },
          confirmationToken: confirmation_token,
          plan: `${describeUnlinkPlan(plan)}\nUnlink this identity?`,
        });
        if (gate.kind === "ask") return gate.result;
        if (gate.kind === "refused") return gate.result;
        if (gate.kind === "answered") {
          const status = gate.action === "decline" ? "declined" : "cancelled";
          return ok(
            { status, primary, secondary },
            `The user ${status} unlinking ${secondary} from ${primary}; nothing was changed. Do not retry unless they ask.`,
          );
        }
        const identities = (await client.unlink(primary, secondary)).map(summarizeIdentity);
        return ok(
          { status: "unlinked", primary, secondary, identities },
          `Unlinked ${secondary} from ${primary}, which keeps: ${identities.map((i) => i.id).join(", ")}.`,
        );
      }),
  );
}
