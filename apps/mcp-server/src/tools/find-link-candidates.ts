import { findLinkCandidates } from "@idlink/core";
import { z } from "zod";
import { fenced, own } from "../fence.ts";
import { ok } from "../results.ts";
import { AccountSummarySchema } from "../schemas.ts";
import { defineTool } from "../tool.ts";

export const findLinkCandidatesTool = defineTool({
  name: "find_link_candidates",
  title: "Find accounts to link",
  description:
    "Use to find accounts that may be one person's, by user id or email: returns a primary, candidates sharing its verified email, unverified matches. A shared email is no proof: ask the user.",
  inputSchema: z.strictObject({
    user: z.string().describe("provider|id, or an exact (case-sensitive) email"),
  }),
  outputSchema: z.object({
    email: z.string(),
    primary: AccountSummarySchema.optional().describe("given, or oldest verified"),
    candidates: z.array(AccountSummarySchema).describe("secondaries to suggest"),
    unverified: z
      .array(z.object({ account: AccountSummarySchema, reason: z.string() }))
      .describe("never link"),
  }),
  annotations: { readOnlyHint: true },
  async handler({ user }, { client }) {
    const found = await findLinkCandidates(client, user);
    const head = found.primary
      ? fenced`Primary ${found.primary.user_id} (${found.email})`
      : fenced`No verified account for ${found.email}`;
    const candidates =
      found.candidates.length === 0
        ? own("no verified candidates")
        : fenced`candidates: ${found.candidates.map((c) => c.user_id)}`;
    const unverified =
      found.unverified.length === 0
        ? own("")
        : fenced`; ${found.unverified.length} unverified match(es) not suggested: ${found.unverified.map((u) => u.account.user_id)}`;
    return ok({ ...found }, fenced`${head}; ${candidates}${unverified}.`);
  },
});
