import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  createManagementClient,
  getManagementToken,
  type ManagementClient,
  type RetryOptions,
  tenantOrigin,
} from "@idlink/core";
import type { Io } from "./io.ts";
import { UsageError } from "./usage-error.ts";

/** The flags every command that talks to Auth0 accepts. */
export interface ConnectionFlags {
  domain?: string | undefined;
  tokenFile?: string | undefined;
  tokenStdin?: boolean | undefined;
}

/** A tenant and a way to get a Management token for it. */
export interface Connection {
  domain: string;
  origin: string;
  /** Where the token comes from, for messages ("AUTH0_TOKEN", "client idlink-admin"…); never the token. */
  source: string;
  getToken(): Promise<string>;
}

const userAgent = "idlink-cli/0.1.0";

/** Resolves the tenant and credentials from flags and environment; throws UsageError when something is missing. */
/** The tenant's origin from --domain or AUTH0_DOMAIN; throws UsageError when missing or not https. */
export function resolveOrigin(flags: ConnectionFlags, io: Io): { domain: string; origin: string } {
  const domain = flags.domain ?? io.env.domain;
  if (domain === undefined || domain.trim() === "") {
    throw new UsageError(
      "No tenant given.",
      "Pass --domain your-tenant.eu.auth0.com or set AUTH0_DOMAIN (the emulator prints its own).",
    );
  }
  try {
    return { domain, origin: tenantOrigin(domain) };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Resolves the tenant and credentials from flags and environment; throws UsageError when something is missing. */
export async function resolveConnection(flags: ConnectionFlags, io: Io): Promise<Connection> {
  const { domain, origin } = resolveOrigin(flags, io);
  if (flags.tokenFile !== undefined && flags.tokenStdin) {
    throw new UsageError("--token-file and --token-stdin both give the token: use one.");
  }
  if (flags.tokenFile !== undefined) {
    const token = await readSecretFile(flags.tokenFile, io, "--token-file");
    return { domain, origin, source: "--token-file", getToken: async () => token };
  }
  if (flags.tokenStdin) {
    const token = (await io.readStdin()).trim();
    if (token === "")
      throw new UsageError("--token-stdin: stdin was empty.", "Pipe the token in: … | idlink");
    return { domain, origin, source: "--token-stdin", getToken: async () => token };
  }
  const { token, clientId, clientSecret } = io.env;
  if (token !== undefined) return { domain, origin, source: "AUTH0_TOKEN", getToken: async () => token };
  if (clientId !== undefined && clientSecret !== undefined) {
    return {
      domain,
      origin,
      source: `client ${clientId}`,
      getToken: () => getManagementToken({ domain: origin, clientId, clientSecret }),
    };
  }
  if (clientId !== undefined || clientSecret !== undefined) {
    throw new UsageError(
      `${clientId === undefined ? "AUTH0_CLIENT_ID" : "AUTH0_CLIENT_SECRET"} is not set, but its partner is.`,
      "Set both AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET, or give a token.",
    );
  }
  throw new UsageError(
    "No credentials.",
    "Set AUTH0_TOKEN, pass --token-file F or --token-stdin, or set AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET.",
  );
}

/** A Management client for the connection; `signal` aborts its calls (Ctrl-C). */
export function createClient(
  connection: Connection,
  options: { signal?: AbortSignal; retry?: RetryOptions } = {},
): ManagementClient {
  return createManagementClient({
    domain: connection.origin,
    getToken: () => connection.getToken(),
    userAgent,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
}

/** Reads a file holding a secret (a token, an ID token), trimmed; the secret never goes into a message. */
export async function readSecretFile(path: string, io: Io, flag: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, path), "utf8");
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    throw new UsageError(
      `${flag}: cannot read ${path}${code ? ` (${code})` : ""}.`,
      "Check the path and its permissions.",
    );
  }
  return text.trim();
}
