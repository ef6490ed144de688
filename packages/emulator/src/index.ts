export { readContinueState } from "./actions/continue-state.ts";
export {
  actionTimeoutDescription,
  checkActions,
  defaultActionTimeoutMs,
  emulatorTenantName,
} from "./actions/pipeline.ts";
export type { ActionLogEntry, PostLoginAction } from "./actions/types.ts";
export { ApiError, OAuthError, SeedError } from "./errors.ts";
export {
  defaultExportFields,
  type ExportField,
  type ExportSpec,
  exportLines,
  writeExportFile,
} from "./export-file.ts";
export type { Faults } from "./faults.ts";
export {
  defaultDuplicateRate,
  EmulatorFlagError,
  type EmulatorFlags,
  type EmulatorFlagValues,
  parseActionFlags,
  parseEmulatorFlags,
  parseRateLimitFlag,
} from "./flags.ts";
export { type GeneratedTenantOptions, generatedTenant, type UserSource } from "./generate.ts";
export { defaultRateLimit, type RateLimit } from "./rate-limit.ts";
export type { ResourceServerInput } from "./resource-servers.ts";
export { userTokenScopes } from "./routes/authentication.ts";
export type { ExportJobOptions } from "./routes/jobs.ts";
export {
  adminClient,
  defaultSeed,
  type Identity,
  idlinkMcpApi,
  idlinkMcpScopes,
  parseSeed,
  type Seed,
  seedDatabaseConnectionId,
  seedSecrets,
  seedUsers,
  type User,
  withPrivateKeyJwtClient,
  withSpaOrigins,
} from "./seed.ts";
export {
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  type EmulatorState,
  type MintTokenOptions,
  type RequestRecord,
} from "./server.ts";
export { TenantConfigError, type TenantSettings } from "./tenant-settings.ts";
