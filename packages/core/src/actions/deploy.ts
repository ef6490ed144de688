import type { ManagementClient } from "../http/client.ts";
import { OutcomeUnknownError, ValidationError } from "../present/errors.ts";
import { echo } from "../present/text.ts";
import {
  type BindingPosition,
  type BindingSummary,
  type BindingWrite,
  placeBinding,
  sameBindings,
  summarizeBindings,
  writeBindings,
} from "./bindings.ts";
import { type ActionProgress, type WaitOptions, waitForBuild, waitForDeployed } from "./build.ts";
import { ActionDeployError } from "./errors.ts";
import { markCode, readMarker, shortHash } from "./marker.ts";
import {
  type Action,
  createAction,
  deleteAction,
  deployDraft,
  listBindings,
  listTriggers,
  updateAction,
} from "./operations.ts";
import { findOwnAction } from "./ownership.ts";
import { type ActionCommand, preflightActions } from "./preflight.ts";
import type { ActionDeployRequest, TriggerRef } from "./request.ts";

/**
 * What a deploy will do, read from the tenant and shown before anything changes: never a secret's value, never the
 * code (its hash stands for it).
 */
export interface ActionDeployPlan {
  name: string;
  trigger: TriggerRef;
  runtime: string;
  /**
   * `create`: no Action of this name yet. `update`: idlink's Action gets this code, runtime or secrets, then a new
   * version. `deploy`: its draft already holds them; only a new version is deployed. `unchanged`: the deployed version
   * is this code, runtime and secrets — no new version (only the binding may move).
   */
  change: "create" | "update" | "deploy" | "unchanged";
  actionId: string | undefined;
  /** What differs from the deployed version, in words. */
  differences: string[];
  /** SHA-256 of the code to deploy (idlink's marker line carries it). */
  hash: string;
  /** The version that runs now, if any. */
  deployed: { versionId: string; number: number | undefined; hash: string | undefined } | undefined;
  /** The secrets' names the Action gets (their values are sent, never shown). */
  secrets: string[];
  bindings: {
    before: BindingSummary[];
    after: BindingSummary[];
    change: "bind" | "move" | "none";
    /** idlink's place in `after`, from 1. */
    position: number;
  };
  warnings: string[];
}

export interface ActionDeployOptions {
  /** Where idlink's binding goes; without one a bound Action keeps its place and a new one goes last. */
  position?: BindingPosition | undefined;
  /** Send the secrets' values again (and deploy a new version) even when nothing else changed. */
  updateSecrets?: boolean | undefined;
}

/** What a deploy did. */
export interface ActionDeployOutcome {
  change: ActionDeployPlan["change"];
  actionId: string;
  /** The version that runs now. */
  version: { id: string; number: number | undefined };
  hash: string;
  bindings: BindingWrite;
}

/** A placeholder for the id of an Action the plan would create. */
const newActionId = "(new)";

async function preflight(client: ManagementClient, command: ActionCommand): Promise<void> {
  const issues = preflightActions({ token: await client.token(), command });
  if (issues.length > 0) throw new ValidationError(issues, "token (checked before sending anything)");
}

/** The trigger exists on the tenant in this version, with bindings the tenant manages. */
async function checkTrigger(client: ManagementClient, trigger: TriggerRef): Promise<void> {
  const entries = (await listTriggers(client)).filter((t) => t.id === trigger.id);
  const problem =
    entries.length === 0
      ? `the tenant lists no ${trigger.id} trigger`
      : !entries.some((t) => t.version === trigger.version)
        ? `the tenant's ${trigger.id} trigger has no version ${echo(trigger.version)} (it has ${entries.map((t) => t.version).join(", ")})`
        : entries.find((t) => t.version === trigger.version)?.binding_policy === "entity-bound"
          ? `the ${trigger.id} trigger's bindings are managed by Auth0 (entity-bound), not by the tenant`
          : undefined;
  if (problem)
    throw new ActionDeployError("find", `Cannot deploy to ${trigger.id}: ${problem}. Nothing was sent.`);
}

const secretNames = (action: Action | undefined) => (action?.secrets ?? []).map((s) => s.name ?? "").sort();
const sameNames = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Plans a deploy: checks the token (every scope a deploy needs; a dry run needs only `read:actions`), the trigger,
 * idlink's Action of this name (another Action of that name is refused) and the trigger's bindings, and says what
 * will be created or updated and the bindings before and after. Changes nothing.
 */
