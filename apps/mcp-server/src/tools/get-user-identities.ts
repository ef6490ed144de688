import { parseUserId, readAccount, summarizeAccount } from "@idlink/core";
import { z } from "zod";
import { fenced, own } from "../fence.ts";
import { invalidArguments, keysOf, ok } from "../results.ts";
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
    if (!id.ok) return invalidArguments("get_user_identities", id.issues);
    // An identity linked into another user is no user of its own: the 404 then names the user holding it.
    const user = await readAccount(client, user_id, "user");
    const account = summarizeAccount(user, user_id);
    const out = {
      ...account,
      name: user.name,
      metadata_keys: { user_metadata: keysOf(user.user_metadata), app_metadata: keysOf(user.app_metadata) },
    };
    const name = user.name === undefined ? own("") : fenced`, named ${user.name}`;
    const email = account.email
      ? fenced` (${account.email}, ${own(account.email_verified ? "verified" : "not verified")})`
      : own("");
    const ids = account.identities.map((i) => i.id);
    const keys = out.metadata_keys;
    const metadata =
      keys.user_metadata.length + keys.app_metadata.length === 0
        ? own("")
        : fenced` Metadata keys: user_metadata ${keys.user_metadata.length > 0 ? keys.user_metadata : own("none")}; app_metadata ${keys.app_metadata.length > 0 ? keys.app_metadata : own("none")}.`;
    return ok(
      out,
      fenced`${account.user_id}${email}${name} has ${account.identities.length} identities: ${ids}.${metadata}`,
    );
  },
});
