import { createEmulator, type Emulator, type EmulatorOptions, seedUsers } from "@idlink/emulator";
import { afterAll, beforeAll, beforeEach } from "vitest";

export const { alice, aliceGoogle, bob, bobGithub, jane, janeSaml, frank, frankGithub, grace } = seedUsers;

/** One emulator per test file (a bucket too big to empty unless asked), reset to its seed before each test. */
export function useEmulator(options: EmulatorOptions = {}): () => Emulator {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await createEmulator({ rateLimit: { burst: 1_000_000, perSecond: 1_000_000 }, ...options });
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  beforeEach(() => {
    emulator?.state.reset();
  });
  return () => {
    if (!emulator) throw new Error("emulator not started");
    return emulator;
  };
}
