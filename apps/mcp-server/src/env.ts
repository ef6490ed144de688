import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { parseArgs } from "node:util";
import {
  type Credentials,
  echo,
  IdlinkError,
  parseTenantDomain,
  resolveCredentials,
  type TenantDomain,
  ValidationError,
} from "@idlink/core/startup";
import { readOnlyToolNames, toolNames } from "./catalog.ts";
import type { HttpAuthConfig } from "./http-auth.ts";
import type { ToolName } from "./tools/index.ts";

export interface Config {
  /** The tenant as core parsed it (a string is parsed by the client; empty for --help and --version). */
  domain: TenantDomain | string;
  credentials: Credentials;
  readOnly: boolean;
  tools: ToolName[] | undefined;
  /** IDLINK_DEBUG=1: every Management API request and answer on stderr (redacted), never on stdout. */
  debug: boolean;
  /**
   * Streamable HTTP instead of stdio: on `host` (127.0.0.1 unless --host), guarded by OAuth (the tenant as
   * authorization server) or, for development on loopback, by the static bearer IDLINK_MCP_HTTP_TOKEN.
   */
  http: { port: number; host: string; auth: HttpAuthConfig } | undefined;
  /** `--help` / `--version`: print that and stop; nothing else is read. */
  help: boolean;
  version: boolean;
}

/** A configuration the server cannot start with; the message says what to set. */
export class ConfigError extends IdlinkError {
  override name = "ConfigError" as const;
  /** The file system's code when a file could not be read (ENOENT…). */
  code: string | undefined;
}

export const usage = `idlink-mcp — Auth0 account linking over MCP (stdio by default)

  idlink-mcp init --client NAME   add it to an agent host's config instead (idlink-mcp init --help)

Options:
  --read-only        register only ${readOnlyToolNames.join(", ")}
  --tools a,b        register only these tools (${toolNames.join(", ")})
  --http             serve Streamable HTTP instead of stdio, as an OAuth protected resource whose authorization
                     server is the tenant (or with IDLINK_MCP_HTTP_TOKEN, a static bearer for loopback development)
  --port N           HTTP port (default 3917; 0 picks a free one)
  --host ADDRESS     address to listen on (default 127.0.0.1; another one needs OAuth and --resource)
  --resource URL     the server's public URL, its OAuth resource identifier (default http://127.0.0.1:PORT/mcp)
  --help             this text
  --version          the version

Environment:
  AUTH0_DOMAIN                             your-tenant.eu.auth0.com (or the emulator's http://127.0.0.1:PORT)
  AUTH0_TOKEN (or AUTH0_ACCESS_TOKEN)      a Management API token, or a machine-to-machine application
  AUTH0_CLIENT_ID with                     (read:users, update:users) and one of:
    AUTH0_CLIENT_SIGNING_KEY_PATH          its PEM private key file (Private Key JWT), or
    AUTH0_CLIENT_ASSERTION_SIGNING_KEY     the PEM private key itself, or
    AUTH0_CLIENT_SECRET                    its client secret
  AUTH0_CLIENT_ASSERTION_SIGNING_ALG       RS256 (default), RS384 or PS256
  AUTH0_AUDIENCE                           the Management API audience, when AUTH0_DOMAIN is a custom domain
  IDLINK_TENANT                            a profile of the config file instead (IDLINK_CONFIG, default
                                           $XDG_CONFIG_HOME/idlink/config.json or ~/.config/idlink/config.json)
  IDLINK_MCP_READ_ONLY=1                   same as --read-only
  IDLINK_MCP_RESOURCE                      same as --resource
  IDLINK_MCP_AUTH_DOMAIN                   the authorization server's domain when not AUTH0_DOMAIN (a custom domain)
  IDLINK_MCP_HTTP_TOKEN                    a static bearer (32+ characters) instead of OAuth: development on loopback
  IDLINK_DEBUG=1                           every request to Auth0 and its answer on stderr (secrets redacted)
`;

export const defaultHttpPort = 3917;

/** The files the configuration may read: the config file of profiles and a private key file. */
export interface ConfigFiles {
  readFile(path: string): Promise<string>;
  /** The permission bits of a file (a private key others may read is refused). */
  fileMode?(path: string): Promise<number | undefined>;
  home: string;
}

const nodeFiles: ConfigFiles = {
  readFile: (path) => readFile(path, "utf8"),
  fileMode: async (path) => (await stat(path)).mode,
  home: homedir(),
};

/**
 * Reads the configuration once, from the environment, the command line and the files they name (a profile, a
 * private key). Throws ConfigError.
 */
