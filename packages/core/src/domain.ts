const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The origin of a tenant from what people type: `tenant.auth0.com`, `https://tenant.auth0.com/`, or a loopback
 * `http://127.0.0.1:PORT` for the emulator. Plain http is refused for any other host: tokens would travel in clear.
 */
export function tenantOrigin(domain: string): string {
  const trimmed = domain.trim();
  if (trimmed === "") throw new TypeError("domain must not be empty — e.g. your-tenant.eu.auth0.com");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TypeError(`domain "${trimmed}" is not a host name — e.g. your-tenant.eu.auth0.com`);
  }
  if (url.protocol === "http:" && !loopbackHosts.has(url.hostname)) {
    throw new TypeError(
      `domain must use https (plain http is only for the local emulator on 127.0.0.1): ${trimmed}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`domain must be an https host name, e.g. your-tenant.eu.auth0.com: ${trimmed}`);
  }
  return url.origin;
}

/** The Management API audience of a tenant: `https://tenant/api/v2/`. */
export function managementAudience(domain: string): string {
  return `${tenantOrigin(domain)}/api/v2/`;
}
