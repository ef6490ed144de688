import { findLinkCandidates } from "@idlink/core";
import { z } from "zod";
import { ok } from "../results.ts";
import { AccountSummarySchema } from "../schemas.ts";
import { defineTool } from "../tool.ts";

export const findLinkCandidatesTool = defineTool({
  name: "find_link_candidates",
  title: "Find accounts to link",
  description:
    "Finds Auth0 accounts that share a verified email with a user or an email address: candidates for linking into one primary. Matches whose email is not verified are listed apart with the reason and are never suggested. A shared email is not proof of one owner: confirm with the user, then call preview_link.",
  inputSchema: z.strictObject({
    user: z
      .string()
      .describe(
        "A full user id (auth0|64f1…) to find accounts sharing its email, or an email address (exact, case-sensitive).",
      ),
  }),
  outputSchema: z.object({
    email: z.string(),
    primary: AccountSummarySchema.optional().describe(
      "The given user, or for an email the oldest verified account: the suggested primary.",
    ),
    candidates: z
      .array(AccountSummarySchema)
      .describe("Accounts with the same verified email: suggested secondaries of primary."),
    unverified: z
      .array(z.object({ account: AccountSummarySchema, reason: z.string() }))
      .describe("Accounts with the same email that must not be linked on email alone, with the reason."),
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
