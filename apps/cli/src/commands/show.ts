import { readAccount, redact } from "@idlink/core";
import type { Handler } from "../command-spec.ts";
import { createClient, resolveConnection } from "../credentials.ts";
import { emailText } from "../describe.ts";
import { ExitCode } from "../exit-codes.ts";
import type { showSpec } from "../specs/show.ts";
import { printable as p, table } from "../style.ts";

const idpTokenKeys = ["access_token", "access_token_secret", "refresh_token"] as const;

/** `idlink show`: a user and its identities; identity-provider tokens are redacted, never printed. */
export const run: Handler<typeof showSpec> = async ({ args: [id], flags }, { io, output }) => {
  const client = createClient(await resolveConnection(flags, io), { signal: io.interrupt });
  // An identity linked into another user is no user of its own: the 404 then names the user holding it.
  const user = redact(await readAccount(client, id, "user"));
  const s = output.out;
  const identities = user.identities ?? [];
  // Every value here is the tenant's (a name is whatever its user typed): printed through `printable`.
  output.line(`${s.bold(p(user.user_id ?? id))}  ${p(user.name)}`.trimEnd());
  output.line(`  email       ${emailText(user, s)}`);
  if (user.created_at) output.line(`  created     ${p(String(user.created_at))}`);
  if (user.last_login)
    output.line(`  last login  ${p(String(user.last_login))} (${p(user.logins_count ?? 0)} logins)`);
  output.line(
    `  identities  ${identities.length}${identities.length > 1 ? " (the first is the main one)" : ""}`,
  );
  const rows = [
    ["", "PROVIDER", "USER_ID", "CONNECTION", "SOCIAL", "IDP TOKENS"].map((h) => s.dim(h)),
    ...identities.map((identity, index) => [
      index === 0 ? "main" : "linked",
      p(identity.provider),
      p(String(identity.user_id ?? "")),
      p(identity.connection),
      identity.isSocial ? "yes" : "no",
      tokenNote(identity),
    ]),
  ];
  output.line(
    table(rows, output.width === undefined ? undefined : output.width - 4)
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n"),
  );
  for (const field of ["user_metadata", "app_metadata"] as const) {
    const value = user[field];
    if (value && Object.keys(value).length > 0)
      output.line(`  ${field.padEnd(14)}${p(JSON.stringify(value))}`);
  }
  if (output.json) {
    output.document({
      ok: true,
      user,
      identities: identities.map((i) => ({ ...i, id: `${i.provider}|${i.user_id}` })),
    });
  }
  return ExitCode.ok;
};

function tokenNote(identity: Partial<Record<(typeof idpTokenKeys)[number], unknown>>): string {
  const present = idpTokenKeys.filter((k) => identity[k] !== undefined);
  return present.length === 0 ? "-" : `${present.join(", ")} [redacted]`;
}
