import type { OptionSpec } from "./command-spec.ts";

/** Option rows several commands share. */
export const yes = {
  type: "boolean",
  short: "y",
  description: "do not ask for confirmation (required when not on a terminal)",
} as const satisfies OptionSpec;

export const printCurl = {
  type: "boolean",
  description: "print the equivalent curl request (token as $AUTH0_TOKEN) and send nothing",
} as const satisfies OptionSpec;

export const json = {
  type: "boolean",
  description: "print one JSON document on stdout",
} as const satisfies OptionSpec;

/** The options of every command that talks to a tenant. */
export const connection = {
  domain: {
    type: "string",
    value: "domain",
    description: "tenant domain, e.g. your-tenant.eu.auth0.com (default: $AUTH0_DOMAIN)",
  },
  "token-file": { type: "string", value: "file", description: "read the Management API token from a file" },
  "token-stdin": { type: "boolean", description: "read the Management API token from stdin" },
  debug: {
    type: "boolean",
    description: "each request, answer and retry on stderr (redacted)",
  },
  json,
} as const satisfies Record<string, OptionSpec>;
