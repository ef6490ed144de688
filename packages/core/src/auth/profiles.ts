import { z } from "zod";
import type { Issue, Parsed } from "../present/errors.ts";
import { echo, mayBeSecret } from "../present/text.ts";
import { signingAlgs } from "./client-assertion.ts";
import { credentialVariables } from "./credentials.ts";
import { expandHome } from "./paths.ts";

const envName = z
  .string()
  .refine(
    (name) => !mayBeSecret(name),
    "holds what looks like the secret itself (not shown) — give the NAME of the environment variable that holds it (e.g. STAGING_CLIENT_SECRET), and remove the secret from the file",
  )
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    "must be the NAME of an environment variable (e.g. STAGING_CLIENT_SECRET), not its value",
  );

/**
 * One tenant of the config file: where it is and where its secrets come from — environment variable names and key
 * file paths, never the secrets themselves.
 */
export const ProfileSchema = z.strictObject({
  /** The canonical tenant domain (your-tenant.eu.auth0.com), where the Management API lives. */
  domain: z.string().trim().min(1, "must not be empty — e.g. your-tenant.eu.auth0.com"),
  clientId: z.string().trim().min(1, "must not be empty").optional(),
  /** The Management API audience, when it is not `https://{domain}/api/v2/`. */
  audience: z.string().trim().min(1, "must not be empty").optional(),
  /** The variable holding a Management API token. */
  tokenEnv: envName.optional(),
  /** The variable holding the client secret. */
  clientSecretEnv: envName.optional(),
  /** The variable holding a PEM private key (Private Key JWT). */
  privateKeyEnv: envName.optional(),
  /** A PEM private key file (Private Key JWT); relative paths start from the current directory. */
  privateKeyFile: z.string().trim().min(1, "must not be empty").optional(),
  signingAlg: z.enum(signingAlgs).optional(),
});
export type Profile = z.infer<typeof ProfileSchema>;

const profileFields = Object.keys(ProfileSchema.shape);

/** Field names that hold a secret: a config file naming one is refused, whatever its value. */
const secretField =
  /^(client[_-]?secret|secret|(access|management|api|id|refresh)?[_-]?token|private[_-]?key(pem)?|signing[_-]?key|client[_-]?assertion([_-]?signing[_-]?key)?|password|pem|key)$/i;
const pemOrJwt = /-----BEGIN [A-Z ]+-----|^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/;

/** A parsed config file: profiles by name and the default one. */
export interface TenantConfig {
  path: string;
  default: string | undefined;
  tenants: Record<string, Profile>;
}

/**
 * Where the config file is: IDLINK_CONFIG (`~/` is `home`), else $XDG_CONFIG_HOME/idlink/config.json (an absolute XDG_CONFIG_HOME
 * only, as the XDG spec says), else `home`/.config/idlink/config.json.
 */
export function configFilePath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const explicit = env.IDLINK_CONFIG?.trim();
  if (explicit) return expandHome(explicit, home);
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const base = xdg?.startsWith("/") ? xdg : `${home.replace(/\/+$/, "")}/.config`;
  return `${base}/idlink/config.json`;
}

/**
 * Parses and validates a config file's text. Refuses a file holding a secret (a field named like one, or a PEM or
 * JWT value) and names the profile and field of every problem — never the value.
 */
export function parseTenantConfig(text: string, path: string): Parsed<TenantConfig> {
  const fail = (issues: Issue[]): Parsed<TenantConfig> => ({ ok: false, issues });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text, which may hold a secret.
    return fail([{ path, message: `${path} is not valid JSON — check its quotes, commas and braces` }]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail([{ path, message: `${path} must hold an object: { "default": "name", "tenants": { … } }` }]);
  }
  const top = raw as Record<string, unknown>;
  const issues: Issue[] = secretIssues(top, path, "");
  for (const key of Object.keys(top)) {
    if (!["$schema", "default", "tenants"].includes(key) && !secretField.test(key)) {
      issues.push({
        path: `${path}: ${key}`,
        message: `${path}: "${key}" is not known — use "default" and "tenants"`,
      });
    }
  }
  const tenants = top.tenants;
  if (typeof tenants !== "object" || tenants === null || Array.isArray(tenants)) {
    issues.push({
      path: `${path}: tenants`,
      message: `${path}: "tenants" must be an object of profiles by name`,
    });
    return fail(issues);
  }
  const profiles: Record<string, Profile> = {};
  for (const [name, value] of Object.entries(tenants as Record<string, unknown>)) {
    const where = `profile "${name}"`;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      issues.push({ path: where, message: `${where} in ${path} must be an object with at least "domain"` });
      continue;
    }
    const secrets = secretIssues(value as Record<string, unknown>, path, `${where}: `);
    if (secrets.length > 0) {
      issues.push(...secrets);
      continue;
    }
    const parsed = ProfileSchema.safeParse(value);
    if (parsed.success) {
      profiles[name] = parsed.data;
      continue;
    }
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          issues.push({
            path: `${where}.${key}`,
            message: `${where}: field "${key}" is not known — the fields are ${profileFields.join(", ")}`,
          });
        }
        continue;
      }
      const field = issue.path.join(".");
      issues.push({ path: `${where}.${field}`, message: `${where}: field "${field}" ${issue.message}` });
    }
  }
  const defaultName = top.default;
  if (defaultName !== undefined) {
    if (typeof defaultName !== "string") {
      issues.push({ path: `${path}: default`, message: `${path}: "default" must be a profile name` });
    } else if (!(defaultName in (tenants as object))) {
      issues.push({
        path: `${path}: default`,
        message: `${path}: the default profile "${defaultName}" is not under "tenants" (${Object.keys(tenants as object).join(", ") || "none"})`,
      });
    }
  }
  if (issues.length > 0) return fail(issues);
  return {
    ok: true,
    value: { path, default: typeof defaultName === "string" ? defaultName : undefined, tenants: profiles },
  };
}

