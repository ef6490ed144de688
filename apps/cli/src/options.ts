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
  tenant: {
    type: "string",
    value: "profile",
    description: "a profile of the config file (default: $IDLINK_TENANT, or the file's default)",
  },
  audience: {
    type: "string",
    value: "url",
    description: "Management API audience, when --domain is a custom domain (default: $AUTH0_AUDIENCE)",
  },
  "private-key-file": {
    type: "string",
    value: "file",
    description: "sign in with Private Key JWT: the application's PEM private key (with AUTH0_CLIENT_ID)",
  },
  "allow-insecure-key-file": {
    type: "boolean",
    description: "use a --private-key-file others may read (refused otherwise, as ssh does), with a warning",
  },
  debug: {
    type: "boolean",
    description: "each request, answer and retry on stderr (redacted)",
  },
  json,
} as const satisfies Record<string, OptionSpec>;
