import type { ManagementClient } from "../http/client.ts";
import { ManagementApiError, ValidationError } from "../present/errors.ts";
import { echo } from "../present/text.ts";
import {
  type BindingSummary,
  type BindingWrite,
  summarizeBindings,
  withoutBinding,
  writeBindings,
} from "./bindings.ts";
import { ActionDeployError } from "./errors.ts";
import { deleteAction, listBindings } from "./operations.ts";
import { findOwnAction } from "./ownership.ts";
import { preflightActions } from "./preflight.ts";
import { linkActionDefaults, type TriggerRef } from "./request.ts";

/** What a removal will do: unbind idlink's Action (every other binding kept in its order), then delete it. */
export interface ActionRemovePlan {
  name: string;
  trigger: TriggerRef;
  /** Undefined: there is no Action of this name; nothing to do. */
  actionId: string | undefined;
  bindings: { before: BindingSummary[]; after: BindingSummary[]; change: "unbind" | "none" };
}

/** What a removal did. */
export interface ActionRemoveOutcome {
  removed: boolean;
  actionId: string | undefined;
  bindings: BindingWrite | undefined;
}

/** Plans removing idlink's Action (another Action of the same name is refused). Changes nothing. */
export async function planActionRemove(
  client: ManagementClient,
  options: { name?: string; trigger?: TriggerRef; dryRun?: boolean } = {},
): Promise<ActionRemovePlan> {
  const issues = preflightActions({
    token: await client.token(),
    command: options.dryRun ? "status" : "remove",
  });
  if (issues.length > 0) throw new ValidationError(issues, "token (checked before sending anything)");
  const name = options.name ?? linkActionDefaults.name;
  const trigger = options.trigger ?? linkActionDefaults.trigger;
  const own = await findOwnAction(client, name, trigger.id);
  const before = summarizeBindings(await listBindings(client, trigger.id), own?.id);
  const after = own?.id ? withoutBinding(before, own.id) : before;
  return {
    name,
    trigger,
    actionId: own?.id,
    bindings: { before, after, change: after.length === before.length ? "none" : "unbind" },
  };
}

/**
 * Unbinds idlink's Action from the trigger (re-reading the list just before writing, as deploy does), then deletes
 * it — in that order, since Auth0 refuses to delete an Action still bound (409). Never `force`. Nothing to remove is
 * not an error.
 */
export async function executeActionRemove(
  client: ManagementClient,
  plan: ActionRemovePlan,
): Promise<ActionRemoveOutcome> {
  const issues = preflightActions({ token: await client.token(), command: "remove" });
  if (issues.length > 0) throw new ValidationError(issues, "token (checked before sending anything)");
  const own = await findOwnAction(client, plan.name, plan.trigger.id);
  if (own?.id !== plan.actionId) {
    throw new ActionDeployError(
      "remove",
      "The Action changed since the plan was made. Nothing was sent: plan again.",
    );
  }
  const id = own?.id;
  if (!id) return { removed: false, actionId: undefined, bindings: undefined };
  const bindings = await writeBindings(
    client,
    plan.trigger.id,
    (current) => ({ ok: true, value: withoutBinding(current, id) }),
    {
      expected: plan.bindings.before,
      ownId: id,
    },
  );
  try {
    await deleteAction(client, id);
  } catch (error) {
    const bound = error instanceof ManagementApiError && error.status === 409;
    throw new ActionDeployError(
      "remove",
      bound
        ? `${echo(plan.name, 80)} was unbound, but Auth0 says it is bound again (409: someone bound it meanwhile); it was not deleted. Check the ${plan.trigger.id} flow in the dashboard, then run this again.`
        : `${echo(plan.name, 80)} was unbound from ${plan.trigger.id} and no longer runs, but deleting it failed (${error instanceof Error ? echo(error.message, 200) : "unknown error"}). Run this again to delete it.`,
    );
  }
  return { removed: true, actionId: id, bindings };
}
