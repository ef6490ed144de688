import { defineCommand } from "../command-spec.ts";
import { connection } from "../options.ts";

export const duplicatesSpec = defineCommand({
  name: "duplicates",
  description:
    "Find every duplicate account in the tenant from a user export (a new export job, or --from FILE): " +
    "groups by verified email, writes a pairs file for idlink bulk and a report. Changes nothing.",
  args: [],
  options: {
    from: {
      type: "string",
      value: "file",
      description: "read a downloaded export (.json.gz, .csv.gz, or plain)",
    },
    format: {
      type: "string",
      value: "format",
      description: "format of --from (default: from the extension, else json)",
      choices: ["json", "csv"],
    },
    "connection-id": {
      type: "string",
      value: "id",
      description: "export one connection only (con_ + 16 characters)",
    },
    out: {
      type: "string",
      value: "file",
      description: "pairs file to write",
      default: "duplicate-pairs.jsonl",
    },
    report: { type: "string", value: "file", description: "report to write (default: <out>.report.json)" },
    csv: {
      type: "string",
      value: "file",
      description: "also write every group, an account a line, to this CSV file (for a spreadsheet)",
    },
    policy: {
      type: "string",
      value: "list",
      description:
        "primary choice, in order (default already_primary,database,oldest,most_logins; also latest_login)",
    },
    "max-group": {
      type: "string",
      value: "n",
      description: "skip groups of more accounts than this",
      default: "5",
    },
    "skip-malformed": {
      type: "boolean",
      description: "skip malformed lines (reported) instead of stopping",
    },
    ...connection,
  },
  examples: [
    "idlink duplicates --out pairs.jsonl",
    "idlink duplicates --from users.json.gz --policy oldest,most_logins --json",
    "idlink duplicates --from users.json.gz --csv duplicates.csv",
    "idlink bulk pairs.jsonl --dry-run",
  ],
});
