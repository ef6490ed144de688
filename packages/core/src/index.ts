// @idlink/core — the workflow every face runs, the client it runs on, and idlink's errors. Every name exported here
// is public API, and `test/public-surface.test.ts` keeps the list: a name added or removed is a visible change.
// Other doors: `@idlink/core/browser` (what a page needs), `@idlink/core/node` (credentials, machine-to-machine
// tokens, tenant profiles), `@idlink/core/export` (user exports and tenant-wide duplicates), `@idlink/core/startup`
// (what a face needs before it loads the rest). Helpers the modules share (`checkIdText`, `retryDelay`,
// `abortableSleep`, …) stay private: a face that needs one is missing a function here.

export { type CallerToken, type PreflightResult, preflightLink, preflightUnlink } from "./auth/tokens.ts";
// The client.
export {
  type ApiClient,
  type ApiResult,
  createManagementClient,
  type ManagementClient,
  type ManagementClientOptions,
  type Metadata,
  type Operation,
  type TokenContext,
  type User,
  type UserIdentity,
  type UserIdentitySchema,
  type UserPage,
} from "./http/client.ts";
export { type DebugCall, type DebugEvent, type DebugSink, formatDebugEvent } from "./http/debug.ts";
export type { FetchLike } from "./http/fetch-like.ts";
export type { RetryOptions } from "./http/transport.ts";
// What faces read from people, as typed values the client takes as they are.
export {
  type LinkArguments,
  type LinkTarget,
  parseLinkArguments,
  parseUnlinkArguments,
  type UnlinkArguments,
  type UnlinkTarget,
} from "./ids/arguments.ts";
export { parseTenantDomain, type TenantDomain } from "./ids/domain.ts";
export {
  type IdentityLinkRequest,
  type LinkBody,
  type LinkRequest,
  type LinkUserIdentityRequestContent,
  parseLinkRequest,
  type TokenLinkRequest,
} from "./ids/rules.ts";
export { identityQuery, searchPhrase, type UserSearch } from "./ids/search.ts";
export {
  fullUserId,
  maxIdLength,
  type Provider,
  parseUserId,
  providers,
  type SecondaryId,
} from "./ids/user-id.ts";
export { findLinkCandidates, type LinkCandidates } from "./linking/candidates.ts";
export { findOwner, holdsIdentity } from "./linking/owner.ts";
export {
  type AccountSummary,
  checkLink,
  type EmailVerificationPolicy,
  holdsLinked,
  type IdentitySummary,
  type LinkCheck,
  type LinkPlan,
  mergeMetadata,
  type PlanOptions,
  planLink,
  planUnlink,
  readAccount,
  summarizeAccount,
  summarizeIdentity,
  type UnlinkPlan,
} from "./linking/plan.ts";
// The workflow: prepare (parse, preflight) → plan (read, say what changes) → execute (send, settle an unknown outcome).
export {
  ensureLinked,
  executeLink,
  executeUnlink,
  type LinkOutcome,
  prepareLink,
  prepareUnlink,
  previewLink,
  previewUnlink,
} from "./linking/workflow.ts";
export { describeError, type ErrorDescription } from "./present/describe-error.ts";
// Errors, and what a person or a model is shown.
export {
  BlockedPlanError,
  type IdentityOwner,
  IdlinkError,
  type Issue,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  type Parsed,
  type RateLimitState,
  type Subject,
  ValidationError,
} from "./present/errors.ts";
export { redact, redactText } from "./present/redact.ts";
export {
  describeRequest,
  linkPath,
  type PreviewRequest,
  pathTemplate,
  toCurl,
  toFetch,
  unlinkPath,
} from "./present/request-snippets.ts";
export { echo } from "./present/text.ts";
