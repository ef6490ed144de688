import { findTenantDuplicates } from "@idlink/core/export";
import { z } from "zod";
import { fenced } from "../fence.ts";
import { ok } from "../results.ts";
import { defineTool } from "../tool.ts";

const InputSchema = z.strictObject({
  connection_id: z
    .string()
    .regex(/^con_[A-Za-z0-9]{16}$/, "connection_id is con_ followed by 16 letters or digits")
    .optional()
    .describe("only this connection's users"),
  sample_size: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(10)
    .describe("groups to show; counts cover every user"),
});

const AccountSchema = z.object({
  user_id: z.string(),
  email: z.string(),
  email_verified: z.boolean(),
  provider: z.string(),
  created_at: z.string().optional(),
  logins_count: z.number().optional(),
  linked: z.number().describe("Identities this account already holds besides its own."),
});

const OutputSchema = z.object({
  job_id: z.string(),
  users: z.number(),
  users_without_email: z.number(),
  distinct_emails: z.number(),
  already_linked: z.number(),
  groups: z.number().describe("verified shared emails"),
  pairs: z.number().describe("links those groups take"),
  skipped: z
    .object({ unverified: z.number(), conflicting_primaries: z.number(), too_many_accounts: z.number() })
    .describe("not to link, by reason"),
  malformed_lines: z.number(),
  policy: z.array(z.string()).describe("how the primary is chosen"),
  sample: z.object({
    groups: z.array(
      z.object({
        email: z.string(),
        primary: AccountSchema,
        reason: z.string().describe("Why this account was chosen as primary."),
        secondaries: z.array(AccountSchema),
        unverified: z.array(AccountSchema).describe("Same email, unverified: never paired."),
      }),
    ),
    skipped: z.array(
      z.object({
        email: z.string(),
        reason: z.string(),
        detail: z.string(),
        accounts: z.array(AccountSchema),
      }),
    ),
  }),
});

export const findDuplicateAccounts = defineTool({
  name: "find_duplicate_accounts",
  title: "Find duplicate accounts",
  description:
    "Use to survey the tenant for duplicates (an export job: minutes if large): returns counts and sample groups with the primary to keep and why. Links nothing: preview_link pairs, or `idlink duplicates` + `idlink bulk`.",
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  annotations: { readOnlyHint: true },
  async handler({ connection_id, sample_size }, { client }) {
    {
      const report = await findTenantDuplicates(client, {
        ...(connection_id === undefined ? {} : { connectionId: connection_id }),
      });
      const structured = {
        job_id: report.jobId,
        users: report.users,
        users_without_email: report.usersWithoutEmail,
        distinct_emails: report.distinctEmails,
        already_linked: report.alreadyLinked,
        groups: report.groups.length,
        pairs: report.pairs,
        skipped: report.skippedCounts,
        malformed_lines: report.malformedLines,
        policy: [...report.policy],
        sample: {
          groups: report.groups.slice(0, sample_size).map(({ criterion: _, ...group }) => group),
          skipped: report.skipped.slice(0, sample_size),
        },
      };
      const skipped = Object.values(report.skippedCounts).reduce((a, b) => a + b, 0);
      return ok(
        structured,
        fenced`${report.users} users, ${report.groups.length} groups of verified duplicates (${report.pairs} links proposed), ${skipped} shared emails skipped (unverified ${report.skippedCounts.unverified}, conflicting primaries ${report.skippedCounts.conflicting_primaries}, too many accounts ${report.skippedCounts.too_many_accounts}).`,
      );
    }
  },
});
