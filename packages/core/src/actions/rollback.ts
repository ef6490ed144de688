import type { ManagementClient } from "../http/client.ts";
import { ValidationError } from "../present/errors.ts";
import { echo } from "../present/text.ts";
import { type ActionProgress, type WaitOptions, waitForBuild, waitForDeployed } from "./build.ts";
import { ActionDeployError } from "./errors.ts";
import { readMarker } from "./marker.ts";
import { type ActionVersion, deployDraft, listVersions, updateAction } from "./operations.ts";
import { findOwnAction } from "./ownership.ts";
import { type ActionCommand, preflightActions } from "./preflight.ts";
import { linkActionDefaults, type TriggerRef } from "./request.ts";

/** A version as rollback plans name it. */
export interface VersionSummary {
  versionId: string;
  number: number | undefined;
  hash: string | undefined;
  runtime: string | undefined;
}

/** What a rollback will do: deploy `to`'s code again in place of `from`'s. */
export interface ActionRollbackPlan {
  name: string;
  trigger: TriggerRef;
  actionId: string;
  from: VersionSummary;
  to: VersionSummary;
}

/** What a rollback did: the version it deployed (a new one, holding `to`'s code). */
export interface ActionRollbackOutcome {
  actionId: string;
  from: VersionSummary;
  to: VersionSummary;
  version: { id: string; number: number | undefined };
}

async function preflight(client: ManagementClient, command: ActionCommand): Promise<void> {
  const issues = preflightActions({ token: await client.token(), command });
  if (issues.length > 0) throw new ValidationError(issues, "token (checked before sending anything)");
}

async function summarize(version: ActionVersion | undefined): Promise<VersionSummary | undefined> {
  if (!version?.id) return undefined;
  return {
    versionId: version.id,
    number: version.number,
    hash: (await readMarker(version.code))?.hash,
    runtime: version.runtime,
  };
}

/**
 * Plans going back to the version deployed before the one that runs (or to version `toVersion`): the latest earlier
 * version that was built and holds other code. Auth0 keeps every version; rolling back deploys that version's code
 * again as a new version (the definition idlink uses has no "deploy this version" operation). Changes nothing.
 */
export async function planActionRollback(
  client: ManagementClient,
  options: { name?: string; trigger?: TriggerRef; toVersion?: number; dryRun?: boolean } = {},
): Promise<ActionRollbackPlan> {
  await preflight(client, options.dryRun ? "status" : "rollback");
  const name = options.name ?? linkActionDefaults.name;
  const trigger = options.trigger ?? linkActionDefaults.trigger;
  const own = await findOwnAction(client, name, trigger.id);
  if (!own?.id) {
    throw new ActionDeployError(
      "rollback",
      `There is no Action named ${echo(name, 80)} to roll back: deploy it first.`,
    );
  }
  const running = own.deployed_version;
  if (!running?.id) {
    throw new ActionDeployError(
      "rollback",
      `${echo(name, 80)} was never deployed: there is nothing to roll back.`,
    );
  }
  const versions = await listVersions(client, own.id);
  const current = versions.find((v) => v.id === running.id) ?? running;
  const earlier = versions.filter(
    (v) =>
      v.id !== running.id &&
      v.status === "built" &&
      (v.number ?? 0) < (current.number ?? Number.POSITIVE_INFINITY),
  );
  const target =
    options.toVersion !== undefined
      ? versions.find((v) => v.number === options.toVersion)
      : earlier.find((v) => v.code !== current.code);
  if (!target) {
    throw new ActionDeployError(
      "rollback",
      options.toVersion !== undefined
        ? `${echo(name, 80)} has no version ${options.toVersion} (it has ${versions.map((v) => v.number).join(", ") || "none"}).`
        : `${echo(name, 80)} has no earlier version with other code to go back to (version ${current.number ?? "?"} runs).`,
    );
  }
  if (target.id === running.id) {
    throw new ActionDeployError("rollback", `Version ${target.number ?? "?"} is the one that runs already.`);
  }
  if (target.status !== "built") {
    throw new ActionDeployError(
      "rollback",
      `Version ${target.number ?? "?"} was never built (status ${target.status ?? "unknown"}): pick another.`,
    );
  }
  const from = await summarize(current as ActionVersion);
  const to = await summarize(target);
  if (!from || !to) throw new ActionDeployError("rollback", "Auth0 answered versions without ids.");
  return { name, trigger, actionId: own.id, from, to };
}

/**
 * Puts the target version's code and runtime back in the draft, waits for the build, deploys it and waits until it
 * runs. The Action's secrets stay as they are. A failed build puts the draft's code back and leaves the running
 * version running.
 */
export async function executeActionRollback(
  client: ManagementClient,
  plan: ActionRollbackPlan,
  options: {
    wait?: WaitOptions;
    onStep?: (step: string) => void;
    onProgress?: (p: ActionProgress) => void;
  } = {},
): Promise<ActionRollbackOutcome> {
  await preflight(client, "rollback");
  const wait = { ...options.wait, ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  const own = await findOwnAction(client, plan.name, plan.trigger.id);
  if (own?.id !== plan.actionId || own.deployed_version?.id !== plan.from.versionId) {
    throw new ActionDeployError(
      "rollback",
      "The Action changed since the plan was made (another deploy or rollback). Nothing was sent: plan again.",
    );
  }
  const target = (await listVersions(client, plan.actionId)).find((v) => v.id === plan.to.versionId);
  if (target?.code === undefined) {
    throw new ActionDeployError(
      "rollback",
      `Version ${plan.to.number ?? "?"} is gone from the tenant. Nothing was sent.`,
    );
  }
  const previous = { code: own.code, runtime: own.runtime };
  options.onStep?.("update");
  await updateAction(client, plan.actionId, {
    code: target.code,
    ...(target.runtime ? { runtime: target.runtime } : {}),
  });
  const restore = async (): Promise<string[]> => {
    if (previous.code === undefined) return [];
    try {
      await updateAction(client, plan.actionId, {
        code: previous.code,
        ...(previous.runtime ? { runtime: previous.runtime } : {}),
      });
      return ["put the draft's previous code back"];
    } catch (error) {
      return [
        `could not put the draft back (${error instanceof Error ? echo(error.message, 200) : "unknown error"})`,
      ];
    }
  };
  const running = `Version ${plan.from.number ?? "?"} keeps running.`;
  options.onStep?.("build");
  const build = await waitForBuild(client, plan.actionId, wait);
  if (build.status !== "built") {
    const restored = await restore();
    throw new ActionDeployError(
      "build",
      `Auth0 ${build.status === "failed" ? "could not build" : "had not finished building"} version ${plan.to.number ?? "?"}'s code. ${running} idlink ${restored.join(" and ") || "changed nothing else"}.`,
      restored,
    );
  }
  options.onStep?.("deploy");
  const deployed = await deployDraft(client, plan.actionId);
  const outcome = await waitForDeployed(client, plan.actionId, deployed, wait);
  if (outcome.status !== "deployed") {
    const restored = await restore();
    throw new ActionDeployError(
      "deploy",
      `Auth0 did not switch to the rolled-back code${outcome.status === "failed" ? " (its build failed)" : " in time"}. ${running} idlink ${restored.join(" and ") || "changed nothing else"}.`,
      restored,
    );
  }
  return {
    actionId: plan.actionId,
    from: plan.from,
    to: plan.to,
    version: { id: deployed.id ?? "", number: outcome.action.deployed_version?.number ?? deployed.number },
  };
}
