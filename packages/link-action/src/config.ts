import { parseTenantDomain, type TenantDomain } from "@idlink/core/post-login";

/** The Action's secrets (`event.secrets`), read once per execution. Names follow Auth0's linking sample. */
export const secretNames = {
  domain: "MANAGEMENT_API_DOMAIN",
  clientId: "MANAGEMENT_API_CLIENT_ID",
  clientSecret: "MANAGEMENT_API_CLIENT_SECRET",
  sessionSecret: "SESSION_TOKEN_SECRET",
  linkPage: "LINK_PAGE_URL",
  connections: "CONNECTIONS",
  allowSkip: "ALLOW_SKIP",
  skipDays: "SKIP_DAYS",
} as const;

export interface Config {
  tenant: TenantDomain;
  clientId: string;
  clientSecret: string;
  sessionSecret: string;
  linkPageUrl: string;
  /** Connection names that take part; undefined: every connection. */
  connections: ReadonlySet<string> | undefined;
  allowSkip: boolean;
  skipDays: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** The shortest session-token secret taken: 256 bits of HS256 key, as RFC 7518 §3.2 asks. */
export const minSessionSecretLength = 32;
export const maxSkipDays = 365;

const loopback = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Reads the secrets. Every problem names its secret and what to give, never the value: the messages end up in
 * `api.access.deny`, which Auth0 may show to the person logging in and passes to the application.
 */
export function readConfig(secrets: Record<string, string | undefined> | undefined): ConfigResult {
  const all = secrets ?? {};
  const problems: string[] = [];
  const required = (name: string): string | undefined => {
    const value = all[name];
    if (typeof value !== "string" || value.trim() === "") {
      problems.push(`secret ${name} is missing`);
      return undefined;
    }
    if (value.trim() !== value) {
      problems.push(`secret ${name} has spaces or a line break at its start or end — store the value alone`);
      return undefined;
    }
    if (/^(["']).*\1$/s.test(value)) {
      problems.push(`secret ${name} is wrapped in quotes — store the value without them`);
      return undefined;
    }
    return value;
  };

  const domainText = required(secretNames.domain);
  let tenant: TenantDomain | undefined;
  if (domainText !== undefined) {
    const parsed = parseTenantDomain(domainText, secretNames.domain);
    if (parsed.ok) tenant = parsed.value;
    else
      problems.push(
        `secret ${secretNames.domain} is not a tenant domain — give the tenant's canonical domain, e.g. acme.eu.auth0.com (https; http only on loopback, e.g. http://127.0.0.1:PORT for the emulator), with no path`,
      );
  }
  const clientId = required(secretNames.clientId);
  const clientSecret = required(secretNames.clientSecret);
  const sessionSecret = required(secretNames.sessionSecret);
  if (sessionSecret !== undefined && sessionSecret.length < minSessionSecretLength) {
    problems.push(
      `secret ${secretNames.sessionSecret} is too short — give at least ${minSessionSecretLength} random characters (the HS256 key shared with the linking page)`,
    );
  }
  const linkPageText = required(secretNames.linkPage);
  const linkPageUrl = linkPageText === undefined ? undefined : checkLinkPage(linkPageText, problems);

  const connectionsText = all[secretNames.connections];
  let connections: Set<string> | undefined;
  if (connectionsText !== undefined && connectionsText.trim() !== "") {
    const names = connectionsText.split(",").map((n) => n.trim());
    if (names.some((n) => n === "")) {
      problems.push(
        `secret ${secretNames.connections} has an empty name — give connection names separated by commas, e.g. Username-Password-Authentication,google-oauth2`,
      );
    } else connections = new Set(names);
  }

  const allowSkipText = (all[secretNames.allowSkip] ?? "").trim().toLowerCase();
  let allowSkip = true;
  if (allowSkipText === "false") allowSkip = false;
  else if (allowSkipText !== "" && allowSkipText !== "true") {
    problems.push(`secret ${secretNames.allowSkip} must be true or false`);
  }

  const skipDaysText = (all[secretNames.skipDays] ?? "").trim();
  let skipDays = 7;
  if (skipDaysText !== "") {
    const days = /^\d{1,3}$/.test(skipDaysText) ? Number(skipDaysText) : Number.NaN;
    if (!(days >= 1 && days <= maxSkipDays)) {
      problems.push(`secret ${secretNames.skipDays} must be a whole number of days from 1 to ${maxSkipDays}`);
    } else skipDays = days;
  }

  if (
    problems.length > 0 ||
    tenant === undefined ||
    clientId === undefined ||
    clientSecret === undefined ||
    sessionSecret === undefined ||
    linkPageUrl === undefined
  ) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: { tenant, clientId, clientSecret, sessionSecret, linkPageUrl, connections, allowSkip, skipDays },
  };
}

function checkLinkPage(text: string, problems: string[]): string | undefined {
  const name = secretNames.linkPage;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push(
      `secret ${name} is not a URL — give the linking page's address, e.g. https://link.example.com/`,
    );
    return undefined;
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback.has(url.hostname))) {
    problems.push(`secret ${name} must be an https URL (http only on loopback: 127.0.0.1, localhost)`);
    return undefined;
  }
  if (url.username !== "" || url.password !== "" || url.hash !== "") {
    problems.push(`secret ${name} must not carry a user, a password or a #fragment`);
    return undefined;
  }
  return url.href;
}