export async function planActionDeploy(
  client: ManagementClient,
  request: ActionDeployRequest,
  options: ActionDeployOptions & { dryRun?: boolean } = {},
): Promise<ActionDeployPlan> {
  await preflight(client, options.dryRun ? "status" : "deploy");
  await checkTrigger(client, request.trigger);
  const own = await findOwnAction(client, request.name, request.trigger.id);
  const { hash } = await markCode(request.code);
  const wanted = Object.keys(request.secrets).sort();
  const warnings = [...request.warnings];
  const deployedVersion = own?.deployed_version;
  const deployedMarker = await readMarker(deployedVersion?.code);
  const differences: string[] = [];
  let change: ActionDeployPlan["change"] = "create";
  if (own) {
    if (!deployedVersion?.id) differences.push("never deployed");
    else {
      if (!deployedMarker || deployedMarker.hash !== hash) differences.push("code");
      else if (!deployedMarker.intact)
        differences.push("code (edited on the tenant since idlink deployed it)");
      if (deployedVersion.runtime !== request.runtime)
        differences.push(`runtime (${deployedVersion.runtime ?? "none"} → ${request.runtime})`);
    }
    if (!sameNames(secretNames(own), wanted)) differences.push("secret names");
    if (options.updateSecrets) differences.push("secret values (asked for)");
    const draftMarker = await readMarker(own.code);
    const draftReady =
      draftMarker?.intact === true &&
      draftMarker.hash === hash &&
      own.runtime === request.runtime &&
      sameNames(secretNames(own), wanted) &&
      !options.updateSecrets &&
      own.status === "built";
    change = differences.length === 0 ? "unchanged" : draftReady ? "deploy" : "update";
    if (own.all_changes_deployed === false && change !== "deploy") {
      warnings.push(
        change === "unchanged"
          ? "the Action's draft holds changes that were never deployed (edited in the dashboard?); idlink leaves them as they are"
          : "the Action's draft holds changes that were never deployed (edited in the dashboard?); this deploy replaces them",
      );
    }
  }
  const before = summarizeBindings(await listBindings(client, request.trigger.id), own?.id);
  const ownBinding = {
    action_id: own?.id ?? newActionId,
    action_name: request.name,
    display_name: request.name,
  };
  const placed = placeBinding(before, ownBinding, options.position);
  if (!placed.ok) throw new ValidationError(placed.issues, "binding position");
  const after = placed.value;
  const wasBound = before.some((b) => b.idlink);
  return {
    name: request.name,
    trigger: request.trigger,
    runtime: request.runtime,
    change,
    actionId: own?.id,
    differences,
    hash,
    deployed: deployedVersion?.id
      ? { versionId: deployedVersion.id, number: deployedVersion.number, hash: deployedMarker?.hash }
      : undefined,
    secrets: wanted,
    bindings: {
      before,
      after,
      change: sameBindings(before, after) ? "none" : wasBound ? "move" : "bind",
      position: after.findIndex((b) => b.idlink) + 1,
    },
    warnings,
  };
}

export interface ExecuteDeployOptions extends ActionDeployOptions {
  wait?: WaitOptions;
  /** Each step as it starts: `create`, `update`, `build`, `deploy`, `bind`; and each read of a wait. */
  onStep?: (step: string) => void;
  onProgress?: (progress: ActionProgress) => void;
}

/**
 * Carries out a plan: creates or updates the Action (its code carrying idlink's marker), waits for its build,
 * deploys it, waits until it runs, then binds it to the trigger keeping every other binding in its order. Nothing
 * half-done is left: a failed build puts the draft's previous code back (or deletes the Action this run created),
 * and the version deployed before keeps running; an Action created here that cannot be bound is deleted again.
 */
