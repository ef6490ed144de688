// @idlink/core/browser — what a web page needs to link accounts with a user's own tokens: the workflow and the
// client, the rules that check what a person types, plans, descriptions and request snippets. No Node built-ins, no
// key signing, no tenant profiles (machine-to-machine tokens stay on a server: `@idlink/core/node`); a test builds
// this entry for the browser and checks it. Every name here is public API, listed by `test/public-surface.test.ts`.

export { preflightLink } from "./auth/tokens.ts";
export { createManagementClient, type ManagementClient } from "./http/client.ts";
export { parseTenantDomain, type TenantDomain } from "./ids/domain.ts";
export { type LinkBody, parseLinkRequest } from "./ids/rules.ts";
export { type Provider, parseUserId, providers } from "./ids/user-id.ts";
export {
  type AccountSummary,
  type IdentitySummary,
  type LinkPlan,
  type PlanOptions,
  summarizeIdentity,
  type UnlinkPlan,
} from "./linking/plan.ts";
export {
  executeLink,
  executeUnlink,
  type LinkOutcome,
  previewLink,
  previewUnlink,
} from "./linking/workflow.ts";
export { describeError, type ErrorDescription } from "./present/describe-error.ts";
export {
  BlockedPlanError,
  IdlinkError,
  type Issue,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  type Parsed,
  ValidationError,
} from "./present/errors.ts";
export {
  describeRequest,
  linkPath,
  type PreviewRequest,
  pathTemplate,
  toCurl,
  toFetch,
} from "./present/request-snippets.ts";
