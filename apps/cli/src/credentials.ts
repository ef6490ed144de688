import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { resolve } from "node:path";
import {
  createManagementClient,
  type DebugSink,
  echo,
  formatDebugEvent,
  type ManagementClient,
  parseTenantDomain,
  type RetryOptions,
  type TenantDomain,
} from "@idlink/core";
import {
  applyProfile,
  type Credentials,
  configFilePath,
  type ProfileEnvironment,
  resolveCredentials,
  tokenOptions,
} from "@idlink/core/node";
import type { Io } from "./io.ts";
import { UsageError } from "./usage-error.ts";

/** The flags every command that talks to Auth0 accepts. */
export interface ConnectionFlags {
  domain?: string | undefined;
  tokenFile?: string | undefined;
  tokenStdin?: boolean | undefined;
  tenant?: string | undefined;
  audience?: string | undefined;
  privateKeyFile?: string | undefined;
  allowInsecureKeyFile?: boolean | undefined;
  debug?: boolean | undefined;
}

/** A tenant and the credentials for it (core's one rule decides which). */
export interface Connection {
  tenant: TenantDomain;
  credentials: Credentials;
  /** With --debug or IDLINK_DEBUG: writes each request, answer and retry decision to stderr, redacted. */
  onEvent: DebugSink | undefined;
}

const userAgent = "idlink-cli/0.1.0";

/**
 * The environment as the selected profile makes it (--tenant, IDLINK_TENANT, or the config file's default when no
 * domain is given): core's `applyProfile`. The config file is read only when a profile may apply.
 */
async function profileEnvironment(flags: ConnectionFlags, io: Io): Promise<ProfileEnvironment> {
  const env = io.env.credentials;
  const fromEnv = env.IDLINK_TENANT?.trim();
  const requested =
    flags.tenant !== undefined
      ? { name: flags.tenant, via: "--tenant" }
      : fromEnv
        ? { name: fromEnv, via: "IDLINK_TENANT" }
        : undefined;
  const configPath = configFilePath(env, env.HOME ?? homedir());
  const mayApply = requested !== undefined || (flags.domain === undefined && !env.AUTH0_DOMAIN?.trim());
  const configText = mayApply ? await readConfig(configPath, io) : undefined;
  const applied = applyProfile({ env, configPath, configText, requested, domainFlag: flags.domain });
  if (!applied.ok) throw new UsageError(applied.issues.map((i) => i.message).join("; "));
  return applied.value;
}

async function readConfig(path: string, io: Io): Promise<string | undefined> {
  try {
    return await readFile(resolve(io.cwd, path), "utf8");
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    if (code === "ENOENT") return undefined;
    return readFileFor(path, io, "config file");
  }
}

/** The tenant's origin from --domain, AUTH0_DOMAIN or the profile, through core's tenant-domain parser. */
export async function resolveOrigin(
  flags: ConnectionFlags,
  io: Io,
  settings?: ProfileEnvironment,
): Promise<TenantDomain> {
  const { env, labels } = settings ?? (await profileEnvironment(flags, io));
  const domain = flags.domain ?? env.AUTH0_DOMAIN?.trim();
  if (domain === undefined || domain === "") {
    throw new UsageError(
      "No tenant given.",
      "Pass --domain your-tenant.eu.auth0.com, set AUTH0_DOMAIN (the emulator prints its own), or name a profile with --tenant.",
    );
  }
  const field = flags.domain === undefined ? (labels.AUTH0_DOMAIN ?? "AUTH0_DOMAIN") : "--domain";
  const parsed = parseTenantDomain(domain, field);
  if (!parsed.ok) throw new UsageError(parsed.issues.map((i) => i.message).join("; "));
  return parsed.value;
}

/** Resolves the tenant and credentials from flags, profile and environment (core's `resolveCredentials`). */
export async function resolveConnection(flags: ConnectionFlags, io: Io): Promise<Connection> {
  const settings = await profileEnvironment(flags, io);
  const tenant = await resolveOrigin(flags, io, settings);
  const { tokenFile, privateKeyFile, audience } = flags;
  const credentials = await resolveCredentials({
    env: settings.env,
    labels: settings.labels,
    file:
      tokenFile === undefined
        ? undefined
        : {
            name: "--token-file",
            path: resolve(io.cwd, tokenFile),
            read: () => readFileFor(tokenFile, io, "--token-file"),
          },
    stdin: flags.tokenStdin ? { name: "--token-stdin", read: () => io.readStdin() } : undefined,
    keyFile: privateKeyFile === undefined ? undefined : { name: "--private-key-file", path: privateKeyFile },
    audience: audience === undefined ? undefined : { name: "--audience", value: audience },
    readFile: (path) => readFileFor(path, io, "private key file"),
    fileMode: async (path) => (await stat(resolve(io.cwd, path))).mode,
    insecureKeyFile: { name: "--allow-insecure-key-file", allowed: flags.allowInsecureKeyFile === true },
    home: io.env.credentials.HOME ?? homedir(),
    alternatives: ["--token-file F", "--token-stdin"],
  });
  for (const warning of credentials.warnings ?? []) io.writeErr(`idlink: warning: ${warning}\n`);
  return { tenant, credentials, onEvent: debugSink(flags, io) };
}

/** The debug trail's sink, on stderr (stdout stays the result's): one `idlink debug:` line per event. */
export function debugSink(flags: { debug?: boolean | undefined }, io: Io): DebugSink | undefined {
  const { debug } = io.env;
  if (typeof debug === "object") {
    throw new UsageError(
      `IDLINK_DEBUG must be 1/true/yes or 0/false/no, not "${debug.invalid.slice(0, 20)}".`,
      "Set IDLINK_DEBUG=1 (or pass --debug) for the trail; unset it for none.",
    );
  }
  if (!flags.debug && !debug) return undefined;
  return (event) => io.writeErr(`idlink debug: ${formatDebugEvent(event)}\n`);
}

/** A Management client for the connection; `signal` aborts its calls (Ctrl-C). */
export function createClient(
  connection: Connection,
  options: { signal?: AbortSignal; retry?: RetryOptions } = {},
): ManagementClient {
  const { credentials, tenant, onEvent } = connection;
  return createManagementClient({
    domain: tenant,
    ...(onEvent ? { onEvent } : {}),
    ...tokenOptions(credentials),
    userAgent,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
}

/** Reads a file holding a secret (a token, an ID token), trimmed; the secret never goes into a message. */
export async function readSecretFile(path: string, io: Io, flag: string): Promise<string> {
  return (await readFileFor(path, io, flag)).trim();
}

/** Reads a file a flag or argument names; a failure says why (missing, a directory, no permission). */
export async function readFileFor(path: string, io: Io, what: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), "utf8");
  } catch (error) {
    throw unreadable(path, what, error);
  }
}

/** The usage error for a file that cannot be read, saying why (missing, a directory, no permission). */
export function unreadable(path: string, what: string, error: unknown): UsageError {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  const why = reasons[code] ?? (code ? `error ${code}` : "it could not be read");
  return new UsageError(
    `${what}: cannot read ${echo(path, 120)}: ${why}.`,
    hints[code] ?? "Check the path and its permissions.",
  );
}

const reasons: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "it is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
  ELOOP: "too many symbolic links",
};

const hints: Record<string, string> = {
  ENOENT: "Check the path (relative paths start from the current directory).",
  EISDIR: "Name a file inside it.",
  EACCES: "Make it readable by you (chmod u+r), or run as its owner.",
  EPERM: "Make it readable by you (chmod u+r), or run as its owner.",
};
