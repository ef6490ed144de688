import type { ManagementClient } from "../http/client.ts";
import { ValidationError } from "../present/errors.ts";
import { type BindingSummary, summarizeBindings } from "./bindings.ts";
import { markCode, readMarker } from "./marker.ts";
import { listBindings } from "./operations.ts";
import { findOwnAction } from "./ownership.ts";
import { preflightActions } from "./preflight.ts";
import { linkActionDefaults, type TriggerRef } from "./request.ts";

/** idlink's Action on a tenant, as `idlink action status` reports it. */
export interface ActionStatus {
  name: string;
  trigger: TriggerRef;
  /** False: no Action of this name (the bindings are still read). */
  exists: boolean;
  actionId: string | undefined;
  /** The draft: its build status, and whether everything in it is deployed. */
  draft: { status: string | undefined; allChangesDeployed: boolean | undefined } | undefined;
  /** The version that runs when the Action is bound. */
  deployed:
    | {
        versionId: string;
        number: number | undefined;
        runtime: string | undefined;
        builtAt: string | undefined;
        /** SHA-256 named by idlink's marker line, if the code has one. */
        hash: string | undefined;
        /** The code still hashes to its marker (not edited on the tenant since). */
        intact: boolean;
        /** The deployed code is the build given (`code`): true, false, or undefined when no build was given. */
        current: boolean | undefined;
      }
    | undefined;
  /** SHA-256 of the build given, if any. */
  expectedHash: string | undefined;
  /** The secrets' names the Action holds (values are never answered by Auth0). */
  secrets: string[];
  /** The trigger's bindings in the order they run; `position` is idlink's, from 1, if bound. */
  bindings: BindingSummary[];
  position: number | undefined;
}

/**
 * Reads idlink's Action and the trigger's bindings (`read:actions`): whether the deployed code is `code` (compared by
 * hash), which version runs, and where in the trigger's order it is bound. Changes nothing. Another Action of the
 * same name is refused, as deploy refuses it.
 */
export async function readActionStatus(
  client: ManagementClient,
  options: { name?: string; trigger?: TriggerRef; code?: string } = {},
): Promise<ActionStatus> {
  const issues = preflightActions({ token: await client.token(), command: "status" });
  if (issues.length > 0) throw new ValidationError(issues, "token (checked before sending anything)");
  const name = options.name ?? linkActionDefaults.name;
  const trigger = options.trigger ?? linkActionDefaults.trigger;
  const own = await findOwnAction(client, name, trigger.id);
  const expectedHash = options.code === undefined ? undefined : (await markCode(options.code)).hash;
  const bindings = summarizeBindings(await listBindings(client, trigger.id), own?.id);
  const index = bindings.findIndex((b) => b.idlink);
  const version = own?.deployed_version;
  const marker = await readMarker(version?.code);
  return {
    name,
    trigger,
    exists: own !== undefined,
    actionId: own?.id,
    draft: own ? { status: own.status, allChangesDeployed: own.all_changes_deployed } : undefined,
    deployed: version?.id
      ? {
          versionId: version.id,
          number: version.number,
          runtime: version.runtime,
          builtAt: version.built_at,
          hash: marker?.hash,
          intact: marker?.intact ?? false,
          current:
            expectedHash === undefined ? undefined : marker?.intact === true && marker.hash === expectedHash,
        }
      : undefined,
    expectedHash,
    secrets: (own?.secrets ?? []).map((s) => s.name ?? "").filter(Boolean),
    bindings,
    position: index >= 0 ? index + 1 : undefined,
  };
}
