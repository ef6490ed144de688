import { parseArgs } from "node:util";
import {
  type Credentials,
  credentialsFromEnv,
  IdlinkError,
  parseTenantDomain,
  ValidationError,
} from "@idlink/core/startup";
import { readOnlyToolNames, toolNames } from "./catalog.ts";
import type { ToolName } from "./tools/index.ts";

export interface Config {
  domain: string;
  credentials: Credentials;
  readOnly: boolean;
  tools: ToolName[] | undefined;
  /** Streamable HTTP on 127.0.0.1 instead of stdio. */
  http: { port: number; token: string } | undefined;
  /** `--help` / `--version`: print that and stop; nothing else is read. */
  help: boolean;
  version: boolean;
}

/** A configuration the server cannot start with; the message says what to set. */
export class ConfigError extends IdlinkError {
  override name = "ConfigError" as const;
}

export const usage = `idlink-mcp — Auth0 account linking over MCP (stdio by default)

Options:
  --read-only        register only ${readOnlyToolNames.join(", ")}
  --tools a,b        register only these tools (${toolNames.join(", ")})
  --http             serve Streamable HTTP on 127.0.0.1 instead of stdio
  --port N           HTTP port (default 3917; 0 picks a free one)
  --help             this text
  --version          the version

Environment:
  AUTH0_DOMAIN                             your-tenant.eu.auth0.com (or the emulator's http://127.0.0.1:PORT)
  AUTH0_TOKEN                              a Management API token, or:
  AUTH0_CLIENT_ID + AUTH0_CLIENT_SECRET    a machine-to-machine application (read:users, update:users)
  IDLINK_MCP_READ_ONLY=1                   same as --read-only
  IDLINK_MCP_HTTP_TOKEN                    bearer token HTTP callers must send (required with --http, 32+ characters)
`;

export const defaultHttpPort = 3917;

/** Reads the configuration once, from the environment and the command line. Throws ConfigError. */
export function parseConfig(env: Record<string, string | undefined>, argv: readonly string[]): Config {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new ConfigError(`${error instanceof Error ? error.message : String(error)} — see --help`);
  }
  const help = values.help === true;
  const version = values.version === true;
  const readOnly = values["read-only"] === true || flag(env.IDLINK_MCP_READ_ONLY, "IDLINK_MCP_READ_ONLY");
  const tools = values.tools === undefined ? undefined : toolList(values.tools, readOnly);
  const http = values.http === true ? httpConfig(values.port, env.IDLINK_MCP_HTTP_TOKEN) : undefined;
  if (values.http !== true && values.port !== undefined) throw new ConfigError("--port needs --http");
  const domain = nonEmpty(env.AUTH0_DOMAIN);
  if (help || version) {
    return {
      domain: domain ?? "",
      credentials: { source: "", token: "" },
      readOnly,
      tools,
      http,
      help,
      version,
    };
  }
  if (domain === undefined) {
    throw new ConfigError(
      "AUTH0_DOMAIN is not set — set it to your tenant's domain (your-tenant.eu.auth0.com) or the emulator's URL",
    );
  }
  const origin = parseTenantDomain(domain, "AUTH0_DOMAIN");
  if (!origin.ok) throw new ConfigError(origin.issues.map((i) => i.message).join("; "));
  try {
    return {
      domain: origin.value,
      credentials: credentialsFromEnv(env),
      readOnly,
      tools,
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
