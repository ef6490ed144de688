// @idlink/core/actions — deploying idlink's post-login Action through the Management API: plan and carry out a
// deploy (create or update, wait for the build, deploy, bind keeping every other binding), read its status, roll it
// back, remove it; the token's scopes checked before anything is sent. Every name here is public API, listed by
// `test/public-surface.test.ts`.

export {
  type BindingPosition,
  type BindingSummary,
  type BindingWrite,
  describePosition,
  parseBindingPosition,
} from "./actions/bindings.ts";
export type { ActionProgress, WaitOptions } from "./actions/build.ts";
export {
  type ActionDeployOptions,
  type ActionDeployOutcome,
  type ActionDeployPlan,
  describeDeployPlan,
  type ExecuteDeployOptions,
  executeActionDeploy,
  planActionDeploy,
} from "./actions/deploy.ts";
export { ActionDeployError, type ActionStep } from "./actions/errors.ts";
export { type CodeMarker, markCode, readMarker, shortHash } from "./actions/marker.ts";
export { type ActionCommand, actionScopes, preflightActions } from "./actions/preflight.ts";
export {
  type ActionRemoveOutcome,
  type ActionRemovePlan,
  executeActionRemove,
  planActionRemove,
} from "./actions/remove.ts";
export {
  type ActionDeployInput,
  type ActionDeployRequest,
  advisedCodeBytes,
  linkActionDefaults,
  parseActionDeployInput,
  type SecretDeclaration,
  type SecretSourceHint,
  type TriggerRef,
} from "./actions/request.ts";
export {
  type ActionRollbackOutcome,
  type ActionRollbackPlan,
  executeActionRollback,
  planActionRollback,
  type VersionSummary,
} from "./actions/rollback.ts";
export { type ActionStatus, readActionStatus } from "./actions/status.ts";
