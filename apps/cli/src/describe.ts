import type { IdentitySummary, LinkPlan } from "@idlink/core";
import type { Style } from "./style.ts";
import { printable as p, table } from "./style.ts";

// Every value from the tenant or the arguments is printed through `printable` (style.ts): no raw escape, line
// break or bidi control of a name, email, id, key or message reaches the terminal.

/** "alice@example.com (verified)" */
export function emailText(
  account: { email?: string | undefined; email_verified?: boolean | undefined },
  style: Style,
): string {
  if (account.email === undefined) return style.dim("no email");
  return account.email_verified === true
    ? `${p(account.email)} ${style.green("(verified)")}`
    : `${p(account.email)} ${style.yellow("(not verified)")}`;
}

/** The identities as a table, indented; `width` is the terminal's (see `table`). */
export function identityTable(
  identities: IdentitySummary[],
  style: Style,
  width?: number,
  indent = "    ",
): string {
  const rows = [
    [style.dim("ID"), style.dim("CONNECTION")],
    ...identities.map((i) => [p(i.id), p(i.connection)]),
  ];
  return table(rows, width === undefined ? undefined : width - indent.length)
    .split("\n")
    .map((l) => indent + l)
    .join("\n");
}

/** The plan a person reads before confirming a link; `width` is the terminal's (see `table`). */
export function planText(plan: LinkPlan, style: Style, width?: number): string {
  const primary = p(plan.primary.user_id);
  const secondary = p(plan.secondary.user_id);
  const lines = [
    `${style.bold("Link")} ${secondary} ${style.bold("into")} ${primary}`,
    `  primary    ${primary}  ${emailText(plan.primary, style)}`,
    `  secondary  ${secondary}  ${emailText(plan.secondary, style)}`,
    "  identities of the primary afterwards:",
    identityTable(plan.identitiesAfter, style, width),
  ];
  for (const warning of plan.warnings) lines.push(`  ${style.yellow("warning:")} ${p(warning)}`);
  if (plan.mergeableKeys.length > 0) {
    lines.push(
      `  ${style.dim(`--merge-metadata would copy user_metadata: ${plan.mergeableKeys.map(p).join(", ")}`)}`,
    );
  }
  for (const blocker of plan.blockers) lines.push(`  ${style.red("cannot link:")} ${p(blocker.message)}`);
  return lines.join("\n");
}
