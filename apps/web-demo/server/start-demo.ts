import { createManagementClient, tenantOrigin } from "@idlink/core";
import {
  adminClient,
  createEmulator,
  defaultSeed,
  type Emulator,
  type Seed,
  withSpaOrigins,
} from "@idlink/emulator";
import type { TenantSetup } from "./api.ts";
import { type DemoServer, startDemoServer } from "./demo-server.ts";
import type { DemoConfig } from "./env.ts";

export interface RunningDemo {
  /** The one URL to open. */
  url: string;
  server: DemoServer;
  /** Present when the demo started its own tenant. */
  emulator: Emulator | undefined;
  stop(): Promise<void>;
}

/** Starts the demo server and, without a configured tenant, a local emulator with the default seed. */
export async function startDemo(config: DemoConfig, clientDir: string, seed?: Seed): Promise<RunningDemo> {
  const server = await startDemoServer({ clientDir, port: config.port });
  let emulator: Emulator | undefined;
  try {
    if (config.mode === "tenant") {
      server.attach({
        mode: "tenant",
        tenant: tenantOrigin(config.domain),
        spaClientId: config.spaClientId,
        client: createManagementClient({
          domain: config.domain,
          clientCredentials: config.clientCredentials,
        }),
      });
    } else {
      // The page signs in to the seed's SPA client: its callback, logout URL and web origin are this server's.
      const tenantSeed = withSpaOrigins(seed ?? defaultSeed(), server.origins);
      emulator = await createEmulator({ seed: tenantSeed, corsOrigins: server.origins });
      server.attach(emulatorSetup(emulator, tenantSeed));
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  const running = emulator;
  return {
    url: `${server.origin}/`,
    server,
    emulator: running,
    async stop() {
      await Promise.allSettled([server.stop(), running?.stop()]);
    },
  };
}

function emulatorSetup(emulator: Emulator, seed: Seed): TenantSetup {
  const admin = adminClient(seed);
  const spa = seed.clients.find((c) => c.app_type === "spa");
  if (!admin || !spa) {
    throw new Error("the emulator's seed needs an M2M client with update:users and a SPA client");
  }
  return {
    mode: "emulator",
    tenant: emulator.url,
    spaClientId: spa.client_id,
    client: createManagementClient({
      domain: emulator.url,
      clientCredentials: admin,
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
