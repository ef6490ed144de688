import { type Parsed, ValidationError } from "../present/errors.ts";
import { isQuoted, truncate } from "../present/text.ts";

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * A tenant as `parseTenantDomain` read it: the client and the token request take it as it is, without parsing the
 * domain again.
 */
export interface TenantDomain {
  /** `https://tenant.eu.auth0.com`, or the emulator's `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** The Management API's default audience, `{origin}/api/v2/` (a custom domain's tenant sets its own). */
  readonly managementAudience: string;
}

// The tenants parseTenantDomain made: an object of the same shape from elsewhere is not trusted (see below).
const parsedTenants = new WeakSet<TenantDomain>();

/**
 * Parses a tenant from what people type — `tenant.auth0.com`, `https://tenant.auth0.com/`, or a loopback
 * `http://127.0.0.1:PORT` for the emulator — into its origin. Refuses what would otherwise be dropped silently or
 * sent in clear: a path, a query, a fragment, a user or password, plain http to anything but loopback.
 */
export function parseTenantDomain(domain: unknown, field = "domain"): Parsed<TenantDomain> {
  if (isTenantDomain(domain)) return { ok: true, value: domain };
  const fail = (message: string): Parsed<TenantDomain> => ({ ok: false, issues: [{ path: field, message }] });
  if (domain === undefined || domain === null || (typeof domain === "string" && domain.trim() === "")) {
    return fail(`${field} must not be empty — e.g. your-tenant.eu.auth0.com`);
  }
  // A look-alike of a TenantDomain (a copy, or one another copy of core made) is not trusted: give the text again.
  if (typeof domain !== "string") {
    return fail(
      `${field} must be a host name as text, e.g. your-tenant.eu.auth0.com (or what parseTenantDomain made)`,
    );
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
  const host = truncate(url.host, 60);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail(`${field} must be an https host name, e.g. your-tenant.eu.auth0.com: ${shown}`);
  }
  // The dashboard's address (manage.auth0.com/dashboard/{region}/{tenant}/…) is what a browser's bar shows.
  if (url.hostname === "manage.auth0.com") {
    const [, region, tenant] = /^\/dashboard\/([a-z]+)\/([\w-]+)/i.exec(url.pathname) ?? [];
    const example = tenant ? `, e.g. ${truncate(`${tenant}.${region}.auth0.com`, 60)}` : "";
    return fail(
      `${field} is the Auth0 dashboard's address — give the tenant's domain${example} (Dashboard → Settings → Domain)`,
    );
  }
  if (url.protocol === "http:" && !loopbackHosts.has(url.hostname)) {
    return fail(`${field} must use https (plain http is only for the local emulator on 127.0.0.1): ${shown}`);
  }
  if (url.username !== "" || url.password !== "" || trimmed.includes("@")) {
    return fail(`${field} must not carry a user or password — give the host only: ${host}`);
  }
  const extra = [
    url.pathname !== "/" ? "a path" : "",
    url.search !== "" || trimmed.includes("?") ? "a query" : "",
    url.hash !== "" || trimmed.includes("#") ? "a fragment" : "",
  ].filter(Boolean);
  if (extra.length > 0) {
    return fail(
      `${field} has ${extra.join(" and ")}, which idlink would ignore — give the host only: ${host}`,
    );
  }
  const tenant: TenantDomain = Object.freeze({
    origin: url.origin,
    managementAudience: `${url.origin}/api/v2/`,
  });
  parsedTenants.add(tenant);
  return { ok: true, value: tenant };
}

/**
 * The tenant a client or token request was given: a `TenantDomain` as it is, a string parsed once. Throws a
 * ValidationError naming `domain`.
 */
export function requireTenantDomain(domain: string | TenantDomain): TenantDomain {
  const parsed = parseTenantDomain(domain);
  if (!parsed.ok) throw new ValidationError(parsed.issues, "domain");
  return parsed.value;
}

function isTenantDomain(value: unknown): value is TenantDomain {
  return typeof value === "object" && value !== null && parsedTenants.has(value as TenantDomain);
}
