// @idlink/core/post-login — what a post-login Action bundles (@idlink/link-action): a client that reads users
// (`createUserReader`: the client's transport and errors without its write rules), link candidates, ids, and a
// client-secret token source (`clientSecretToken`: no Private Key JWT). A bundle of it holds no zod and no jose: an
// Action declares no dependencies and Auth0 advises at most 100 kB. `test/layout.test.ts` checks it. Every name here is public API,
// listed by `test/public-surface.test.ts`.
export { clientSecretToken } from "./auth/management-token.ts";
export { createUserReader, type User, type UserReader } from "./http/client.ts";
export { parseTenantDomain, type TenantDomain } from "./ids/domain.ts";
export { fullUserId, parseUserId, type SecondaryId } from "./ids/user-id.ts";
export { findLinkCandidates, type LinkCandidates } from "./linking/candidates.ts";
export { type AccountSummary, holdsLinked, type IdentitySummary } from "./linking/plan.ts";
export { describeError } from "./present/describe-error.ts";
export { IdlinkError, ManagementApiError, NetworkError, ValidationError } from "./present/errors.ts";
export { redactText } from "./present/redact.ts";
