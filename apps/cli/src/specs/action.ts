import { defineCommand } from "../command-spec.ts";
import { connection, yes } from "../options.ts";

/** The steps of `idlink action`, each a handler of its own (commands/action-<step>.ts). */
export const actionSteps = ["deploy", "status", "rollback", "remove"] as const;

export const actionSpec = defineCommand({
  name: "action",
  description:
    "Deploy idlink's post-login Action to the tenant (deploy), read what runs (status), go back a version (rollback), or take it out (remove).",
  args: [{ name: "step", required: true, description: "deploy | status | rollback | remove" }],
  options: {
    code: {
      type: "string",
      value: "file",
      description: "the Action's built JavaScript (default: the @idlink/link-action build idlink carries)",
    },
    secrets: {
      type: "string",
      value: "file",
      description:
        "the Action's secrets, a .env-style or JSON file only you may read (chmod 600); or IDLINK_ACTION_SECRET_<NAME> variables",
    },
    name: {
      type: "string",
      value: "name",
      description: "the Action's name on the tenant (default: idlink-account-linking)",
    },
    position: {
      type: "string",
      value: "where",
      description:
        "deploy: where idlink's binding goes in post-login: first, last, a number, before:NAME or after:NAME (default: where it is, or last)",
    },
    "update-secrets": {
      type: "boolean",
      description: "deploy: send the secrets' values again (a new version) even when nothing else changed",
    },
    "to-version": {
      type: "string",
      value: "n",
      description:
        "rollback: the version number to go back to (default: the one before the version that runs)",
    },
    timeout: {
      type: "string",
      value: "seconds",
      description: "how long to wait for Auth0's build and deploy before giving up (default: 120)",
    },
    "dry-run": {
      type: "boolean",
      description: "say what would be created or updated and the bindings before and after; change nothing",
    },
    yes,
    ...connection,
  },
  examples: [
    "idlink action deploy --secrets action.env --dry-run",
    "idlink action deploy --secrets action.env --position first --yes",
    "idlink action status --json",
    "idlink action rollback --yes",
    "idlink action remove --dry-run",
  ],
});
