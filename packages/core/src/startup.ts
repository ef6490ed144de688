// @idlink/core/startup — what a face needs before it does any work: the credential rule, the tenant's domain, the
// debug trail's format, idlink's errors and redaction; without zod or openapi-fetch (jose comes with the credential
// rule, which checks a private key when one is given). An app that must start at once (idlink-mcp lists its tools
// before loading the rest) imports these from here: a bundler that splits code puts everything another entry
// re-exports into the start-up path, side effects included. Every name here is public API, listed by
// `test/public-surface.test.ts`.
export { type Credentials, resolveCredentials } from "./auth/credentials.ts";
export { type DebugEvent, type DebugSink, formatDebugEvent } from "./http/debug.ts";
export { parseTenantDomain, type TenantDomain } from "./ids/domain.ts";
export { IdlinkError, type Issue, ValidationError } from "./present/errors.ts";
export { redact, redactText } from "./present/redact.ts";
export { echo } from "./present/text.ts";
