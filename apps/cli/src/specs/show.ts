import { defineCommand } from "../command-spec.ts";
import { connection } from "../options.ts";

export const showSpec = defineCommand({
  name: "show",
  description: "Show a user and its identities (identity-provider tokens redacted).",
  args: [{ name: "user", required: true, description: "the user's id" }],
  options: connection,
  examples: ["idlink show 'auth0|6600aa11bb22cc33dd44ee55'"],
});
