import {
  executeLink,
  linkPath,
  parseLinkArguments,
  planLink,
  prepareLink,
  redact,
  toCurl,
  ValidationError,
} from "@idlink/core";
import type { Handler } from "../command-spec.ts";
import { confirm } from "../confirm.ts";
import type { CommandContext } from "../context.ts";
import { createClient, readSecretFile, resolveConnection, resolveOrigin } from "../credentials.ts";
import { identityTable, planText } from "../describe.ts";
import { ExitCode } from "../exit-codes.ts";
import type { linkSpec } from "../specs/link.ts";
import { printable as p } from "../style.ts";
import { UsageError } from "../usage-error.ts";

type Flags = Parameters<Handler<typeof linkSpec>>[0]["flags"];

/** `idlink link`: core's prepare (validate, preflight the token), plan, confirm, execute. */
export const run: Handler<typeof linkSpec> = async ({ args: [primary, secondary], flags }, ctx) => {
  const { io, output } = ctx;
  const args = {
    primary,
    secondary,
    provider: flags.provider,
    user_id: flags.userId,
    connection_id: flags.connectionId,
    link_with: await readLinkWith(flags, ctx),
  };

  if (flags.printCurl) {
    const parsed = parseLinkArguments(args);
    if (!parsed.ok) throw new ValidationError(parsed.issues, "link request");
    for (const note of parsed.value.notes) output.note(p(note.message));
    const { origin } = await resolveOrigin(flags, io);
    const curl = toCurl({
      method: "POST",
      origin,
      path: linkPath(parsed.value.primary),
      body: parsed.value.body,
      tokenVariable: "AUTH0_TOKEN",
      secretFields: { link_with: "LINK_WITH" },
    });
    if (output.json) output.document({ ok: true, curl });
    else output.line(curl);
    if (parsed.value.variant === "token")
      output.note("Set LINK_WITH to the secondary's ID token before running it.");
    return ExitCode.ok;
  }

  // Nothing reaches the tenant before the arguments are valid: not even a client-credentials token request.
  const parsed = parseLinkArguments(args);
  if (!parsed.ok) throw new ValidationError(parsed.issues, "link request");
  const client = createClient(await resolveConnection(flags, io), { signal: io.interrupt });
  const prepared = await prepareLink(client, parsed.value);
  if (!prepared.ok) throw new ValidationError(prepared.issues, "link request (token check)");
  // Core sends a full id given as user_id as its bare part (Auth0 accepts both) and says so.
  for (const note of prepared.value.notes) output.note(p(note.message));
  const plan = await planLink(client, prepared.value);
  const shownPlan = redact(plan);
  // The plan is the result of a dry run; before a change it explains it (--quiet leaves it out).
  (flags.dryRun ? output.line : output.detail)(planText(plan, output.out, output.width));
  if (plan.blockers.length > 0) return blocked("link", plan.blockers, ctx, { plan: shownPlan });
  if (flags.dryRun) {
    output.detail(output.out.dim("Dry run: nothing was sent."));
    if (output.json) output.document({ ok: true, dryRun: true, plan: shownPlan });
    return ExitCode.ok;
  }
  const ids = { primary: p(plan.primary.user_id), secondary: p(plan.secondary.user_id) };
  if (!(await confirm(io, `Link ${ids.secondary} into ${ids.primary}?`, flags.yes))) {
    output.note("Not linked: nothing was sent.");
    if (output.json)
      output.document({ ok: false, exitCode: ExitCode.declined, declined: true, plan: shownPlan });
    return ExitCode.declined;
  }
  const outcome = await executeLink(client, plan, { mergeMetadata: flags.mergeMetadata === true });
  const merged = outcome.mergedMetadataKeys;
  if (merged.length > 0) output.line(`Merged user_metadata into the primary: ${merged.map(p).join(", ")}`);
  if (outcome.via === "reconcile") {
    output.note("The link's answer was lost; reading the primary shows it linked.");
  }
  output.line(`${output.out.green("Linked")} ${ids.secondary} into ${ids.primary}.`);
  output.detail("Identities now:");
  output.detail(identityTable(outcome.identities, output.out, output.width));
  if (output.json) {
    output.document({
      ok: true,
      primary: plan.primary.user_id,
      secondary: plan.secondary.user_id,
      mergedMetadataKeys: merged,
      identities: outcome.identities,
      plan: shownPlan,
    });
  }
  return ExitCode.ok;
};

/** A plan with blockers: nothing is sent; the blockers are printed (and the --json document). */
export function blocked(
  action: "link" | "unlink",
  blockers: { path: string; message: string }[],
  { output }: CommandContext,
  extra: Record<string, unknown> = {},
): number {
  const title = `Cannot ${action} — nothing was sent`;
  output.error(`${output.err.red("error:")} ${title}`);
  for (const b of blockers) output.error(`  ${p(b.path)}: ${p(b.message)}`);
  if (output.json) {
    output.document({
      ok: false,
      exitCode: ExitCode.apiError,
      error: { title, message: blockers.map((b) => b.message).join("; "), issues: blockers },
      ...extra,
    });
  }
  return ExitCode.apiError;
}

async function readLinkWith(flags: Flags, { io }: CommandContext): Promise<string | undefined> {
  if (flags.linkWith !== undefined && flags.linkWith !== "-") {
    throw new UsageError(
      "--link-with takes '-' (read the ID token from stdin), never the token itself.",
      "Use --link-with - < token.txt, or --link-with-file token.txt: a token in a flag ends up in shell history.",
    );
  }
  if (flags.linkWith !== undefined && flags.linkWithFile !== undefined) {
    throw new UsageError("--link-with and --link-with-file both give the ID token: use one.");
  }
  if (flags.linkWith === "-" && flags.tokenStdin) {
    throw new UsageError(
      "stdin cannot carry both the Management token and the ID token.",
      "Use --token-file or AUTH0_TOKEN for the Management token, or --link-with-file for the ID token.",
    );
  }
  if (flags.linkWith === "-") return (await io.readStdin()).trim();
  if (flags.linkWithFile !== undefined) return readSecretFile(flags.linkWithFile, io, "--link-with-file");
  return undefined;
}
