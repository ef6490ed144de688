import {
  executeUnlink,
  fullUserId,
  parseUnlinkArguments,
  planUnlink,
  prepareUnlink,
  toCurl,
  unlinkPath,
  ValidationError,
} from "@idlink/core";
import type { Handler } from "../command-spec.ts";
import { confirm } from "../confirm.ts";
import { createClient, resolveConnection, resolveOrigin } from "../credentials.ts";
import { identityTable } from "../describe.ts";
import { ExitCode } from "../exit-codes.ts";
import type { unlinkSpec } from "../specs/unlink.ts";
import { printable as p } from "../style.ts";
import { blocked } from "./link.ts";

/** `idlink unlink`: core's prepare (validate, preflight the token), plan, confirm, execute. */
export const run: Handler<typeof unlinkSpec> = async ({ args: [primary, secondary], flags }, ctx) => {
  const { io, output } = ctx;
  const args = { primary, secondary, provider: flags.provider, user_id: flags.userId };
  const parsed = parseUnlinkArguments(args);
  if (!parsed.ok) throw new ValidationError(parsed.issues, "unlink request");
  const target = parsed.value.secondary;
  const targetId = fullUserId(target);

  if (flags.printCurl) {
    const { origin } = await resolveOrigin(flags, io);
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
  const prepared = await prepareUnlink(client, parsed.value);
  if (!prepared.ok) throw new ValidationError(prepared.issues, "unlink request (token check)");
  const planned = await planUnlink(client, prepared.value);
  if (planned.blockers.length > 0) return blocked("unlink", planned.blockers, ctx);
  const after = planned.identitiesAfter;
  const plan = { primary, secondary: targetId, identitiesAfter: after };
  // The plan is the result of a dry run; before a change it explains it (--quiet leaves it out).
  const planLine = flags.dryRun ? output.line : output.detail;
  // The ids are the arguments, the warnings core's (naming them): printed through `printable`.
  const shown = { primary: p(primary), secondary: p(targetId) };
  planLine(`${output.out.bold("Unlink")} ${shown.secondary} ${output.out.bold("from")} ${shown.primary}`);
  for (const warning of planned.warnings) planLine(`  ${p(warning)}.`);
  planLine("  identities of the primary afterwards:");
  planLine(identityTable(after, output.out, output.width));
  if (flags.dryRun) {
    output.detail(output.out.dim("Dry run: nothing was sent."));
    if (output.json) output.document({ ok: true, dryRun: true, plan });
    return ExitCode.ok;
  }
  if (!(await confirm(io, `Unlink ${shown.secondary} from ${shown.primary}?`, flags.yes))) {
    output.note("Not unlinked: nothing was sent.");
    if (output.json) output.document({ ok: false, exitCode: ExitCode.declined, declined: true, plan });
    return ExitCode.declined;
  }
  const remaining = await executeUnlink(client, planned);
  output.line(`${output.out.green("Unlinked")} ${shown.secondary} from ${shown.primary}.`);
  output.detail("Identities now:");
  output.detail(identityTable(remaining, output.out, output.width));
  if (output.json) output.document({ ok: true, primary, secondary: targetId, identities: remaining });
  return ExitCode.ok;
};
