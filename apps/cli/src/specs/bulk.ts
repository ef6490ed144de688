import { defineCommand } from "../command-spec.ts";
import { connection, yes } from "../options.ts";

export const bulkSpec = defineCommand({
  name: "bulk",
  description:
    "Link many pairs from a CSV (primary,secondary[,connection_id]) or JSONL file, resumably, " +
    "under the tenant's rate limit, with a journal.",
  args: [{ name: "file", required: false, description: "a .csv or .jsonl file of pairs (not with --undo)" }],
  options: {
    undo: {
      type: "string",
      value: "journal",
      description: "unlink what the run of this journal linked (its own journal: <journal>.undo.jsonl)",
    },
    journal: { type: "string", value: "file", description: "journal path (default: <file>.journal.jsonl)" },
    "trust-journal": {
      type: "boolean",
      description:
        "with --undo: accept a journal made with another user's or machine's key, or by an older idlink, unchecked",
    },
    concurrency: {
      type: "string",
      value: "n",
      description: "requests in flight at once (1-32)",
      default: "4",
    },
    format: {
      type: "string",
      value: "format",
      description: "input format (default: from the extension)",
      choices: ["csv", "jsonl"],
    },
    "skip-invalid": {
      type: "boolean",
      description: "start even when some rows are invalid, skipping them",
    },
    "dry-run": { type: "boolean", description: "validate and print the plan and counts; send nothing" },
    "merge-metadata": {
      type: "boolean",
      description:
        "before each link, copy the secondary's user_metadata keys the primary lacks onto it (Auth0 discards the secondary's)",
    },
    "no-keep-metadata": {
      type: "boolean",
      description:
        "keep no metadata in the journal (by default it keeps each secondary's, for --undo to write back)",
    },
    csv: {
      type: "string",
      value: "file",
      description: "also write each row's outcome (or, with --dry-run, its plan) to this CSV file",
    },
    yes,
    ...connection,
  },
  examples: [
    "idlink bulk pairs.csv --dry-run",
    "idlink bulk pairs.csv --yes --concurrency 8 --csv results.csv",
    "idlink bulk pairs.csv --yes   # again: resumes from pairs.csv.journal.jsonl",
    "idlink bulk --undo pairs.csv.journal.jsonl --dry-run",
  ],
});