function secretIssues(fields: Record<string, unknown>, path: string, where: string): Issue[] {
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const named = secretField.test(key);
    const looks = typeof value === "string" && pemOrJwt.test(value.trim());
    if (!named && !looks) continue;
    issues.push({
      path: `${where}${key}`,
      message: `${where}field "${key}" of ${path} ${named ? "is a secret" : "holds a key or token"} — a config file must not hold secrets: name the environment variable that holds it (tokenEnv, clientSecretEnv, privateKeyEnv) or a key file (privateKeyFile), and remove the secret from the file`,
    });
  }
  return issues;
}

/** Which profile the user asked for, and how (`--tenant`, `IDLINK_TENANT`). */
export interface ProfileRequest {
  name: string;
  via: string;
}

/** The environment as a profile makes it: the AUTH0_* variables it defines, and how to call them in messages. */
export interface ProfileEnvironment {
  /** The profile in use, if any. */
  profile: string | undefined;
  env: Record<string, string | undefined>;
  labels: Record<string, string>;
}

const direct = ["AUTH0_DOMAIN", ...Object.values(credentialVariables)];

/**
 * Applies the selected profile (or the default one, when neither a domain nor a profile is given) to the environment:
 * the AUTH0_* variables come from it, and its secrets from the variables it names. Without a profile the environment
 * is returned as it is. Refuses an AUTH0_* variable the profile would silently replace, and a --domain beside a
 * requested profile. `configText` is undefined when the file does not exist.
 */
export function applyProfile(input: {
  env: Readonly<Record<string, string | undefined>>;
  configPath: string;
  configText: string | undefined;
  requested: ProfileRequest | undefined;
  /** The face's domain flag, when given (`--domain`). */
  domainFlag?: string | undefined;
}): Parsed<ProfileEnvironment> {
  const { env, configPath, configText, requested } = input;
  const fail = (path: string, message: string): Parsed<ProfileEnvironment> => ({
    ok: false,
    issues: [{ path, message }],
  });
  const unchanged: Parsed<ProfileEnvironment> = {
    ok: true,
    value: { profile: undefined, env: { ...env }, labels: {} },
  };
  const domainGiven = input.domainFlag !== undefined || Boolean(env.AUTH0_DOMAIN?.trim());
  if (!requested && (domainGiven || configText === undefined)) return unchanged;
  if (requested && configText === undefined) {
    return fail(
      requested.via,
      `${requested.via} ${echo(requested.name)}: there is no config file at ${configPath} — create it (see idlink's README) or point IDLINK_CONFIG at it`,
    );
  }
  const config = parseTenantConfig(configText ?? "", configPath);
  if (!config.ok) return config;
  const name = requested?.name ?? config.value.default;
  if (name === undefined) return unchanged;
  const profile = config.value.tenants[name];
  const known = Object.keys(config.value.tenants).join(", ") || "none";
  if (!profile) {
    return fail(
      requested?.via ?? configPath,
      `no profile "${echo(name)}" in ${configPath} (profiles: ${known})`,
    );
  }
  const how = requested ? `${requested.via} ${name}` : `the default profile "${name}" of ${configPath}`;
  if (requested && input.domainFlag !== undefined) {
    return fail("--domain", `--domain and ${how} both name the tenant — use one`);
  }
  const named = [profile.tokenEnv, profile.clientSecretEnv, profile.privateKeyEnv];
  const stray = direct.filter((variable) => Boolean(env[variable]?.trim()) && !named.includes(variable));
  if (stray.length > 0) {
    const fix = requested ? `drop ${requested.via}` : "set AUTH0_DOMAIN to use the environment instead";
    return fail(
      stray[0] ?? "AUTH0_DOMAIN",
      `${stray.join(", ")} ${stray.length === 1 ? "is" : "are"} set, but ${how} gives the tenant and its credentials — unset ${stray.length === 1 ? "it" : "them"}, or ${fix}`,
    );
  }
  const result: Record<string, string | undefined> = { ...env };
  for (const variable of direct) delete result[variable];
  const labels: Record<string, string> = {};
  const from = (variable: string, value: string | undefined, label: string) => {
    if (value === undefined) return;
    result[variable] = value;
    labels[variable] = label;
  };
  const p = `profile "${name}"`;
  const c = credentialVariables;
  from("AUTH0_DOMAIN", profile.domain, `${p} domain`);
  from(c.clientId, profile.clientId, `${p} clientId`);
  from(c.audience, profile.audience, `${p} audience`);
  from(c.signingKeyPath, profile.privateKeyFile, `${p} privateKeyFile`);
  from(c.signingAlg, profile.signingAlg, `${p} signingAlg`);
  const secrets = [
    [c.token, profile.tokenEnv, "tokenEnv"],
    [c.clientSecret, profile.clientSecretEnv, "clientSecretEnv"],
    [c.signingKey, profile.privateKeyEnv, "privateKeyEnv"],
  ] as const;
  for (const [variable, envName, field] of secrets) {
    if (envName === undefined) continue;
    if (!env[envName]?.trim()) {
      return fail(
        envName,
        `${envName} is not set — ${p} (${field}) takes its secret from it: set it, or change ${field}`,
      );
    }
    result[variable] = env[envName];
    labels[variable] = `${envName} (${p} ${field})`;
  }
  return { ok: true, value: { profile: name, env: result, labels } };
}
