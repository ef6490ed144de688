import { createManagementClient, type DebugSink } from "@idlink/core";
import { clientCredentialsToken } from "@idlink/core/node";
import {
  adminClient,
  createEmulator,
  defaultSeed,
  type Emulator,
  type Seed,
  withSpaOrigins,
} from "@idlink/emulator";
import { linkPagePath } from "../src/link/link-types.ts";
import type { TenantSetup } from "./api.ts";
import { type DemoServer, startDemoServer } from "./demo-server.ts";
import type { DemoConfig } from "./env.ts";
import { createLinkSecret, linkAtLoginSetup } from "./link-at-login.ts";

export interface RunningDemo {
  /** The one URL to open. */
  url: string;
  server: DemoServer;
  /** Present when the demo started its own tenant. */
  emulator: Emulator | undefined;
  /**
   * The linking page, for whoever loads the post-login Action (its LINK_PAGE_URL and SESSION_TOKEN_SECRET): with the
   * emulator, a secret drawn at this start (or IDLINK_LINK_SESSION_SECRET); with a tenant, only when that is set.
   */
  linkAtLogin: LinkAtLoginInfo | undefined;
  stop(): Promise<void>;
}

export interface LinkAtLoginInfo {
  /** `<demo origin>/link`: the Action's LINK_PAGE_URL. */
  pageUrl: string;
  /** The Action's SESSION_TOKEN_SECRET. */
  sessionSecret: string;
}

export interface TenantOptions {
  /** The emulator's tenant (default: its default seed). */
  seed?: Seed | undefined;
  /** Receives the Management client's debug trail (start.ts writes it to stderr when IDLINK_DEBUG is on). */
  onEvent?: DebugSink | undefined;
}

/** Starts the demo server and, without a configured tenant, a local emulator with the default seed. */
export async function startDemo(
  config: DemoConfig,
  clientDir: string | undefined,
  options: TenantOptions = {},
): Promise<RunningDemo> {
  const server = await startDemoServer({ clientDir, port: config.port });
  let emulator: Emulator | undefined;
  try {
    emulator = await attachTenant(server, config, server.origins, options);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const running = emulator;
  const secret = server.linkAtLogin()?.secret;
  return {
    url: `${server.origin}/`,
    server,
    emulator: running,
    linkAtLogin:
      secret === undefined
        ? undefined
        : { pageUrl: `${server.origin}${linkPagePath}`, sessionSecret: secret },
    async stop() {
      await Promise.allSettled([server.stop(), running?.stop()]);
    },
  };
}

/**
 * Connects the demo server to its tenant: the configured one, or a new emulator whose SPA client accepts the page
 * from `pageOrigins` (its callback, logout URL, web origin and CORS). Answers the emulator it started, if any.
 */
export async function attachTenant(
  server: DemoServer,
  config: DemoConfig,
  pageOrigins: string[],
  options: TenantOptions = {},
): Promise<Emulator | undefined> {
  const { onEvent } = options;
  if (config.mode === "tenant") {
    const secret = config.linkSessionSecret;
    server.attach({
      mode: "tenant",
      tenant: config.domain.origin,
      spaClientId: config.spaClientId,
      linkAtLogin:
        secret === undefined
          ? undefined
          : linkAtLoginSetup({
              secret,
              tenant: config.domain.origin,
              spaClientId: config.spaClientId,
              pageOrigin: pageOrigins[0] ?? server.origin,
            }),
      client: createManagementClient({
        domain: config.domain,
        getToken: clientCredentialsToken(config.clientCredentials),
        ...(onEvent ? { onEvent } : {}),
      }),
    });
    return undefined;
  }
  const tenantSeed = withSpaOrigins(options.seed ?? defaultSeed(), pageOrigins);
  const emulator = await createEmulator({ seed: tenantSeed, corsOrigins: pageOrigins });
  try {
    server.attach(
      emulatorSetup(emulator, tenantSeed, {
        onEvent,
        linkSecret: config.linkSessionSecret ?? createLinkSecret(),
        pageOrigin: pageOrigins[0] ?? server.origin,
      }),
    );
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return emulator;
}

/** The demo's setup for an emulator it started: its M2M admin client, its SPA client, the linking page's secret. */
export function emulatorSetup(
  emulator: Emulator,
  seed: Seed,
  options: { onEvent?: DebugSink | undefined; linkSecret: string; pageOrigin: string },
): TenantSetup {
  const { onEvent, linkSecret, pageOrigin } = options;
  const admin = adminClient(seed);
  const spa = seed.clients.find((c) => c.app_type === "spa");
  if (!admin || !spa) {
    throw new Error("the emulator's seed needs an M2M client with update:users and a SPA client");
  }
  return {
    mode: "emulator",
    tenant: emulator.url,
    spaClientId: spa.client_id,
    linkAtLogin: linkAtLoginSetup({
      secret: linkSecret,
      tenant: emulator.url,
      spaClientId: spa.client_id,
      pageOrigin,
    }),
    client: createManagementClient({
      domain: emulator.url,
      getToken: clientCredentialsToken(admin),
      ...(onEvent ? { onEvent } : {}),
    }),
    devUsers: () =>
      emulator.state.listUsers().map((u) => ({
        user_id: u.user_id,
        name: u.name,
        email: u.email,
        email_verified: u.email_verified,
      })),
  };
}
