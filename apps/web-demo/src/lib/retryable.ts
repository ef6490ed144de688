/**
 * A promise made at the first call and shared by the next ones; made again after a failure, so a click after a
 * network error tries again instead of replaying the error.
 */
export function retryable<T>(make: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    current ??= make().catch((error: unknown) => {
      current = undefined;
      throw error;
    });
    return current;
  };
}
