export {
  type LinkArguments,
  type LinkTarget,
  parseLinkArguments,
  parseUnlinkArguments,
  type UnlinkArguments,
  type UnlinkTarget,
} from "./arguments.ts";
export { importSigningKey, type SigningKey, signClientAssertion } from "./assertion-signing.ts";
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
export {
  checkSigningKeyPem,
  clientAssertionType,
  parseSigningAlg,
  type SigningAlg,
  signingAlgs,
} from "./client-assertion.ts";
export {
  type CredentialSources,
  type Credentials,
  credentialVariables,
  resolveCredentials,
} from "./credentials.ts";
export { type DebugCall, type DebugEvent, type DebugSink, formatDebugEvent } from "./debug.ts";
export { describeError, type ErrorDescription } from "./describe-error.ts";
export { managementAudience, parseTenantDomain, tenantOrigin } from "./domain.ts";
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
  BlockedPlanError,
  IdlinkError,
  type Issue,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  type Parsed,
  type RateLimitState,
  type Subject,
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
  type ClientAuthentication,
  getManagementToken,
  type ManagementTokenOptions,
} from "./management-token.ts";
export {
  type AccountSummary,
  checkLink,
  defaultEmailVerification,
  type EmailVerificationPolicy,
  holdsLinked,
  type IdentitySummary,
  type LinkCheck,
  type LinkPlan,
  mergeMetadata,
  type PlanOptions,
  planLink,
  planUnlink,
  summarizeAccount,
  summarizeIdentity,
  type UnlinkPlan,
} from "./plan.ts";
export {
  applyProfile,
  configFilePath,
  type Profile,
  type ProfileEnvironment,
  type ProfileRequest,
  ProfileSchema,
  parseTenantConfig,
  type TenantConfig,
} from "./profiles.ts";
export { abortableSleep, readRateLimit } from "./rate-limit-headers.ts";
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
  type LinkRequest,
  LinkRequestSchema,
  type LinkUserIdentityRequestContent,
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
export { type CallerToken, type PreflightResult, preflightLink, preflightUnlink } from "./tokens.ts";
export { type FetchLike, type RetryOptions, retryDelay } from "./transport.ts";
export {
  checkIdText,
  checkNotSelfLink,
  checkUserId,
  fullUserId,
  isProvider,
  maxIdLength,
  type Provider,
  parseUserId,
  providers,
  requireUserId,
  type SecondaryId,
  truncate,
} from "./user-id.ts";
export {
  ensureLinked,
  executeLink,
  executeUnlink,
  type LinkOutcome,
  prepareLink,
  prepareUnlink,
  previewLink,
  previewUnlink,
} from "./workflow.ts";
