export { ApiError, OAuthError, SeedError } from "./errors.ts";
export type { Faults } from "./faults.ts";
export { defaultRateLimit, type RateLimit } from "./rate-limit.ts";
export { userTokenScopes } from "./routes/authentication.ts";
export {
  adminClient,
  defaultSeed,
  type Identity,
  parseSeed,
  type Seed,
  seedDatabaseConnectionId,
  seedSecrets,
  seedUsers,
  type User,
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
