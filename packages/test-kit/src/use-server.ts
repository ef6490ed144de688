import { afterAll, beforeAll, beforeEach } from "vitest";

/**
 * One server per test file: started before its first test, stopped after its last, and `reset` before each test.
 * Answers a getter, since the server exists only once the file's tests run.
 */
export function useServer<T extends { stop(): Promise<void> }>(
  start: () => Promise<T>,
  reset: (server: T) => void,
): () => T {
  let server: T | undefined;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    if (server) reset(server);
  });
  return () => {
    if (!server) throw new Error("the server was not started (use it inside a test or hook)");
    return server;
  };
}
