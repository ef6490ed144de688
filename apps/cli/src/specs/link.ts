import { defineCommand } from "../command-spec.ts";
import { connection, printCurl, yes } from "../options.ts";

export const linkSpec = defineCommand({
  name: "link",
  description:
    "Link a secondary account into a primary. Validates, checks the token, shows the plan, asks, then links.",
  args: [
    { name: "primary", required: true, description: "the primary user's id, e.g. auth0|64f1…" },
    {
      name: "secondary",
      required: false,
      description: "the secondary's full id, e.g. google-oauth2|108… or samlp|conn|abc",
    },
  ],
  options: {
    provider: {
      type: "string",
      value: "provider",
      description: "the secondary's provider (with --user-id), instead of a full id",
    },
    "user-id": {
      type: "string",
      value: "id",
      description: "the secondary's user_id: the part after the first |",
    },
    "connection-id": {
      type: "string",
      value: "id",
      description: "the secondary's connection (con_ + 16 characters), when needed",
    },
    "link-with": {
      type: "string",
      value: "dash",
      description: "'-': read the secondary's ID token from stdin (token variant)",
    },
    "link-with-file": {
      type: "string",
      value: "file",
      description: "read the secondary's ID token from a file (token variant)",
    },
    "merge-metadata": {
      type: "boolean",
      description: "copy the secondary's user_metadata keys the primary lacks before linking",
    },
    "dry-run": { type: "boolean", description: "stop after the plan; change nothing" },
    "print-curl": printCurl,
    yes,
    ...connection,
  },
  examples: [
    "idlink link 'auth0|64f1a2b3c4d5e6f708192a3b' 'google-oauth2|108234567890123456789' --dry-run",
    "idlink link 'auth0|64f1…' --provider github --user-id 5812345 --yes --json",
    "idlink link 'auth0|64f1…' --link-with - < secondary-id-token.txt",
  ],
});
