// Stands in for core's profiles.ts in the page (see vite.config.ts): tenant profiles are read from a config file on
// the machine of whoever runs the CLI or the MCP server; a browser never has one. Throws if it were ever called.
export type {
  Profile,
  ProfileEnvironment,
  ProfileRequest,
  TenantConfig,
} from "../../../../packages/core/src/profiles.ts";

function notInThePage(): never {
  throw new Error(
    "Tenant profiles are read from a config file by the CLI or the MCP server, never by the page.",
  );
}

export const applyProfile = notInThePage;
export const configFilePath = notInThePage;
export const parseTenantConfig = notInThePage;
export const ProfileSchema = undefined;