export async function parseConfig(
  environment: Record<string, string | undefined>,
  argv: readonly string[],
  files: ConfigFiles = nodeFiles,
): Promise<Config> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new ConfigError(`${error instanceof Error ? error.message : String(error)} — see --help`);
  }
  const help = values.help === true;
  const version = values.version === true;
  const readOnly =
    values["read-only"] === true || flag(environment.IDLINK_MCP_READ_ONLY, "IDLINK_MCP_READ_ONLY");
  const debug = flag(environment.IDLINK_DEBUG, "IDLINK_DEBUG");
  const tools = values.tools === undefined ? undefined : toolList(values.tools, readOnly);
  const http = values.http === true ? httpSettings(values, environment) : undefined;
  for (const name of ["port", "host", "resource"] as const) {
    if (values.http !== true && values[name] !== undefined) throw new ConfigError(`--${name} needs --http`);
  }
  if (help || version) {
    return {
      domain: "",
      credentials: { source: "", token: "" },
      readOnly,
      tools,
      debug,
      http: undefined,
      help,
      version,
    };
  }
  const { env, labels } = await profileEnvironment(environment, files);
  const domain = nonEmpty(env.AUTH0_DOMAIN);
  if (domain === undefined) {
    throw new ConfigError(
      "AUTH0_DOMAIN is not set — set it to your tenant's domain (your-tenant.eu.auth0.com) or the emulator's URL, or name a profile with IDLINK_TENANT",
    );
  }
  const origin = parseTenantDomain(domain, labels.AUTH0_DOMAIN ?? "AUTH0_DOMAIN");
  if (!origin.ok) throw new ConfigError(origin.issues.map((i) => i.message).join("; "));
  const { port, host, bearer, resource, authDomain } = http ?? {};
  const auth: HttpAuthConfig | undefined =
    http === undefined
      ? undefined
      : bearer !== undefined
        ? { kind: "bearer", token: bearer }
        : { kind: "oauth", issuer: issuerOf(authDomain, origin.value), resource };
  try {
    return {
      domain: origin.value,
      credentials: await resolveCredentials({
        env,
        labels,
        readFile: (path) => readNamedFile(files, path, "the private key file"),
        fileMode: files.fileMode,
        insecureKeyFile: {
          name: "IDLINK_ALLOW_INSECURE_KEY_FILE=1",
          allowed: flag(environment.IDLINK_ALLOW_INSECURE_KEY_FILE, "IDLINK_ALLOW_INSECURE_KEY_FILE"),
        },
        home: env.HOME ?? files.home,
      }),
      readOnly,
      tools,
      debug,
      http: auth && port !== undefined && host !== undefined ? { port, host, auth } : undefined,
      help,
      version,
    };
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ConfigError(error.issues.map((i) => i.message).join("; "));
    throw error;
  }
}

/**
 * Core's `applyProfile` with IDLINK_TENANT (or the config file's default, when AUTH0_DOMAIN is not set). Profiles
 * parse the config file with zod, so core's node entry is imported only when a profile may apply: with AUTH0_DOMAIN
 * set and no IDLINK_TENANT the server starts without it.
 */
async function profileEnvironment(env: Record<string, string | undefined>, files: ConfigFiles) {
  const name = nonEmpty(env.IDLINK_TENANT);
  const requested = name === undefined ? undefined : { name, via: "IDLINK_TENANT" };
  if (requested === undefined && nonEmpty(env.AUTH0_DOMAIN) !== undefined) {
    return { profile: undefined, env: { ...env }, labels: {} };
  }
  const { applyProfile, configFilePath } = await import("@idlink/core/node");
  const configPath = configFilePath(env, env.HOME ?? files.home);
  const configText = await readNamedFile(files, configPath, "the config file").catch((error: unknown) => {
    if (error instanceof ConfigError && error.code === "ENOENT") return undefined;
    throw error;
  });
  const applied = applyProfile({ env, configPath, configText, requested });
  if (!applied.ok) throw new ConfigError(applied.issues.map((i) => i.message).join("; "));
  return applied.value;
}

async function readNamedFile(files: ConfigFiles, path: string, what: string): Promise<string> {
  try {
    return await files.readFile(path);
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : "it cannot be read";
    throw Object.assign(new ConfigError(`cannot read ${what} ${echo(path, 120)}: ${why}`), { code });
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      "read-only": { type: "boolean" },
      tools: { type: "string" },
      http: { type: "boolean" },
      port: { type: "string" },
      host: { type: "string" },
      resource: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    },
  });
}

function toolList(value: string, readOnly: boolean): ToolName[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new ConfigError(`--tools is empty — name some of: ${toolNames.join(", ")}`);
  const known: readonly string[] = toolNames;
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new ConfigError(
      `unknown tool(s) in --tools: ${unknown.join(", ")} — choose from ${toolNames.join(", ")}`,
    );
  }
  const selected = toolNames.filter((n) => names.includes(n));
  const writes = selected.filter((n) => !readOnlyToolNames.includes(n));
  if (readOnly && writes.length > 0) {
    throw new ConfigError(
      `${writes.join(", ")} change accounts and read-only mode is on — drop them from --tools`,
    );
  }
  return selected;
}

