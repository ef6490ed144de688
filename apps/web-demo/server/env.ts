import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { echo, parseTenantDomain, type TenantDomain, ValidationError } from "@idlink/core";
import { type ClientAuthentication, resolveCredentials } from "@idlink/core/node";
import { z } from "zod";

/**
 * Where the demo points: the local emulator (no configuration) or a real tenant; `debug` (IDLINK_DEBUG=1) traces
 * the demo server's calls to the tenant on stderr.
 */
export type DemoConfig =
  | { mode: "emulator"; port: number; debug?: boolean; linkSessionSecret?: string }
  | {
      mode: "tenant";
      port: number;
      debug?: boolean;
      /**
       * IDLINK_LINK_SESSION_SECRET: the linking page's HS256 secret, the Action's SESSION_TOKEN_SECRET. Without it
       * (with a tenant) the linking page answers that it is not set up; with the emulator a fresh one is drawn.
       */
      linkSessionSecret?: string;
      /** The tenant, as core's domain rule read AUTH0_DOMAIN. */
      domain: TenantDomain;
      /** The machine-to-machine application of the demo server: a client secret or a private key (Private Key JWT). */
      clientCredentials: ClientAuthentication;
      spaClientId: string;
      /** What the person starting the demo should know (a key file others may read), never a secret. */
      warnings?: string[];
    };

const optional = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const EnvSchema = z.object({
  AUTH0_DOMAIN: optional,
  AUTH0_CLIENT_ID: optional,
  AUTH0_SPA_CLIENT_ID: optional,
  IDLINK_ALLOW_INSECURE_KEY_FILE: z
    .string()
    .trim()
    .toLowerCase()
    .refine(
      (v) => ["", "0", "false", "no", "1", "true", "yes"].includes(v),
      "IDLINK_ALLOW_INSECURE_KEY_FILE must be 1/true/yes or 0/false/no",
    )
    .optional()
    .transform((v) => v === "1" || v === "true" || v === "yes"),
  IDLINK_DEBUG: z
    .string()
    .trim()
    .toLowerCase()
    .refine(
      (v) => ["", "0", "false", "no", "1", "true", "yes"].includes(v),
      "IDLINK_DEBUG must be 1/true/yes or 0/false/no",
    )
    .optional()
    .transform((v) => v === "1" || v === "true" || v === "yes"),
  IDLINK_LINK_SESSION_SECRET: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? undefined : v))
    .refine(
      (v) => v === undefined || (v.trim() === v && v.length >= 32),
      "IDLINK_LINK_SESSION_SECRET must be at least 32 characters with no spaces around (the post-login Action's SESSION_TOKEN_SECRET)",
    ),
  PORT: z
    .string()
    .trim()
    .regex(/^\d{0,5}$/, "PORT must be a number between 0 and 65535")
    .optional()
    .transform((v) => (v === undefined || v === "" ? undefined : Number(v)))
    .refine((v) => v === undefined || v <= 65_535, "PORT must be a number between 0 and 65535"),
});

const requiredVariables = ["AUTH0_DOMAIN", "AUTH0_CLIENT_ID", "AUTH0_SPA_CLIENT_ID"] as const;
// Any of these set means a tenant is meant; the secret or key themselves are checked by core's credential rule.
const tenantVariables = [
  ...requiredVariables,
  "AUTH0_CLIENT_SECRET",
  "AUTH0_CLIENT_SIGNING_KEY_PATH",
  "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
] as const;

/** A configuration problem, worded for the person starting the demo. */
export class ConfigError extends Error {
  override name = "ConfigError" as const;
}

/**
 * Reads the demo's configuration from the environment (the only place that does). With none of the AUTH0_*
 * variables set the demo starts its own emulator; otherwise it talks to that tenant with a machine-to-machine
 * application: AUTH0_CLIENT_ID with a private key (AUTH0_CLIENT_SIGNING_KEY_PATH or
 * AUTH0_CLIENT_ASSERTION_SIGNING_KEY, Private Key JWT) or AUTH0_CLIENT_SECRET, through core's credential rule.
 */
export async function readEnv(
  source: Record<string, string | undefined> = process.env,
  readKeyFile: (path: string) => Promise<string> = (path) => readFile(path, "utf8"),
  fileMode: (path: string) => Promise<number | undefined> = async (path) => (await stat(path)).mode,
): Promise<DemoConfig> {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => i.message).join("; "));
  }
  const env = parsed.data;
  const set = tenantVariables.filter((name) => source[name]?.trim());
  const extras = {
    ...(env.IDLINK_DEBUG ? { debug: true } : {}),
    ...(env.IDLINK_LINK_SESSION_SECRET ? { linkSessionSecret: env.IDLINK_LINK_SESSION_SECRET } : {}),
  };
  if (set.length === 0) return { mode: "emulator", port: env.PORT ?? 0, ...extras };
  const missing = requiredVariables.filter((name) => env[name] === undefined);
  if (missing.length > 0 || !env.AUTH0_DOMAIN || !env.AUTH0_CLIENT_ID || !env.AUTH0_SPA_CLIENT_ID) {
    throw new ConfigError(
      `to use a real tenant set ${requiredVariables.join(", ")} and the application's private key or secret (missing: ${missing.join(", ")}); ` +
        "unset them all to use the local emulator",
    );
  }
  const domain = parseTenantDomain(env.AUTH0_DOMAIN, "AUTH0_DOMAIN");
  if (!domain.ok) throw new ConfigError(domain.issues.map((i) => i.message).join("; "));
  const credentials = await resolveCredentials({
    env: source,
    readFile: async (path) => {
      try {
        return await readKeyFile(path);
      } catch {
        throw new ConfigError(
          `cannot read the private key file ${echo(path, 120)} (AUTH0_CLIENT_SIGNING_KEY_PATH)`,
        );
      }
    },
    fileMode,
    insecureKeyFile: {
      name: "IDLINK_ALLOW_INSECURE_KEY_FILE=1",
      allowed: env.IDLINK_ALLOW_INSECURE_KEY_FILE === true,
    },
    home: source.HOME ?? homedir(),
  }).catch((error: unknown) => {
    if (error instanceof ValidationError)
      throw new ConfigError(error.issues.map((i) => i.message).join("; "));
    throw error;
  });
  if (!("clientCredentials" in credentials)) {
    throw new ConfigError(
      `the demo server needs a machine-to-machine application (AUTH0_CLIENT_ID with a private key or secret), not ${credentials.source}`,
    );
  }
  return {
    mode: "tenant",
    // A fixed port, because the tenant's SPA application must list this origin as a callback and web origin.
    port: env.PORT ?? 5173,
    domain: domain.value,
    clientCredentials: credentials.clientCredentials,
    spaClientId: env.AUTH0_SPA_CLIENT_ID,
    ...(credentials.warnings ? { warnings: credentials.warnings } : {}),
    ...extras,
  };
}
