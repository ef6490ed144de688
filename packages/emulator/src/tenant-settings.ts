/**
 * The tenant settings the emulator models, named as in Auth0's `PATCH /api/v2/tenants/settings` body (node-auth0
 * src/management/api/types/types.ts @ 74170bb: `flags.enable_dynamic_client_registration`,
 * `resource_parameter_profile`, `client_id_metadata_document_supported`).
 */
export interface TenantSettings {
  flags?: {
    /** Open Dynamic Client Registration at `POST /oidc/register`; off by default, as on Auth0. */
    enable_dynamic_client_registration?: boolean;
  };
  /**
   * `compatibility` (the default of new tenants, auth0/docs-v2 main/docs/get-started/tenant-settings.mdx): `/authorize`
   * and `/oauth/token` take RFC 8707's `resource` as the API when there is no `audience`. `audience`: `resource` is
   * ignored.
   */
  resource_parameter_profile?: "audience" | "compatibility";
  /** Advertises `client_id_metadata_document_supported` in the discovery documents; off by default, as on Auth0. */
  client_id_metadata_document_supported?: boolean;
}

export interface ResolvedTenantSettings {
  dynamicClientRegistration: boolean;
  resourceParameterProfile: "audience" | "compatibility";
  clientIdMetadataDocuments: boolean;
}

export function resolveTenantSettings(
  settings: TenantSettings = {},
  base: ResolvedTenantSettings = {
    dynamicClientRegistration: false,
    resourceParameterProfile: "compatibility",
    clientIdMetadataDocuments: false,
  },
): ResolvedTenantSettings {
  return {
    dynamicClientRegistration:
      settings.flags?.enable_dynamic_client_registration ?? base.dynamicClientRegistration,
    resourceParameterProfile: settings.resource_parameter_profile ?? base.resourceParameterProfile,
    clientIdMetadataDocuments:
      settings.client_id_metadata_document_supported ?? base.clientIdMetadataDocuments,
  };
}

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * The API a request asks for: `audience` first, else (with the compatibility profile) `resource` — "If both the
 * `resource` and `audience` are available, the `audience` will still be used" (auth0/docs-v2
 * auth4genai/mcp/guides/resource-param-compatibility-profile.mdx).
 */
export function requestedAudience(
  params: { audience?: unknown; resource?: unknown },
  settings: ResolvedTenantSettings,
): string | undefined {
  const audience = nonEmpty(params.audience);
  if (audience !== undefined || settings.resourceParameterProfile === "audience") return audience;
  return nonEmpty(params.resource);
}

/**
 * Configuration a running emulator cannot take (an API, a client metadata document): the message names the field
 * and what to give instead.
 */
export class TenantConfigError extends Error {
  override name = "TenantConfigError" as const;
}
