// @idlink/core/post-login — what a post-login Action bundles (@idlink/link-action): a client that reads users,
// link candidates, ids, and a client-secret token source. No zod and no jose in its static graph (an Action declares
// no dependencies and Auth0 advises keeping it small): an unparsed write's rules and Private Key JWT signing load
// only when called, and an Action calls neither. `test/layout.test.ts` checks it. Every name here is public API,
// listed by `test/public-surface.test.ts`.
export { clientCredentialsToken } from "./auth/management-token.ts";
export { createManagementClient, type ManagementClient, type User } from "./http/client.ts";
export { parseTenantDomain, type TenantDomain } from "./ids/domain.ts";
export { fullUserId, parseUserId, type SecondaryId } from "./ids/user-id.ts";
export { findLinkCandidates, type LinkCandidates } from "./linking/candidates.ts";
export { type AccountSummary, holdsLinked, type IdentitySummary } from "./linking/plan.ts";
export { describeError } from "./present/describe-error.ts";
export { IdlinkError, ManagementApiError, NetworkError, ValidationError } from "./present/errors.ts";
export { redactText } from "./present/redact.ts";
