import type { ErrorDescription } from "@idlink/core/browser";
import { useState } from "react";
import { toDescription } from "./describe.ts";

/** The busy flag, error and status line of a panel whose buttons run one request at a time. */
export function useAction() {
  const [error, setError] = useState<ErrorDescription | undefined>();
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);

  /** Runs `action` with the panel busy; a failure becomes the panel's error, in words. */
  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(undefined);
    setStatus("");
    try {
      await action();
    } catch (e) {
      setError(toDescription(e));
    } finally {
      setBusy(false);
    }
  }

  return { error, setError, status, setStatus, busy, run };
}
