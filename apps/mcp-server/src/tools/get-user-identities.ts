import { parseUserId, summarizeAccount } from "@idlink/core";
import { z } from "zod";
import { keysOf, ok, refusal } from "../results.ts";
import { IdentitySummarySchema, MetadataKeysSchema } from "../schemas.ts";
import { defineTool } from "../tool.ts";

export const getUserIdentities = defineTool({
  name: "get_user_identities",
  title: "Get a user's identities",
  description:
    "Use to check an account before and after linking. Returns its email, name, identities and metadata key names.",
  inputSchema: z.strictObject({
    user_id: z.string().describe("provider|id, e.g. auth0|64f1…"),
  }),
  outputSchema: z.object({
    user_id: z.string(),
    email: z.string().optional(),
    email_verified: z.boolean().optional(),
    name: z.string().optional(),
    identities: z.array(IdentitySummarySchema).describe("main first"),
    metadata_keys: MetadataKeysSchema,
  }),
  annotations: { readOnlyHint: true },
  async handler({ user_id }, { client }) {
    // Checked here under the argument's own name, before anything is sent.
    const id = parseUserId(user_id, "user_id");
    if (!id.ok) return refusal("Invalid input — nothing was sent", id.issues);
    const user = await client.getUser(user_id);
    const account = summarizeAccount(user, user_id);
    const out = {
      ...account,
      name: user.name,
      metadata_keys: { user_metadata: keysOf(user.user_metadata), app_metadata: keysOf(user.app_metadata) },
    };
    const email = account.email
      ? ` (${account.email}, ${account.email_verified ? "verified" : "not verified"})`
      : "";
    const ids = account.identities.map((i) => i.id).join(", ");
    return ok(out, `${account.user_id}${email} has ${account.identities.length} identities: ${ids}.`);
  },
});
