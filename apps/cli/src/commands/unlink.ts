import {
  checkUserId,
  fullUserId,
  isProvider,
  parseUserId,
  planUnlink,
  type SecondaryId,
  summarizeIdentity,
  toCurl,
  unlinkPath,
  ValidationError,
} from "@idlink/core";
import { confirm } from "../confirm.ts";
import { createClient, resolveConnection, resolveOrigin } from "../credentials.ts";
import { identityTable } from "../describe.ts";
import { ExitCode } from "../exit-codes.ts";
import type { CommandContext, UnlinkFlags } from "../program.ts";
import { UsageError } from "../usage-error.ts";

export interface UnlinkInput {
  primary: string;
  secondary: string | undefined;
  flags: UnlinkFlags;
}

/** `idlink unlink`: check the identity is linked to the primary, confirm, unlink. */
export async function unlink(
  { primary, secondary, flags }: UnlinkInput,
  { io, output }: CommandContext,
): Promise<number> {
  const target = secondaryOf(primary, secondary, flags);
  const targetId = fullUserId(target);

  if (flags.printCurl) {
    const { origin } = resolveOrigin(flags, io);
    const curl = toCurl({
      method: "DELETE",
      origin,
      path: unlinkPath(primary, target.provider, target.user_id),
      tokenVariable: "AUTH0_TOKEN",
    });
    if (output.json) output.document({ ok: true, curl });
    else output.line(curl);
    return ExitCode.ok;
  }

  const client = createClient(await resolveConnection(flags, io), { signal: io.interrupt });
  const planned = await planUnlink(client, primary, target);
  if (planned.blockers.length > 0) {
    output.note(`${output.err.red("error:")} Cannot unlink — nothing was sent`);
    for (const b of planned.blockers) output.note(`  ${b.path}: ${b.message}`);
    if (output.json) {
      output.document({
        ok: false,
        exitCode: ExitCode.apiError,
        error: {
          title: "Cannot unlink — nothing was sent",
          message: planned.blockers.map((b) => b.message).join("; "),
          issues: planned.blockers,
        },
      });
    }
    return ExitCode.apiError;
  }
  const after = planned.identitiesAfter;
  const plan = { primary, secondary: targetId, identitiesAfter: after };
  output.line(`${output.out.bold("Unlink")} ${targetId} ${output.out.bold("from")} ${primary}`);
  output.line(`  ${targetId} becomes a separate user again, with no metadata.`);
  output.line("  identities of the primary afterwards:");
  output.line(identityTable(after, output.out));
  if (flags.dryRun) {
    output.line(output.out.dim("Dry run: nothing was sent."));
    if (output.json) output.document({ ok: true, dryRun: true, plan });
    return ExitCode.ok;
  }
  if (!(await confirm(io, `Unlink ${targetId} from ${primary}?`, flags.yes))) {
    output.note("Not unlinked: nothing was sent.");
    if (output.json) output.document({ ok: false, exitCode: ExitCode.declined, declined: true, plan });
    return ExitCode.declined;
  }
  const remaining = (await client.unlink(primary, target)).map(summarizeIdentity);
  output.line(`${output.out.green("Unlinked")} ${targetId} from ${primary}. Identities now:`);
  output.line(identityTable(remaining, output.out));
  if (output.json) output.document({ ok: true, primary, secondary: targetId, identities: remaining });
  return ExitCode.ok;
}

function secondaryOf(primary: string, secondary: string | undefined, flags: UnlinkFlags): SecondaryId {
  const issues = checkUserId(primary, "primary");
  const byParts = flags.provider !== undefined || flags.userId !== undefined;
  if (secondary !== undefined && byParts) {
    throw new UsageError("Give the secondary either as a full id or as --provider/--user-id, not both.");
  }
  let target: SecondaryId | undefined;
  if (secondary !== undefined) {
    try {
      target = parseUserId(secondary, "secondary");
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
    }
  } else if (byParts) {
    if (!isProvider(flags.provider)) {
      issues.push({
        path: "provider",
        message:
          flags.provider === undefined || flags.provider === ""
            ? "provider is required with user_id — e.g. google-oauth2"
            : `provider "${flags.provider}" is not an Auth0 identity provider — e.g. auth0, google-oauth2, github, samlp`,
      });
    }
    issues.push(...checkUserId(flags.userId ?? "", "user_id"));
    if (isProvider(flags.provider) && flags.userId !== undefined) {
      target = { provider: flags.provider, user_id: flags.userId };
    }
  } else {
    throw new UsageError(
      "No secondary identity given.",
      "Give its full id (google-oauth2|108…), or --provider and --user-id.",
    );
  }
  if (target && fullUserId(target) === primary) {
    issues.push({
      path: "secondary",
      message: "Auth0 cannot remove the main identity — name a linked secondary",
    });
  }
  if (issues.length > 0 || !target) throw new ValidationError(issues, "unlink request");
  return target;
}
