import type { AccountSummary, LinkPlan, UnlinkPlan } from "@idlink/core";
import { type Fenced, fenced, joinFenced, own } from "./fence.ts";
import { fieldName } from "./results.ts";

/**
 * The plan in a few lines, for the user's confirmation and the model's summary. Every id, email and metadata key is
 * quoted, and so are core's warnings and blockers whole (they name emails and keys).
 */
export function describeLinkPlan(plan: LinkPlan, mergeMetadata: boolean): Fenced {
  const lines = [
    fenced`Link ${plan.secondary.user_id}${emailOf(plan.secondary)} into ${plan.primary.user_id}${emailOf(plan.primary)}.`,
    fenced`Identities after: ${plan.identitiesAfter.map((i) => i.id)}.`,
  ];
  const userKeys = Object.keys(plan.discarded.user_metadata);
  const appKeys = Object.keys(plan.discarded.app_metadata);
  if (userKeys.length + appKeys.length > 0) {
    const discarded = [
      ...(userKeys.length > 0 ? [fenced`user_metadata ${userKeys}`] : []),
      ...(appKeys.length > 0 ? [fenced`app_metadata ${appKeys}`] : []),
    ];
    lines.push(fenced`The secondary's metadata is discarded by Auth0: ${joinFenced(discarded, "; ")}.`);
    if (plan.mergeableKeys.length > 0) {
      lines.push(
        mergeMetadata
          ? fenced`Before linking, user_metadata ${plan.mergeableKeys} will be copied into the primary's user_metadata.`
          : fenced`merge_metadata would first copy user_metadata ${plan.mergeableKeys} into the primary's user_metadata.`,
      );
    }
  }
  for (const warning of plan.warnings) lines.push(fenced`Warning: ${warning}.`);
  for (const issue of plan.blockers)
    lines.push(fenced`Blocked (${fieldName(issue.path)}): ${issue.message}.`);
  return joinFenced(lines);
}

export function describeUnlinkPlan(plan: UnlinkPlan): Fenced {
  const lines = [
    fenced`Unlink ${plan.secondary.id} from ${plan.primary.user_id}${emailOf(plan.primary)}.`,
    fenced`Identities after: ${plan.identitiesAfter.map((i) => i.id)}.`,
  ];
  for (const warning of plan.warnings) lines.push(fenced`Warning: ${warning}.`);
  for (const issue of plan.blockers)
    lines.push(fenced`Blocked (${fieldName(issue.path)}): ${issue.message}.`);
  return joinFenced(lines);
}

function emailOf(account: AccountSummary): Fenced {
  if (!account.email) return own("");
  return fenced` (${account.email}${own(account.email_verified ? "" : ", not verified")})`;
}
