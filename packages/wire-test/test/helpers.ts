import { createEmulator, type Emulator, type EmulatorOptions, seedUsers } from "@idlink/emulator";
import { useServer } from "@idlink/test-kit";

export const { alice, aliceGoogle, bob, bobGithub, jane, janeSaml, frank, frankGithub, grace } = seedUsers;

/** One emulator per test file (a bucket too big to empty unless asked), reset to its seed before each test. */
export function useEmulator(options: EmulatorOptions = {}): () => Emulator {
  return useServer(
    () => createEmulator({ rateLimit: { burst: 1_000_000, perSecond: 1_000_000 }, ...options }),
    (emulator) => emulator.state.reset(),
  );
}
