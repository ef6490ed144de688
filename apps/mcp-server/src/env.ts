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
import type { ToolName } from "./tools/index.ts";

export interface Config {
  /** The tenant as core parsed it (a string is parsed by the client; empty for --help and --version). */
  domain: TenantDomain | string;
  credentials: Credentials;
  readOnly: boolean;
  tools: ToolName[] | undefined;
  /** IDLINK_DEBUG=1: every Management API request and answer on stderr (redacted), never on stdout. */
  debug: boolean;
  /** Streamable HTTP on 127.0.0.1 instead of stdio. */
  http: { port: number; token: string } | undefined;
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
  --http             serve Streamable HTTP on 127.0.0.1 instead of stdio
  --port N           HTTP port (default 3917; 0 picks a free one)
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
  IDLINK_MCP_HTTP_TOKEN                    bearer token HTTP callers must send (required with --http, 32+ characters)
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
  const http = values.http === true ? httpConfig(values.port, environment.IDLINK_MCP_HTTP_TOKEN) : undefined;
  if (values.http !== true && values.port !== undefined) throw new ConfigError("--port needs --http");
  if (help || version) {
    return {
      domain: "",
      credentials: { source: "", token: "" },
      readOnly,
      tools,
      debug,
      http,
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
      http,
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

function httpConfig(port: string | undefined, token: string | undefined): NonNullable<Config["http"]> {
  const number = port === undefined ? defaultHttpPort : Number(port);
  if (!Number.isInteger(number) || number < 0 || number > 65535) {
    throw new ConfigError(`--port must be a whole number from 0 to 65535, not "${port}"`);
  }
  const bearer = nonEmpty(token);
  if (bearer === undefined) {
    throw new ConfigError(
      "--http needs IDLINK_MCP_HTTP_TOKEN: a random bearer token (32+ characters) that HTTP clients must send",
    );
  }
  if (bearer.length < 32) {
    throw new ConfigError("IDLINK_MCP_HTTP_TOKEN is too short — use 32 or more random characters");
  }
  return { port: number, token: bearer };
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
