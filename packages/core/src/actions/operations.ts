import type { components } from "../generated/management-api.ts";
import type { ApiResult, ManagementClient } from "../http/client.ts";
import { ValidationError } from "../present/errors.ts";

export type Action = components["schemas"]["GetActionResponseContent"];
export type ActionVersion = components["schemas"]["ActionVersion"];
export type DeployedVersion = components["schemas"]["DeployActionResponseContent"];
export type ActionBinding = components["schemas"]["ActionBinding"];
export type ActionTrigger = components["schemas"]["ActionTrigger"];
export type ActionTriggerId = components["schemas"]["ActionTriggerTypeEnum"];
export type ActionBuildStatus = components["schemas"]["ActionBuildStatusEnum"];
export type CreateActionBody = components["schemas"]["CreateActionRequestContent"];
export type UpdateActionBody = components["schemas"]["UpdateActionRequestContent"];
/** One entry of the list `PATCH /actions/triggers/{triggerId}/bindings` replaces the trigger's bindings with. */
export type BindingEntry = components["schemas"]["ActionBindingWithRef"];

const actionsPath = "/actions/actions";
const actionPath = "/actions/actions/{id}";
const deployPath = "/actions/actions/{id}/deploy";
const versionsPath = "/actions/actions/{actionId}/versions";
const triggersPath = "/actions/triggers";
const bindingsPath = "/actions/triggers/{triggerId}/bindings";

/** Pages asked for at a time (recorded answers of Auth0 honour 100 for bindings: terraform-provider-auth0). */
const perPage = 100;
/** A list that keeps answering full pages past this many is not a tenant's list: stop rather than loop. */
const maxPages = 50;

function checkId(id: unknown, what: string): asserts id is string {
  if (typeof id !== "string" || id.trim() === "" || id.length > 256) {
    throw new ValidationError([
      { path: what, message: `${what} must be an Action's id, as Auth0 answers it` },
    ]);
  }
}

/**
 * Every page of a list until one comes back short. Auth0's pages start at 0; a recorded page past the first carries
 * no `total`, so the length of each page decides, not `total`.
 */
async function allPages<T>(read: (page: number) => Promise<T[]>): Promise<T[]> {
  const all: T[] = [];
  for (let page = 0; page < maxPages; page++) {
    const items = await read(page);
    all.push(...items);
    if (items.length < perPage) return all;
  }
  return all;
}

/** The tenant's Actions of this name on this trigger (`read:actions`), every page. */
export async function findActionsByName(
  client: ManagementClient,
  name: string,
  trigger: ActionTriggerId,
): Promise<Action[]> {
  return allPages(async (page) => {
    const answer = await client.send(
      { operation: "Get actions", method: "GET", path: actionsPath },
      (api, fetch) =>
        api.GET(actionsPath, {
          params: { query: { actionName: name, triggerId: trigger, page, per_page: perPage } },
          fetch,
        }),
    );
    // The filter is Auth0's; the name is compared again here, exactly.
    return (answer.actions ?? []).filter((action) => action.name === name);
  });
}

/** An Action: its draft (code, runtime, secret names, build status) and its deployed version (`read:actions`). */
export async function getAction(client: ManagementClient, id: string): Promise<Action> {
  checkId(id, "action id");
  return client.send({ operation: "Get action", method: "GET", path: actionPath }, (api, fetch) =>
    api.GET(actionPath, { params: { path: { id } }, fetch }),
  );
}

/** Creates an Action (a draft Auth0 then builds): `create:actions`. */
export async function createAction(client: ManagementClient, body: CreateActionBody): Promise<Action> {
  return client.send({ operation: "Create action", method: "POST", path: actionsPath }, (api, fetch) =>
    api.POST(actionsPath, { body, fetch }),
  );
}

/** Updates an Action's draft (rebuilt by Auth0; what runs changes only on deploy): `update:actions`. */
export async function updateAction(
  client: ManagementClient,
  id: string,
  body: UpdateActionBody,
): Promise<Action> {
  checkId(id, "action id");
  return client.send({ operation: "Update action", method: "PATCH", path: actionPath }, (api, fetch) =>
    api.PATCH(actionPath, { params: { path: { id } }, body, fetch }),
  );
}

/** Deploys the built draft as a new version (`create:actions`); answers the version, maybe not yet deployed. */
export async function deployDraft(client: ManagementClient, id: string): Promise<DeployedVersion> {
  checkId(id, "action id");
  return client.send({ operation: "Deploy action", method: "POST", path: deployPath }, (api, fetch) =>
    api.POST(deployPath, { params: { path: { id } }, fetch }),
  );
}

/** Deletes an Action and its versions (`delete:actions`); Auth0 refuses one still bound (409). Never `force`. */
export async function deleteAction(client: ManagementClient, id: string): Promise<true> {
  checkId(id, "action id");
  return client.send(
    { operation: "Delete action", method: "DELETE", path: actionPath },
    async (api, fetch): Promise<ApiResult<true>> => {
      const result = await api.DELETE(actionPath, { params: { path: { id } }, fetch });
      // 204 has no body: openapi-fetch answers no data, which the client would take for a malformed answer.
      return result.response.ok ? { data: true, response: result.response } : result;
    },
  );
}

/** Every version of an Action, newest first (`read:actions`). */
export async function listVersions(client: ManagementClient, id: string): Promise<ActionVersion[]> {
  checkId(id, "action id");
  const versions = await allPages(async (page) => {
    const answer = await client.send(
      { operation: "Get action versions", method: "GET", path: versionsPath },
      (api, fetch) =>
        api.GET(versionsPath, {
          params: { path: { actionId: id }, query: { page, per_page: perPage } },
          fetch,
        }),
    );
    return answer.versions ?? [];
  });
  return versions.sort((a, b) => (b.number ?? 0) - (a.number ?? 0));
}

/** The triggers Actions can be bound to, with their versions and binding policy (`read:actions`). */
export async function listTriggers(client: ManagementClient): Promise<ActionTrigger[]> {
  const answer = await client.send(
    { operation: "Get triggers", method: "GET", path: triggersPath },
    (api, fetch) => api.GET(triggersPath, { fetch }),
  );
  return answer.triggers ?? [];
}

/** A trigger's bindings in the order they run, every page (`read:actions`). */
export async function listBindings(
  client: ManagementClient,
  trigger: ActionTriggerId,
): Promise<ActionBinding[]> {
  return allPages(async (page) => {
    const answer = await client.send(
      { operation: "Get trigger bindings", method: "GET", path: bindingsPath },
      (api, fetch) =>
        api.GET(bindingsPath, {
          params: { path: { triggerId: trigger }, query: { page, per_page: perPage } },
          fetch,
        }),
    );
    return answer.bindings ?? [];
  });
}

/** Replaces a trigger's bindings with `entries`, in that order (`update:actions`); answers the new list. */
export async function replaceBindings(
  client: ManagementClient,
  trigger: ActionTriggerId,
  entries: BindingEntry[],
): Promise<ActionBinding[]> {
  const answer = await client.send(
    { operation: "Update trigger bindings", method: "PATCH", path: bindingsPath },
    (api, fetch) =>
      api.PATCH(bindingsPath, {
        params: { path: { triggerId: trigger } },
        body: { bindings: entries },
        fetch,
      }),
  );
  return answer.bindings ?? [];
}
