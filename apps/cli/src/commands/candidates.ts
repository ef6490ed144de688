import { findLinkCandidates, redact } from "@idlink/core";
import type { Handler } from "../command-spec.ts";
import { createClient, resolveConnection } from "../credentials.ts";
import { emailText } from "../describe.ts";
import { ExitCode } from "../exit-codes.ts";
import type { candidatesSpec } from "../specs/candidates.ts";
import { printable as p, shellQuote } from "../style.ts";

/** `idlink candidates`: accounts sharing a verified email, each with the command that would link it. */
export const run: Handler<typeof candidatesSpec> = async ({ args: [subject], flags }, { io, output }) => {
  const client = createClient(await resolveConnection(flags, io), { signal: io.interrupt });
  const found = redact(await findLinkCandidates(client, subject.trim()));
  const s = output.out;
  const primary = found.primary;
  const suggestions = found.candidates.map((account) => ({
    ...account,
    command: primary
      ? `idlink link ${shellQuote(primary.user_id)} ${shellQuote(account.user_id)}`
      : undefined,
  }));
  // Emails, ids and reasons are the tenant's: printed through `printable`; the commands are shell-quoted.
  output.line(`Accounts sharing ${s.bold(p(found.email))}`);
  if (primary) output.line(`  primary  ${p(primary.user_id)}  ${emailText(primary, s)}`);
  if (suggestions.length === 0) {
    output.line(`  No account to suggest${primary ? ` for ${p(primary.user_id)}` : ""}.`);
  } else {
    output.line(s.bold("Suggested links"));
    for (const c of suggestions) {
      output.line(`  ${p(c.user_id)}  ${emailText(c, s)}`);
      if (c.command) output.line(`    ${s.cyan(c.command)}`);
    }
  }
  if (found.unverified.length > 0) {
    output.line(s.bold("Not suggested"));
    for (const u of found.unverified) {
      output.line(`  ${p(u.account.user_id)}  ${emailText(u.account, s)}`);
      output.line(`    ${s.yellow("warning:")} ${p(u.reason)}`);
    }
  }
  if (output.json) {
    output.document({
      ok: true,
      email: found.email,
      primary,
      candidates: suggestions,
      unverified: found.unverified,
    });
  }
  return ExitCode.ok;
};
