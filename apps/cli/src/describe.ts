import type { IdentitySummary, LinkPlan } from "@idlink/core";
import type { Style } from "./style.ts";
import { table } from "./style.ts";

/** "alice@example.com (verified)" */
export function emailText(
  account: { email?: string | undefined; email_verified?: boolean | undefined },
  style: Style,
): string {
  if (account.email === undefined) return style.dim("no email");
  return account.email_verified === true
    ? `${account.email} ${style.green("(verified)")}`
    : `${account.email} ${style.yellow("(not verified)")}`;
}

/** The identities as a table, indented; `width` is the terminal's (see `table`). */
export function identityTable(
  identities: IdentitySummary[],
  style: Style,
  width?: number,
  indent = "    ",
): string {
  const rows = [[style.dim("ID"), style.dim("CONNECTION")], ...identities.map((i) => [i.id, i.connection])];
  return table(rows, width === undefined ? undefined : width - indent.length)
    .split("\n")
    .map((l) => indent + l)
    .join("\n");
}

/** The plan a person reads before confirming a link; `width` is the terminal's (see `table`). */
export function planText(plan: LinkPlan, style: Style, width?: number): string {
  const lines = [
    `${style.bold("Link")} ${plan.secondary.user_id} ${style.bold("into")} ${plan.primary.user_id}`,
    `  primary    ${plan.primary.user_id}  ${emailText(plan.primary, style)}`,
    `  secondary  ${plan.secondary.user_id}  ${emailText(plan.secondary, style)}`,
    "  identities of the primary afterwards:",
    identityTable(plan.identitiesAfter, style, width),
  ];
  for (const warning of plan.warnings) lines.push(`  ${style.yellow("warning:")} ${warning}`);
  if (plan.mergeableKeys.length > 0) {
    lines.push(
      `  ${style.dim(`--merge-metadata would copy user_metadata: ${plan.mergeableKeys.join(", ")}`)}`,
    );
  }
  for (const blocker of plan.blockers) lines.push(`  ${style.red("cannot link:")} ${blocker.message}`);
  return lines.join("\n");
}
