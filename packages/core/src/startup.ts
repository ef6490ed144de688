// What a face needs before it does any work — reading credentials and the tenant's domain from the environment,
// idlink's errors, redaction — without zod or openapi-fetch (jose comes with the credential rule, which checks a
// private key when one is given; tenant profiles, which parse a config file with zod, are in the main entry). An app that must start at once (idlink-mcp lists
// its tools before loading the rest) imports these from `@idlink/core/startup`: a bundler that splits code puts
// everything `@idlink/core` re-exports into the start-up path, side effects included.
export { type Credentials, resolveCredentials } from "./credentials.ts";
export { type DebugEvent, type DebugSink, formatDebugEvent } from "./debug.ts";
export { parseTenantDomain } from "./domain.ts";
export { IdlinkError, type Issue, ValidationError } from "./errors.ts";
export { redact, redactText } from "./redact.ts";
