import type { AccountSummary, LinkPlan, UnlinkPlan } from "@idlink/core";

/** The plan in a few lines, for the user's confirmation and the model's summary. */
export function describeLinkPlan(plan: LinkPlan, mergeMetadata: boolean): string {
  const lines = [
    `Link ${plan.secondary.user_id}${emailOf(plan.secondary)} into ${plan.primary.user_id}${emailOf(plan.primary)}.`,
    `Identities after: ${plan.identitiesAfter.map((i) => i.id).join(", ")}.`,
  ];
  const discarded = [
    ...Object.keys(plan.discarded.user_metadata).map((k) => `user_metadata.${k}`),
    ...Object.keys(plan.discarded.app_metadata).map((k) => `app_metadata.${k}`),
  ];
  if (discarded.length > 0) {
    lines.push(`The secondary's metadata is discarded by Auth0: ${discarded.join(", ")}.`);
    if (plan.mergeableKeys.length > 0) {
      lines.push(
        mergeMetadata
          ? `Before linking, ${plan.mergeableKeys.join(", ")} will be copied into the primary's user_metadata.`
          : `merge_metadata would first copy ${plan.mergeableKeys.join(", ")} into the primary's user_metadata.`,
      );
    }
  }
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}.`);
  for (const issue of plan.blockers) lines.push(`Blocked (${issue.path}): ${issue.message}.`);
  return lines.join("\n");
}

export function describeUnlinkPlan(plan: UnlinkPlan): string {
  const lines = [
    `Unlink ${plan.secondary.id} from ${plan.primary.user_id}${emailOf(plan.primary)}.`,
    `Identities after: ${plan.identitiesAfter.map((i) => i.id).join(", ")}.`,
  ];
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}.`);
  for (const issue of plan.blockers) lines.push(`Blocked (${issue.path}): ${issue.message}.`);
  return lines.join("\n");
}

function emailOf(account: AccountSummary): string {
  if (!account.email) return "";
  return ` (${account.email}${account.email_verified ? "" : ", not verified"})`;
}