export async function executeActionDeploy(
  client: ManagementClient,
  plan: ActionDeployPlan,
  request: ActionDeployRequest,
  options: ExecuteDeployOptions = {},
): Promise<ActionDeployOutcome> {
  await preflight(client, "deploy");
  const own = await findOwnAction(client, request.name, request.trigger.id);
  if (own?.id !== plan.actionId) {
    throw new ActionDeployError(
      "find",
      `idlink's Action ${echo(request.name, 80)} was ${plan.actionId ? "removed or replaced" : "created by someone else"} since the plan was made. Nothing was sent: plan again.`,
    );
  }
  const wait = { ...options.wait, ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  const marked = await markCode(request.code);
  if (marked.hash !== plan.hash) {
    throw new ActionDeployError(
      "find",
      "The code changed since the plan was made. Nothing was sent: plan again.",
    );
  }
  const secrets = Object.entries(request.secrets).map(([name, value]) => ({ name, value }));
  let actionId = plan.actionId;
  let created = false;
  let version = plan.deployed ? { id: plan.deployed.versionId, number: plan.deployed.number } : undefined;

  if (plan.change !== "unchanged") {
    const previousDraft = own ? { code: own.code, runtime: own.runtime } : undefined;
    if (plan.change === "create") {
      options.onStep?.("create");
      const action = await createAction(client, {
        name: request.name,
        supported_triggers: [{ id: request.trigger.id, version: request.trigger.version }],
        code: marked.code,
        runtime: request.runtime,
        dependencies: [],
        secrets,
      });
      if (!action.id)
        throw new ActionDeployError(
          "create",
          "Auth0 created the Action but answered no id: run `idlink action status`.",
        );
      actionId = action.id;
      created = true;
    } else if (plan.change === "update" && actionId) {
      options.onStep?.("update");
      await updateAction(client, actionId, { code: marked.code, runtime: request.runtime, secrets });
    }
    if (!actionId) throw new ActionDeployError("find", "No Action to deploy: plan again.");
    const id = actionId;
    /** Leaves the tenant as it was: the Action created here deleted, or the draft's previous code put back. */
    const undo = async (): Promise<string[]> => {
      try {
        if (created) {
          await deleteAction(client, id);
          return ["deleted the Action this run had created"];
        }
        if (plan.change === "update" && previousDraft?.code !== undefined) {
          await updateAction(client, id, {
            code: previousDraft.code,
            ...(previousDraft.runtime ? { runtime: previousDraft.runtime } : {}),
          });
          return ["put the draft's previous code back"];
        }
        return [];
      } catch (error) {
        return [`could not undo (${error instanceof Error ? echo(error.message, 200) : "unknown error"})`];
      }
    };
    const running = plan.deployed
      ? `Version ${plan.deployed.number ?? "?"}, deployed before, keeps running.`
      : "No version of it runs.";

    options.onStep?.("build");
    const build = await waitForBuild(client, id, wait);
    if (build.status !== "built") {
      const restored = await undo();
      const why =
        build.status === "failed"
          ? `Auth0 could not build the Action's code (status failed; Auth0's answer gives no reason for a draft's build: the dashboard shows it under Actions → Library → ${echo(request.name, 80)}).`
          : `Auth0 had not finished building the Action after ${Math.round((wait.timeoutMs ?? 120_000) / 1000)} s (status ${build.action.status ?? "unknown"}).`;
      throw new ActionDeployError(
        "build",
        `${why} ${running}${restored.length > 0 ? ` idlink ${restored.join(" and ")}.` : ""} Fix the code (or wait) and deploy again.`,
        restored,
      );
    }

    options.onStep?.("deploy");
    const deployed = await deployDraft(client, id);
    const outcome = await waitForDeployed(client, id, deployed, wait);
    if (outcome.status !== "deployed") {
      const restored = await undo();
      const why =
        outcome.status === "failed"
          ? `Auth0 could not build the new version${outcome.errors.length > 0 ? `: ${outcome.errors.map((e) => echo(e.msg ?? e.id ?? "", 200)).join("; ")}` : ""}.`
          : "Auth0 had not switched to the new version in time.";
      throw new ActionDeployError(
        "deploy",
        `${why} ${running}${restored.length > 0 ? ` idlink ${restored.join(" and ")}.` : ""} Run \`idlink action status\`, then deploy again.`,
        restored,
      );
    }
    version = { id: deployed.id ?? "", number: outcome.action.deployed_version?.number ?? deployed.number };
  }
  if (!actionId || !version) throw new ActionDeployError("find", "No deployed version to bind: plan again.");

  options.onStep?.("bind");
  const ownBinding = { action_id: actionId, action_name: request.name, display_name: request.name };
  const expected = plan.bindings.before.map((b) =>
    b.action_id === newActionId ? { ...b, action_id: actionId } : b,
  );
  let bindings: BindingWrite;
  try {
    bindings = await writeBindings(
      client,
      request.trigger.id,
      (current) => placeBinding(current, ownBinding, options.position),
      { expected, ownId: actionId },
    );
  } catch (error) {
    // A binding write whose answer was lost may have been applied: the Action then runs, and is left as it is.
    if (!created || error instanceof OutcomeUnknownError) throw error;
    try {
      await deleteAction(client, actionId);
    } catch {
      throw error;
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new ActionDeployError(
      "bind",
      `${message} The Action this run had created was deleted again; nothing else changed.`,
      ["deleted the Action this run had created"],
    );
  }
  return { change: plan.change, actionId, version, hash: plan.hash, bindings };
}

/** A plan in a line: "create idlink-account-linking (code 1a2b3c4d5e6f), bind it last (3rd of 3)". */
export function describeDeployPlan(plan: ActionDeployPlan): string {
  const what = {
    create: `create ${plan.name} and deploy it`,
    update: `update ${plan.name} (${plan.differences.join(", ")}) and deploy a new version`,
    deploy: `deploy ${plan.name}'s built draft (${plan.differences.join(", ")})`,
    unchanged: `${plan.name} already runs this code (no new version)`,
  }[plan.change];
  const where = {
    bind: `bind it at ${plan.bindings.position} of ${plan.bindings.after.length}`,
    move: `move it to ${plan.bindings.position} of ${plan.bindings.after.length}`,
    none: `its binding stays at ${plan.bindings.position} of ${plan.bindings.after.length}`,
  }[plan.bindings.change];
  return `${what}, code ${shortHash(plan.hash)}; ${where} on ${plan.trigger.id}`;
}
