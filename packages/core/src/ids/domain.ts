import { type Parsed, ValidationError } from "../present/errors.ts";
import { echo, isQuoted, mayBeSecret } from "../present/text.ts";

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * A tenant as `parseTenantDomain` read it: the client and the token request take it as it is, without parsing the
 * domain again.
 */
export interface TenantDomain {
  /** `https://tenant.eu.auth0.com`, or the emulator's `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** The host (and port) requests go to, as errors name it: `tenant.eu.auth0.com`. */
  readonly host: string;
  /** The Management API's default audience, `{origin}/api/v2/` (a custom domain's tenant sets its own). */
  readonly managementAudience: string;
}

// The tenants parseTenantDomain made: an object of the same shape from elsewhere is not trusted (see below).
const parsedTenants = new WeakSet<TenantDomain>();

/**
 * Parses a tenant from what people type — `tenant.auth0.com`, `https://tenant.auth0.com/`, or a loopback
 * `http://127.0.0.1:PORT` for the emulator — into its origin. Refuses what would otherwise be dropped silently or
 * sent in clear: a path, a query, a fragment, a user or password, plain http to anything but loopback. Refuses what
 * would send the token somewhere else than meant: a host outside ASCII (turned into punycode silently), an Auth0
 * look-alike, a control character or space inside (dropped silently), and a token or secret pasted as the domain
 * (never echoed).
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
  if (mayBeSecret(trimmed)) {
    return fail(
      `${field} holds a value shaped like a token or secret (not shown), not a host name — give your tenant's domain, e.g. your-tenant.eu.auth0.com, and keep secrets in their own variables`,
    );
  }
  if (isQuoted(trimmed)) return fail(`${field} is wrapped in quotes — give the host without them`);
  // URL parsing drops tabs and newlines and turns other scripts into punycode: the host would not be the one typed.
  if (/[\p{Cc}\p{Cf}\p{Z}]/u.test(trimmed)) {
    return fail(
      `${field} has a control character, a space or an invisible character inside — give the host only, e.g. your-tenant.eu.auth0.com`,
    );
  }
  const shown = echo(trimmed, 60);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return fail(`${field} "${shown}" is not a host name — e.g. your-tenant.eu.auth0.com`);
  }
  const host = echo(url.host, 60);
  if (url.username !== "" || url.password !== "" || trimmed.includes("@")) {
    return fail(`${field} must not carry a user or password — give the host only: ${host}`);
  }
  if (/[^\x20-\x7e]/.test(trimmed) || /(^|\.)xn--/i.test(url.hostname)) {
    return fail(
      `${field} is not plain ASCII: it would reach the host ${host}, which may only look like the one meant — Auth0 tenant domains are plain ASCII: copy yours from the dashboard (Settings → Domain)`,
    );
  }
  if (isAuth0LookAlike(url.hostname)) {
    return fail(
      `${field} ${host} looks like an Auth0 domain but is not one (tenant domains end in .auth0.com) — check it letter by letter against the dashboard's Settings → Domain`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail(`${field} must be an https host name, e.g. your-tenant.eu.auth0.com: ${shown}`);
  }
  // The dashboard's address (manage.auth0.com/dashboard/{region}/{tenant}/…) is what a browser's bar shows.
  if (url.hostname === "manage.auth0.com") {
    const [, region, tenant] = /^\/dashboard\/([a-z]+)\/([\w-]+)/i.exec(url.pathname) ?? [];
    const example = tenant ? `, e.g. ${echo(`${tenant}.${region}.auth0.com`, 60)}` : "";
    return fail(
      `${field} is the Auth0 dashboard's address — give the tenant's domain${example} (Dashboard → Settings → Domain)`,
    );
  }
  if (url.protocol === "http:" && !loopbackHosts.has(url.hostname)) {
    return fail(`${field} must use https (plain http is only for the local emulator on 127.0.0.1): ${shown}`);
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
    host: url.host,
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

/**
 * A host that reads as Auth0's without being under auth0.com: a label that is `auth0` once hyphens are dropped and a
 * zero is read as the letter o (`auth0.com.evil.net`, `acme.auth-0.com`, `acme.autho.com`, `acme.auth0.co`).
 */
function isAuth0LookAlike(hostname: string): boolean {
  if (hostname === "auth0.com" || hostname.endsWith(".auth0.com")) return false;
  return hostname.split(".").some((label) => {
    const read = label.replaceAll("-", "").replaceAll("0", "o");
    return read === "autho" || read === "authocom";
  });
}

/** Whether a tenant is on this machine: the emulator's `http://127.0.0.1:PORT`, `localhost` or `[::1]`. */
export function isLoopback(tenant: TenantDomain): boolean {
  return loopbackHosts.has(new URL(tenant.origin).hostname);
}

function isTenantDomain(value: unknown): value is TenantDomain {
  return typeof value === "object" && value !== null && parsedTenants.has(value as TenantDomain);
}
