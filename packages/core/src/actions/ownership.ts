import type { ManagementClient } from "../http/client.ts";
import { echo } from "../present/text.ts";
import { ActionDeployError } from "./errors.ts";
import { readMarker } from "./marker.ts";
import { type Action, type ActionTriggerId, findActionsByName, getAction } from "./operations.ts";

/**
 * idlink's Action of this name on the trigger, read whole (draft and deployed version); undefined when there is none.
 * An Action of the same name whose draft and deployed code both lack idlink's marker is someone else's: refused,
 * never touched.
 */
export async function findOwnAction(
  client: ManagementClient,
  name: string,
  trigger: ActionTriggerId,
): Promise<Action | undefined> {
  const listed = await findActionsByName(client, name, trigger);
  if (listed.length === 0) return undefined;
  // The list's entries are read again by id: the draft's code and the deployed version are what decide.
  const actions = await Promise.all(listed.map((a) => getAction(client, a.id ?? "")));
  const own: Action[] = [];
  for (const action of actions) {
    if ((await readMarker(action.code)) || (await readMarker(action.deployed_version?.code)))
      own.push(action);
  }
  if (own.length === 0) {
    throw new ActionDeployError(
      "find",
      `An Action named ${echo(name, 80)} is on the tenant and is not idlink's: its code does not start with idlink's marker line. idlink never overwrites another Action. Deploy idlink's under another name (--name), or, if that one is an old copy nobody uses, delete or rename it in the dashboard (Actions → Library) first.`,
    );
  }
  if (own.length > 1) {
    throw new ActionDeployError(
      "find",
      `${own.length} Actions named ${echo(name, 80)} carry idlink's marker (${own.map((a) => a.id).join(", ")}): keep one and delete the others in the dashboard (Actions → Library), then run this again.`,
    );
  }
  return own[0];
}
