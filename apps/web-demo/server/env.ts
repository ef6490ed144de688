import { z } from "zod";

/**
 * Where the demo points: the local emulator (no configuration) or a real tenant; `debug` (IDLINK_DEBUG=1) traces
 * the demo server's calls to the tenant on stderr.
 */
export type DemoConfig =
  | { mode: "emulator"; port: number; debug?: boolean }
  | {
      mode: "tenant";
      port: number;
      debug?: boolean;
      domain: string;
      clientId: string;
      clientSecret: string;
      spaClientId: string;
    };

const optional = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const EnvSchema = z.object({
  AUTH0_DOMAIN: optional,
  AUTH0_CLIENT_ID: optional,
  AUTH0_CLIENT_SECRET: optional,
  AUTH0_SPA_CLIENT_ID: optional,
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
  PORT: z
    .string()
    .trim()
    .regex(/^\d{0,5}$/, "PORT must be a number between 0 and 65535")
    .optional()
    .transform((v) => (v === undefined || v === "" ? undefined : Number(v)))
    .refine((v) => v === undefined || v <= 65_535, "PORT must be a number between 0 and 65535"),
});

const tenantVariables = [
  "AUTH0_DOMAIN",
  "AUTH0_CLIENT_ID",
  "AUTH0_CLIENT_SECRET",
  "AUTH0_SPA_CLIENT_ID",
] as const;

/** A configuration problem, worded for the person starting the demo. */
export class ConfigError extends Error {
  override name = "ConfigError" as const;
}

/**
 * Reads the demo's configuration from the environment (the only place that does). With none of the AUTH0_*
 * variables set the demo starts its own emulator; with all four it talks to that tenant.
 */
export function readEnv(source: Record<string, string | undefined> = process.env): DemoConfig {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => i.message).join("; "));
  }
  const env = parsed.data;
  const set = tenantVariables.filter((name) => env[name] !== undefined);
  const debug = env.IDLINK_DEBUG ? { debug: true } : {};
  if (set.length === 0) return { mode: "emulator", port: env.PORT ?? 0, ...debug };
  const missing = tenantVariables.filter((name) => env[name] === undefined);
  if (
    missing.length > 0 ||
    !env.AUTH0_DOMAIN ||
    !env.AUTH0_CLIENT_ID ||
    !env.AUTH0_CLIENT_SECRET ||
    !env.AUTH0_SPA_CLIENT_ID
  ) {
    throw new ConfigError(
      `to use a real tenant set all of ${tenantVariables.join(", ")} (missing: ${missing.join(", ")}); ` +
        "unset them all to use the local emulator",
    );
  }
  return {
    mode: "tenant",
    // A fixed port, because the tenant's SPA application must list this origin as a callback and web origin.
    port: env.PORT ?? 5173,
    domain: env.AUTH0_DOMAIN,
    clientId: env.AUTH0_CLIENT_ID,
    clientSecret: env.AUTH0_CLIENT_SECRET,
    spaClientId: env.AUTH0_SPA_CLIENT_ID,
    ...debug,
  };
}
