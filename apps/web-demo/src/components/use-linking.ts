import { useCallback, useState } from "react";
import { type Linking, loadLinking } from "./load-linking.ts";

/**
 * Core's linking code once loaded (undefined before), and `need`, which loads it; a failure to load goes to
 * `onError`, and the next `need` tries again.
 */
export function useLinking(onError: (error: unknown) => void): [Linking | undefined, () => void] {
  const [linking, setLinking] = useState<Linking | undefined>();
  const need = useCallback(() => {
    if (!linking) loadLinking().then(setLinking, onError);
  }, [linking, onError]);
  return [linking, need];
}
