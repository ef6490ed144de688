import type { DebugSink } from "@idlink/core";
import { getManagementToken } from "@idlink/core/node";
import type { Config } from "./env.ts";

/**
 * Asks for the Management token of a machine-to-machine application now, before the first call needs it: the
 * request travels while the SDK server loads. Core caches the token (`getManagementToken`, per tenant, client and
 * audience, shared with the client's own token source), so the first call finds it. A failure is left to that call:
 * core drops a failed request from its cache, the call asks again and reports what fails then. The token itself is
 * never seen here.
 */
export function prefetchToken(config: Config, onEvent?: DebugSink): void {
  const { credentials, domain } = config;
  if (!("clientCredentials" in credentials)) return;
  getManagementToken({ ...credentials.clientCredentials, domain, ...(onEvent ? { onEvent } : {}) }).catch(
    () => {},
  );
}
