import { z } from "zod";
import { describeLinkPlan, describeUnlinkPlan, resolveLink, resolveUnlink } from "../plans.ts";
import { guarded, ok, refusal } from "../results.ts";
import {
  AccountSummarySchema,
  IdentitySummarySchema,
  IssueSchema,
  MetadataKeysSchema,
  primaryField,
  secondaryFields,
} from "../schemas.ts";
import type { ToolDeps } from "../server.ts";

const InputSchema = z.strictObject({
  action: z
    .enum(["link", "unlink"])
    .default("link")
    .describe(
      "What to preview: link the secondary into the primary (default), or unlink it from the primary.",
    ),
  primary: primaryField,
  ...secondaryFields,
  connection_id: z
    .string()
    .optional()
    .describe(
      "Link only: con_ and 16 letters or digits, when the secondary is in one of several database connections.",
    ),
  link_with: z
    .string()
    .optional()
    .describe(
      "Link only: the secondary's ID token (a JWT from its sign-in), instead of an id. Never echoed back.",
    ),
});

const OutputSchema = z.object({
  action: z.enum(["link", "unlink"]),
  primary: AccountSummarySchema,
  secondary: AccountSummarySchema,
  identities_after: z.array(IdentitySummarySchema).describe("The primary's identities after the change."),
  discarded_metadata: MetadataKeysSchema.describe(
    "Keys of the secondary's metadata that Auth0 discards when linking.",
  ),
  mergeable_keys: z
    .array(z.string())
    .describe("user_metadata keys link_accounts copies to the primary first when merge_metadata is true."),
  warnings: z.array(z.string()).describe("Things the user should know before confirming."),
  blockers: z.array(IssueSchema).describe("Reasons the change cannot go ahead; fix them first."),
  can_proceed: z.boolean(),
  confirmation_token: z
    .string()
    .optional()
    .describe(
      "Pass to link_accounts / unlink_identity after the user approves this plan, if your client cannot ask the user itself. Single use, 5 minutes, only for this action and these two accounts. Not a credential.",
    ),
  confirmation_expires_at: z.string().optional(),
});

export function registerPreviewLink(deps: ToolDeps): void {
  const { server, confirmations, readOnly } = deps;
  server.registerTool(
    "preview_link",
    {
      title: "Preview a link or unlink",
      description:
        "Shows what linking a secondary account into a primary (or unlinking it) would do, and changes nothing: validation, a check of the server's token, the identities after, the secondary metadata Auth0 would discard, warnings (unverified or differing emails) and blockers. Name the secondary by full id (secondary), by provider and user_id, or (link only) by its ID token (link_with). Show the plan to the user before any change; its confirmation_token lets link_accounts / unlink_identity proceed when your client cannot ask the user.",
      inputSchema: InputSchema,
      outputSchema: OutputSchema,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    ({ action, ...args }) =>
      guarded(async () => {
        const issue = (can: boolean, kind: "link" | "unlink", primary: string, secondary: string) =>
          can && !readOnly ? confirmations.issue("preview", { action: kind, primary, secondary }) : undefined;

        if (action === "unlink") {
          const stray = (["connection_id", "link_with"] as const).filter((k) => args[k] !== undefined);
          if (stray.length > 0) {
            return refusal(
              "Invalid input — nothing was sent",
              stray.map((k) => ({
                path: k,
                message: `${k} is for linking only — unlink names the identity by id`,
              })),
            );
          }
          const resolved = await resolveUnlink(deps, args);
          if (!resolved.ok) return refusal("Invalid input — nothing was sent", resolved.issues);
          const plan = resolved.value;
          const canProceed = plan.blockers.length === 0;
          const confirmation = issue(canProceed, "unlink", args.primary, plan.secondary.id);
          return ok(
            {
              action,
              primary: plan.primary,
              secondary: { user_id: plan.secondary.id, identities: [plan.secondary] },
              identities_after: plan.identitiesAfter,
              discarded_metadata: { user_metadata: [], app_metadata: [] },
              mergeable_keys: [],
              warnings: plan.warnings,
              blockers: plan.blockers,
              can_proceed: canProceed,
              confirmation_token: confirmation?.token,
              confirmation_expires_at: confirmation?.expiresAt.toISOString(),
            },
            describeUnlinkPlan(plan),
          );
        }

        const resolved = await resolveLink(deps, args);
        if (!resolved.ok) return refusal("Invalid input — nothing was sent", resolved.issues);
        const { plan, preflight } = resolved.value;
        const blockers = [...plan.blockers, ...preflight];
        const canProceed = blockers.length === 0;
        const confirmation = issue(canProceed, "link", args.primary, plan.secondary.user_id);
        return ok(
          {
            action,
            primary: plan.primary,
            secondary: plan.secondary,
            identities_after: plan.identitiesAfter,
            discarded_metadata: {
              user_metadata: Object.keys(plan.discarded.user_metadata),
              app_metadata: Object.keys(plan.discarded.app_metadata),
            },
            mergeable_keys: plan.mergeableKeys,
            warnings: plan.warnings,
            blockers,
            can_proceed: canProceed,
            confirmation_token: confirmation?.token,
            confirmation_expires_at: confirmation?.expiresAt.toISOString(),
          },
          describeLinkPlan(plan, preflight, false),
        );
      }),
  );
}
