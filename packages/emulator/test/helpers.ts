import { fetchChecked, useServer } from "@idlink/test-kit";
import {
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  seedDatabaseConnectionId,
  seedUsers,
} from "../src/index.ts";

export const { alice, aliceGoogle, bob, bobGithub, janeSaml, jane, frank, frankGithub, grace, carol } =
  seedUsers;
export const databaseConnectionId = seedDatabaseConnectionId;

export const enc = encodeURIComponent;

/** One emulator per test file (a bucket too big to empty unless asked), reset to its seed before each test. */
export function useEmulator(options: EmulatorOptions = {}): () => Emulator {
  return useServer(
    () => createEmulator({ rateLimit: { burst: 1_000_000, perSecond: 1_000_000 }, ...options }),
    (emulator) => emulator.state.reset(),
  );
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
}

/** A Management API call over real HTTP whose answer is checked against the fragment. */
export function call(em: Emulator, method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetchChecked(`${em.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
}

export const adminScopes = ["read:users", "update:users", "read:user_idp_tokens"];

export async function adminToken(em: Emulator): Promise<string> {
  return em.mintToken({ scopes: adminScopes });
}

export const identitiesPath = (id: string) => `/api/v2/users/${enc(id)}/identities`;
export const unlinkPath = (id: string, provider: string, userId: string) =>
  `/api/v2/users/${enc(id)}/identities/${enc(provider)}/${enc(userId)}`;
