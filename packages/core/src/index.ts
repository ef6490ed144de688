export { findLinkCandidates, type LinkCandidates, UNVERIFIED_EMAIL_WARNING } from "./candidates.ts";
export {
  createManagementClient,
  type ExportUsersJob,
  type ExportUsersRequest,
  type Job,
  type ManagementClient,
  type ManagementClientOptions,
  type Metadata,
  type User,
  type UserIdentity,
  type UserIdentitySchema,
} from "./client.ts";
export { describeError, type ErrorDescription } from "./describe-error.ts";
export { managementAudience, tenantOrigin } from "./domain.ts";
export {
  choosePrimary,
  DuplicateFinder,
  type DuplicateGroup,
  type DuplicateOptions,
  type DuplicateReport,
  defaultPrimaryPolicy,
  type GroupAccount,
  normalizeEmail,
  type PrimaryCandidate,
  type PrimaryCriterion,
  pairsJsonl,
  primaryCriteria,
  type SkippedGroup,
  type SkipReason,
} from "./duplicates.ts";
export {
  type Issue,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  type RateLimitState,
  ValidationError,
} from "./errors.ts";
export { ExportError } from "./export-errors.ts";
export { downloadExport, type RunExportOptions, runUsersExport } from "./export-job.ts";
export {
  type ExportedUser,
  gunzip,
  type MalformedLine,
  type ReadExportOptions,
  readUserExport,
} from "./export-reader.ts";
export { userIdentityProviderEnumValues } from "./generated/management-api.ts";
export {
  type AccountSummary,
  type IdentitySummary,
  type LinkPlan,
  mergeMetadata,
  planLink,
  planUnlink,
  summarizeAccount,
  summarizeIdentity,
  type UnlinkPlan,
} from "./plan.ts";
export { REDACTED, redact, redactText } from "./redact.ts";
export {
  describeRequest,
  linkPath,
  type PreviewRequest,
  pathTemplate,
  toCurl,
  toFetch,
  unlinkPath,
} from "./request-snippets.ts";
export {
  type IdentityLinkRequest,
  IdentityLinkRequestSchema,
  type LinkArguments,
  type LinkRequest,
  LinkRequestSchema,
  type LinkUserIdentityRequestContent,
  linkRequestFrom,
  type ParseLinkRequestResult,
  parseLinkRequest,
  type TokenLinkRequest,
  TokenLinkRequestSchema,
} from "./rules.ts";
export {
  duplicateExportFields,
  findTenantDuplicates,
  type TenantDuplicatesOptions,
} from "./tenant-duplicates.ts";
export {
  type CallerToken,
  getManagementToken,
  type ManagementTokenOptions,
  type PreflightResult,
  preflightLink,
} from "./tokens.ts";
export { type FetchLike, type RetryOptions, readRateLimit, retryDelay } from "./transport.ts";
export {
  checkNotSelfLink,
  checkUserId,
  fullUserId,
  isProvider,
  type Provider,
  parseUserId,
  providers,
  type SecondaryId,
} from "./user-id.ts";
