import {
  checkUserId,
  linkPath,
  linkRequestFrom,
  mergeMetadata,
  planLink,
  preflightLink,
  redact,
  summarizeIdentity,
  toCurl,
  ValidationError,
} from "@idlink/core";
import { confirm } from "../confirm.ts";
import { createClient, readSecretFile, resolveConnection, resolveOrigin } from "../credentials.ts";
import { identityTable, planText } from "../describe.ts";
import { ExitCode } from "../exit-codes.ts";
import type { CommandContext, LinkFlags } from "../program.ts";
import { UsageError } from "../usage-error.ts";

export interface LinkInput {
  primary: string;
  secondary: string | undefined;
  flags: LinkFlags;
}

/** `idlink link`: validate, preflight the token, plan, confirm, (merge metadata,) link. */
export async function link(
  { primary, secondary, flags }: LinkInput,
  { io, output }: CommandContext,
): Promise<number> {
  const linkWith = await readLinkWith(flags, { io, output });
  const given = [secondary, flags.provider, flags.userId, flags.connectionId, linkWith];
  if (given.every((v) => v === undefined)) {
    throw new UsageError(
      "No secondary account given.",
      "Give its full id (google-oauth2|108…), --provider and --user-id, or --link-with - / --link-with-file F.",
    );
  }
  const issues = checkUserId(primary, "primary");
  const parsed = linkRequestFrom(
    {
      secondary,
      provider: flags.provider,
      user_id: flags.userId,
      connection_id: flags.connectionId,
      link_with: linkWith,
    },
    { primary },
  );
  if (!parsed.ok) issues.push(...parsed.issues);
  if (issues.length > 0 || !parsed.ok) throw new ValidationError(issues, "link request");
  const body = parsed.body;
  // Core sends a full id given as user_id as its bare part (Auth0 accepts both) and says so.
  if (parsed.variant === "identity") for (const note of parsed.notes ?? []) output.note(note.message);

  if (flags.printCurl) {
    const { origin } = resolveOrigin(flags, io);
    const curl = toCurl({
      method: "POST",
      origin,
      path: linkPath(primary),
      body,
      tokenVariable: "AUTH0_TOKEN",
      secretFields: { link_with: "LINK_WITH" },
    });
    if (output.json) output.document({ ok: true, curl });
    else output.line(curl);
    if (parsed.variant === "token")
      output.note("Set LINK_WITH to the secondary's ID token before running it.");
    return ExitCode.ok;
  }

  const connection = await resolveConnection(flags, io);
  const token = await connection.getToken();
  const preflight = preflightLink({ token, primary, body });
  if (preflight.issues.length > 0) throw new ValidationError(preflight.issues, "link request (token check)");

  const client = createClient(connection, { signal: io.interrupt });
  const plan = await planLink(client, primary, body);
  const shownPlan = redact(plan);
  output.line(planText(plan, output.out));
  if (plan.blockers.length > 0) {
    output.note(`${output.err.red("error:")} Cannot link — nothing was sent`);
    for (const b of plan.blockers) output.note(`  ${b.path}: ${b.message}`);
    if (output.json) {
      output.document({
        ok: false,
        exitCode: ExitCode.apiError,
        error: {
          title: "Cannot link — nothing was sent",
          message: plan.blockers.map((b) => b.message).join("; "),
          issues: plan.blockers,
        },
        plan: shownPlan,
      });
    }
    return ExitCode.apiError;
  }
  if (flags.dryRun) {
    output.line(output.out.dim("Dry run: nothing was sent."));
    if (output.json) output.document({ ok: true, dryRun: true, plan: shownPlan });
    return ExitCode.ok;
  }
  if (!(await confirm(io, `Link ${plan.secondary.user_id} into ${plan.primary.user_id}?`, flags.yes))) {
    output.note("Not linked: nothing was sent.");
    if (output.json)
      output.document({ ok: false, exitCode: ExitCode.declined, declined: true, plan: shownPlan });
    return ExitCode.declined;
  }
  const merged = flags.mergeMetadata ? await mergeMetadata(client, primary, plan.secondary.user_id) : [];
  if (merged.length > 0) output.line(`Merged user_metadata into the primary: ${merged.join(", ")}`);
  const identities = (await client.link(primary, body)).map(summarizeIdentity);
  output.line(`${output.out.green("Linked")} ${plan.secondary.user_id} into ${primary}. Identities now:`);
  output.line(identityTable(identities, output.out));
  if (output.json) {
    output.document({
      ok: true,
      primary,
      secondary: plan.secondary.user_id,
      mergedMetadataKeys: merged,
      identities,
      plan: shownPlan,
    });
  }
  return ExitCode.ok;
}

async function readLinkWith(flags: LinkFlags, { io }: CommandContext): Promise<string | undefined> {
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
