import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type Credentials,
  createManagementClient,
  type DebugSink,
  formatDebugEvent,
  type ManagementClient,
  parseTenantDomain,
  type RetryOptions,
  resolveCredentials,
} from "@idlink/core";
import type { Io } from "./io.ts";
import { UsageError } from "./usage-error.ts";

/** The flags every command that talks to Auth0 accepts. */
export interface ConnectionFlags {
  domain?: string | undefined;
  tokenFile?: string | undefined;
  tokenStdin?: boolean | undefined;
  debug?: boolean | undefined;
}

/** A tenant and the credentials for it (core's one rule decides which). */
export interface Connection {
  origin: string;
  credentials: Credentials;
  /** With --debug or IDLINK_DEBUG: writes each request, answer and retry decision to stderr, redacted. */
  onEvent: DebugSink | undefined;
}

const userAgent = "idlink-cli/0.1.0";

/** The tenant's origin from --domain or AUTH0_DOMAIN, through core's tenant-domain parser. */
export function resolveOrigin(flags: ConnectionFlags, io: Io): { origin: string } {
  const domain = flags.domain ?? io.env.domain;
  if (domain === undefined) {
    throw new UsageError(
      "No tenant given.",
      "Pass --domain your-tenant.eu.auth0.com or set AUTH0_DOMAIN (the emulator prints its own).",
    );
  }
  const parsed = parseTenantDomain(domain, flags.domain === undefined ? "AUTH0_DOMAIN" : "--domain");
  if (!parsed.ok) throw new UsageError(parsed.issues.map((i) => i.message).join("; "));
  return { origin: parsed.value };
}

/** Resolves the tenant and credentials from flags and environment (core's `resolveCredentials`). */
export async function resolveConnection(flags: ConnectionFlags, io: Io): Promise<Connection> {
  const { origin } = resolveOrigin(flags, io);
  const { tokenFile } = flags;
  const credentials = await resolveCredentials({
    env: io.env.credentials,
    file:
      tokenFile === undefined
        ? undefined
        : { name: "--token-file", read: () => readFileFor(tokenFile, io, "--token-file") },
    stdin: flags.tokenStdin ? { name: "--token-stdin", read: () => io.readStdin() } : undefined,
    alternatives: ["--token-file F", "--token-stdin"],
  });
  return { origin, credentials, onEvent: debugSink(flags, io) };
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
  const { credentials, origin, onEvent } = connection;
  return createManagementClient({
    domain: origin,
    ...(onEvent ? { onEvent } : {}),
    ...("token" in credentials
      ? { token: credentials.token }
      : { clientCredentials: credentials.clientCredentials }),
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
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    const why = reasons[code] ?? (code ? `error ${code}` : "it could not be read");
    throw new UsageError(
      `${what}: cannot read ${path}: ${why}.`,
      hints[code] ?? "Check the path and its permissions.",
    );
  }
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
