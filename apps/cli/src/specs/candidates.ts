import { defineCommand } from "../command-spec.ts";
import { connection } from "../options.ts";

export const candidatesSpec = defineCommand({
  name: "candidates",
  description:
    "Suggest accounts to link: users sharing a verified email, each with its idlink link command. " +
    "Unverified matches are listed apart, never suggested.",
  args: [{ name: "email-or-user", required: true, description: "an email address or a user id" }],
  options: connection,
  examples: [
    "idlink candidates alice.martin@example.com",
    "idlink candidates 'auth0|64f1a2b3c4d5e6f708192a3b'",
  ],
});
