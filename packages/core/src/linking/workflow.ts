import { checkLinkWithSignature } from "../auth/id-token-signature.ts";
import { preflightLink, preflightUnlink } from "../auth/tokens.ts";
import type { ManagementClient, User } from "../http/client.ts";
import {
  type LinkArguments,
  type LinkTarget,
  parseLinkArguments,
  parseUnlinkArguments,
  type UnlinkArguments,
  type UnlinkTarget,
} from "../ids/arguments.ts";
import { alreadyParsed } from "../ids/parsed.ts";
import { BlockedPlanError, OutcomeUnknownError, type Parsed } from "../present/errors.ts";
import {
  holdsLinked,
  type IdentitySummary,
  type LinkPlan,
  mergeMetadata,
  type PlanOptions,
  planLink,
  planUnlink,
  summarizeIdentity,
  type UnlinkPlan,
} from "./plan.ts";

/**
 * The one workflow every face runs — prepare, plan, execute:
 * 1. `prepareLink` / `prepareUnlink` parse the face's arguments (once: a target the face parsed is taken as it is)
 *    and preflight the client's own token (a missing
 *    scope, a user's token acting on someone else, an unusable `link_with` — and its signature, checked against the
 *    tenant's keys as Auth0 will); nothing reaches the tenant when they fail but, for a client-credentials client,
 *    its token request, and the tenant's public keys;
 * 2. `planLink` / `planUnlink` (plan.ts) read the accounts and say what would change, with warnings and blockers;
 * 3. `executeLink` / `executeUnlink` refuse a blocked plan (`BlockedPlanError`) and otherwise send it; a link whose
 *    outcome is unknown is settled by `ensureLinked`.
 */
export async function prepareLink(
  client: ManagementClient,
  args: LinkArguments | LinkTarget,
): Promise<Parsed<LinkTarget>> {
  const parsed = alreadyParsed<LinkTarget>(args) ?? parseLinkArguments(args);
  if (!parsed.ok) return parsed;
  const { primary, body } = parsed.value;
  const { issues } = preflightLink({ token: await client.token(), primary, body });
  if (issues.length === 0 && "link_with" in body)
    issues.push(...(await checkLinkWithSignature(client, body.link_with)));
  return issues.length > 0 ? { ok: false, issues } : parsed;
}

/** Parses an unlink's arguments (or takes the target they were parsed into) and preflights the client's token. */
export async function prepareUnlink(
  client: ManagementClient,
  args: UnlinkArguments | UnlinkTarget,
): Promise<Parsed<UnlinkTarget>> {
  const parsed = alreadyParsed<UnlinkTarget>(args) ?? parseUnlinkArguments(args);
  if (!parsed.ok) return parsed;
  const { issues } = preflightUnlink({ token: await client.token(), primary: parsed.value.primary });
  return issues.length > 0 ? { ok: false, issues } : parsed;
}

/** `prepareLink` then `planLink`: a face's arguments in, a plan (or the issues) out. Changes nothing. */
export async function previewLink(
  client: ManagementClient,
  args: LinkArguments,
  options: PlanOptions = {},
): Promise<Parsed<LinkPlan>> {
  const prepared = await prepareLink(client, args);
  if (!prepared.ok) return prepared;
  return { ok: true, value: await planLink(client, prepared.value, options) };
}

/** `prepareUnlink` then `planUnlink`. Changes nothing. */
export async function previewUnlink(
  client: ManagementClient,
  args: UnlinkArguments,
): Promise<Parsed<UnlinkPlan>> {
  const prepared = await prepareUnlink(client, args);
  if (!prepared.ok) return prepared;
  return { ok: true, value: await planUnlink(client, prepared.value) };
}

export interface LinkOutcome {
  /** The primary's identities after the link. */
  identities: IdentitySummary[];
  /** user_metadata keys copied from the secondary first (with `mergeMetadata`). */
  mergedMetadataKeys: string[];
  /** `reconcile`: the link's answer was lost, and reading the primary showed the secondary linked. */
  via: "link" | "reconcile";
}

/**
 * Sends a planned link: refuses a plan with blockers (`BlockedPlanError`, nothing sent), merges metadata first when
 * asked, links, and settles an unknown outcome (a 5xx or a dropped connection) with `ensureLinked`.
 */
export async function executeLink(
  client: ManagementClient,
  plan: LinkPlan,
  options: { mergeMetadata?: boolean } = {},
): Promise<LinkOutcome> {
  if (plan.blockers.length > 0) throw new BlockedPlanError("link", plan.blockers);
  const { primary } = plan.request;
  const secondary = plan.secondary.user_id;
  const merged = options.mergeMetadata ? await mergeMetadata(client, primary, secondary) : [];
  try {
    const identities = (await client.link(plan.request)).map(summarizeIdentity);
    return { identities, mergedMetadataKeys: merged, via: "link" };
  } catch (error) {
    if (!(error instanceof OutcomeUnknownError)) throw error;
    const settled = await ensureLinked(client, plan, error);
    return { ...settled, mergedMetadataKeys: merged };
  }
}

/**
 * After a link whose outcome is unknown: reads the primary and links again only if the secondary is absent, so a
 * pair is never linked twice. When even the read fails, the original unknown outcome is thrown.
 */
export async function ensureLinked(
  client: ManagementClient,
  plan: LinkPlan,
  unknown: OutcomeUnknownError,
): Promise<Omit<LinkOutcome, "mergedMetadataKeys">> {
  const { primary } = plan.request;
  const secondary = plan.secondary.user_id;
  let user: User;
  try {
    user = await client.getUser(primary);
  } catch {
    throw unknown;
  }
  if (holdsLinked(user, secondary)) {
    return { identities: (user.identities ?? []).map(summarizeIdentity), via: "reconcile" };
  }
  return { identities: (await client.link(plan.request)).map(summarizeIdentity), via: "link" };
}

/** Sends a planned unlink; refuses a plan with blockers (`BlockedPlanError`, nothing sent). Answers what remains. */
export async function executeUnlink(client: ManagementClient, plan: UnlinkPlan): Promise<IdentitySummary[]> {
  if (plan.blockers.length > 0) throw new BlockedPlanError("unlink", plan.blockers);
  return (await client.unlink(plan.request)).map(summarizeIdentity);
}
