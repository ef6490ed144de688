import { findLinkCandidates } from "@idlink/core";
import { z } from "zod";
import { ok } from "../results.ts";
import { AccountSummarySchema } from "../schemas.ts";
import { defineTool } from "../tool.ts";

export const findLinkCandidatesTool = defineTool({
  name: "find_link_candidates",
  title: "Find accounts to link",
  description:
    "Use to find accounts that may be the same person's as a user id or an email. Returns the suggested primary, the candidates sharing its verified email, and unverified matches (never to link). A shared email is no proof: ask the user, then preview_link.",
  inputSchema: z.strictObject({
    user: z.string().describe("A user id (provider|id) or an email address (exact, case-sensitive)."),
  }),
  outputSchema: z.object({
    email: z.string(),
    primary: AccountSummarySchema.optional().describe("The given user, or the oldest verified account."),
    candidates: z.array(AccountSummarySchema).describe("Same verified email: secondaries to suggest."),
    unverified: z
      .array(z.object({ account: AccountSummarySchema, reason: z.string() }))
      .describe("Same email, not verified: never link."),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler({ user }, { client }) {
    const found = await findLinkCandidates(client, user);
    const head = found.primary
      ? `Primary ${found.primary.user_id} (${found.email})`
      : `No verified account for ${found.email}`;
    const candidates =
      found.candidates.length === 0
        ? "no verified candidates"
        : `candidates: ${found.candidates.map((c) => c.user_id).join(", ")}`;
    const unverified =
      found.unverified.length === 0
        ? ""
        : `; ${found.unverified.length} unverified match(es) not suggested: ${found.unverified.map((u) => u.account.user_id).join(", ")}`;
    return ok({ ...found }, `${head}; ${candidates}${unverified}.`);
  },
});
