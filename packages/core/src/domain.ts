import { type Parsed, ValidationError } from "./errors.ts";
import { isQuoted } from "./pasted.ts";
import { truncate } from "./user-id.ts";

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Parses a tenant from what people type — `tenant.auth0.com`, `https://tenant.auth0.com/`, or a loopback
 * `http://127.0.0.1:PORT` for the emulator — into its origin. Refuses what would otherwise be dropped silently or
 * sent in clear: a path, a query, a fragment, a user or password, plain http to anything but loopback.
 */
export function parseTenantDomain(domain: unknown, field = "domain"): Parsed<string> {
  const fail = (message: string): Parsed<string> => ({ ok: false, issues: [{ path: field, message }] });
  if (typeof domain !== "string" || domain.trim() === "") {
    return fail(`${field} must not be empty — e.g. your-tenant.eu.auth0.com`);
  }
  const trimmed = domain.trim();
  if (isQuoted(trimmed)) return fail(`${field} is wrapped in quotes — give the host without them`);
  const shown = truncate(trimmed, 60);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return fail(`${field} "${shown}" is not a host name — e.g. your-tenant.eu.auth0.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail(`${field} must be an https host name, e.g. your-tenant.eu.auth0.com: ${shown}`);
  }
  // The dashboard's address (manage.auth0.com/dashboard/{region}/{tenant}/…) is what a browser's bar shows.
  if (url.hostname === "manage.auth0.com") {
    const [, region, tenant] = /^\/dashboard\/([a-z]+)\/([\w-]+)/i.exec(url.pathname) ?? [];
    const example = tenant ? `, e.g. ${tenant}.${region}.auth0.com` : "";
    return fail(
      `${field} is the Auth0 dashboard's address — give the tenant's domain${example} (Dashboard → Settings → Domain)`,
    );
  }
  if (url.protocol === "http:" && !loopbackHosts.has(url.hostname)) {
    return fail(`${field} must use https (plain http is only for the local emulator on 127.0.0.1): ${shown}`);
  }
  if (url.username !== "" || url.password !== "" || trimmed.includes("@")) {
    return fail(`${field} must not carry a user or password — give the host only: ${url.host}`);
  }
  const extra = [
    url.pathname !== "/" ? "a path" : "",
    url.search !== "" || trimmed.includes("?") ? "a query" : "",
    url.hash !== "" || trimmed.includes("#") ? "a fragment" : "",
  ].filter(Boolean);
  if (extra.length > 0) {
    return fail(
      `${field} has ${extra.join(" and ")}, which idlink would ignore — give the host only: ${url.host}`,
    );
  }
  return { ok: true, value: url.origin };
}

/** The origin of a tenant (see `parseTenantDomain`); throws a ValidationError naming `domain`. */
export function tenantOrigin(domain: string): string {
  const parsed = parseTenantDomain(domain);
  if (!parsed.ok) throw new ValidationError(parsed.issues, "domain");
  return parsed.value;
}

/** The Management API audience of a tenant: `https://tenant/api/v2/`. */
export function managementAudience(domain: string): string {
  return `${tenantOrigin(domain)}/api/v2/`;
}
