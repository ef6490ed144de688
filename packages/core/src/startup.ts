// What a face needs before it does any work — reading credentials and the tenant's domain from the environment,
// idlink's errors, redaction — without zod, jose or openapi-fetch. An app that must start at once (idlink-mcp lists
// its tools before loading the rest) imports these from `@idlink/core/startup`: a bundler that splits code puts
// everything `@idlink/core` re-exports into the start-up path, side effects included.
export { type CredentialSources, type Credentials, credentialsFromEnv } from "./credentials.ts";
export { parseTenantDomain } from "./domain.ts";
export { IdlinkError, type Issue, ValidationError } from "./errors.ts";
export { redact, redactText } from "./redact.ts";
