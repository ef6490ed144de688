import { defineCommand } from "../command-spec.ts";
import { connection, printCurl, yes } from "../options.ts";

export const unlinkSpec = defineCommand({
  name: "unlink",
  description: "Unlink a secondary identity from a primary; Auth0 recreates it as a user without metadata.",
  args: [
    { name: "primary", required: true, description: "the primary user's id" },
    {
      name: "secondary",
      required: false,
      description: "the linked identity's full id, e.g. google-oauth2|108…",
    },
  ],
  options: {
    provider: {
      type: "string",
      value: "provider",
      description: "the identity's provider (with --user-id), instead of a full id",
    },
    "user-id": { type: "string", value: "id", description: "the identity's user_id" },
    "dry-run": { type: "boolean", description: "show what would happen; change nothing" },
    "print-curl": printCurl,
    yes,
    ...connection,
  },
  examples: ["idlink unlink 'auth0|6600aa11bb22cc33dd44ee55' 'github|7700123' --yes"],
});