/** The HTTP settings as given; the authorization server's issuer needs the tenant, read later. */
function httpSettings(
  values: { port?: string; host?: string; resource?: string },
  env: Record<string, string | undefined>,
) {
  const number = values.port === undefined ? defaultHttpPort : Number(values.port);
  if (!Number.isInteger(number) || number < 0 || number > 65535) {
    throw new ConfigError(`--port must be a whole number from 0 to 65535, not "${values.port}"`);
  }
  const host = nonEmpty(values.host) ?? "127.0.0.1";
  const bearer = nonEmpty(env.IDLINK_MCP_HTTP_TOKEN);
  const flagResource = nonEmpty(values.resource);
  const envResource = nonEmpty(env.IDLINK_MCP_RESOURCE);
  if (flagResource !== undefined && envResource !== undefined && flagResource !== envResource) {
    throw new ConfigError(
      `--resource and IDLINK_MCP_RESOURCE name different URLs (${echo(flagResource, 100)}, ${echo(envResource, 100)}) — keep one`,
    );
  }
  const resource =
    flagResource !== undefined
      ? resourceUrl(flagResource, "--resource")
      : envResource !== undefined
        ? resourceUrl(envResource, "IDLINK_MCP_RESOURCE")
        : undefined;
  const authDomain = nonEmpty(env.IDLINK_MCP_AUTH_DOMAIN);
  if (bearer !== undefined) {
    const oauthSettings = [
      ...(resource !== undefined ? [flagResource !== undefined ? "--resource" : "IDLINK_MCP_RESOURCE"] : []),
      ...(authDomain !== undefined ? ["IDLINK_MCP_AUTH_DOMAIN"] : []),
    ];
    if (oauthSettings.length > 0) {
      throw new ConfigError(
        `IDLINK_MCP_HTTP_TOKEN (a static bearer) and ${oauthSettings.join(" and ")} (OAuth) are two ways to guard HTTP — unset IDLINK_MCP_HTTP_TOKEN to use OAuth, or the others to keep the bearer for local development`,
      );
    }
    if (!isLoopback(host)) {
      throw new ConfigError(
        `IDLINK_MCP_HTTP_TOKEN is a static bearer for development on loopback, and --host ${echo(host)} serves other machines — unset IDLINK_MCP_HTTP_TOKEN so that callers sign in with OAuth (README, Remote agents over OAuth)`,
      );
    }
    if (bearer.length < 32) {
      throw new ConfigError("IDLINK_MCP_HTTP_TOKEN is too short — use 32 or more random characters");
    }
  } else if (!isLoopback(host) && resource === undefined) {
    throw new ConfigError(
      `--host ${echo(host)} serves other machines: set IDLINK_MCP_RESOURCE (or --resource) to the URL they reach this server at, https://…/mcp — it is the audience of their access tokens`,
    );
  }
  return { port: number, host, bearer, resource, authDomain };
}

/**
 * The authorization server's issuer as Auth0 writes `iss`: `https://TENANT/`, the domain the token was obtained from
 * (auth0/docs-v2 main/docs/customize/custom-domains/configure-features-to-use-custom-domains.mdx @ 1a4096e8, "APIs").
 */
function issuerOf(authDomain: string | undefined, tenant: TenantDomain): string {
  if (authDomain === undefined) return `${tenant.origin}/`;
  const parsed = parseTenantDomain(authDomain, "IDLINK_MCP_AUTH_DOMAIN");
  if (!parsed.ok) throw new ConfigError(parsed.issues.map((i) => i.message).join("; "));
  return `${parsed.value.origin}/`;
}

/**
 * The server's public URL as an RFC 8707 resource identifier: absolute, no fragment (RFC 8707 §2), no query or
 * credentials, https unless on loopback. Kept as written: it must equal the identifier of the tenant's API.
 */
function resourceUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      `${name} must be this server's public URL, such as https://mcp.example.com/mcp, not "${echo(value, 100)}"`,
    );
  }
  const fault =
    url.protocol !== "https:" && url.protocol !== "http:"
      ? "must be an https URL"
      : url.protocol === "http:" && !isLoopback(url.hostname)
        ? "must use https (plain http only on loopback)"
        : url.hash !== "" || value.includes("#")
          ? "must not have a fragment (RFC 8707)"
          : url.search !== "" || value.includes("?")
            ? "must not have a query"
            : url.username !== "" || url.password !== ""
              ? "must not carry a user or password"
              : undefined;
  if (fault)
    throw new ConfigError(`${name} ${fault} — give the URL agents use, such as https://mcp.example.com/mcp`);
  return value;
}

function isLoopback(host: string): boolean {
  return ["localhost", "::1", "[::1]"].includes(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host);
}

function flag(value: string | undefined, name: string): boolean {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === "" || v === "0" || v === "false" || v === "no") return false;
  if (v === "1" || v === "true" || v === "yes") return true;
  throw new ConfigError(`${name} must be 1/true/yes or 0/false/no, not "${value}"`);
}

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v === undefined || v === "" ? undefined : v;
}
