// @idlink/core/node — how a face on a server or a terminal authenticates: the credential rule, a machine-to-machine
// application's Management tokens (client secret or Private Key JWT) and tenant profiles. Every name here is public
// API, listed by `test/public-surface.test.ts`.

export { type SigningAlg, signingAlgs } from "./auth/client-assertion.ts";
export {
  type CredentialSources,
  type Credentials,
  credentialVariables,
  resolveCredentials,
} from "./auth/credentials.ts";
export {
  type ClientAuthentication,
  clientCredentialsToken,
  clientSecretToken,
  getManagementToken,
  type ManagementTokenOptions,
  tokenOptions,
} from "./auth/management-token.ts";
export {
  applyProfile,
  configFilePath,
  type Profile,
  type ProfileEnvironment,
  type ProfileRequest,
  parseTenantConfig,
  type TenantConfig,
} from "./auth/profiles.ts";
