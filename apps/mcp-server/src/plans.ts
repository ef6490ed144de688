import {
  type AccountSummary,
  type Issue,
  type LinkPlan,
  type LinkRequest,
  linkRequestFrom,
  planLink,
  planUnlink,
  preflightLink,
  type UnlinkPlan,
} from "@idlink/core";
import type { ToolDeps } from "./server.ts";

export interface LinkArgs {
  primary: string;
  secondary?: string | undefined;
  provider?: string | undefined;
  user_id?: string | number | undefined;
  connection_id?: string | undefined;
  link_with?: string | undefined;
}

export type Resolved<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

export interface ResolvedLink {
  body: LinkRequest;
  plan: LinkPlan;
  /** Preflight findings on the server's token and link_with: each one would make Auth0 refuse. */
  preflight: Issue[];
}

/** Validates the face arguments with core, preflights the token and plans the link. Changes nothing. */
export async function resolveLink(deps: ToolDeps, args: LinkArgs): Promise<Resolved<ResolvedLink>> {
  const { primary, ...secondary } = args;
  const parsed = linkRequestFrom(secondary, { primary });
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const token = deps.getToken ? await deps.getToken() : undefined;
  const preflight = token === undefined ? [] : preflightLink({ token, primary, body: parsed.body }).issues;
  const plan = await planLink(deps.client, primary, parsed.body);
  return { ok: true, value: { body: parsed.body, plan, preflight } };
}

/** Validates the face arguments with core and plans the unlink (core's planUnlink). Changes nothing. */
export async function resolveUnlink(
  deps: ToolDeps,
  args: {
    primary: string;
    secondary?: string | undefined;
    provider?: string | undefined;
    user_id?: string | number | undefined;
  },
): Promise<Resolved<UnlinkPlan>> {
  const { primary, ...secondary } = args;
  const parsed = linkRequestFrom(secondary);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  if (!("provider" in parsed.body)) {
    return {
      ok: false,
      issues: [
        { path: "secondary", message: "name the identity to unlink by its full id, or provider and user_id" },
      ],
    };
  }
  return { ok: true, value: await planUnlink(deps.client, primary, parsed.body) };
}

/** The plan in a few lines, for the user's confirmation and the model's summary. */
export function describeLinkPlan(plan: LinkPlan, preflight: Issue[], mergeMetadata: boolean): string {
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
  for (const issue of [...plan.blockers, ...preflight])
    lines.push(`Blocked (${issue.path}): ${issue.message}.`);
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
