import type { components } from "../generated/management-api.ts";
import type { ManagementClient } from "../http/client.ts";
import { abortableSleep } from "../http/rate-limit-headers.ts";
import { type Action, type DeployedVersion, getAction, listVersions } from "./operations.ts";

/** What a wait reports after each read: the step, the status Auth0 answered, and how long it has waited so far. */
export interface ActionProgress {
  step: "build" | "deploy";
  status: string;
  waitedMs: number;
}

export interface WaitOptions {
  /** First wait between reads, in ms (doubled up to `maxPollMs`). Default 1000. */
  pollMs?: number;
  /** Default 5000. */
  maxPollMs?: number;
  /**
   * Gives up after waiting this long, in ms. Default 120 000: builds were seen to take 30–45 s (auth0-deploy-cli
   * pull request 524, which waits two minutes too).
   */
  timeoutMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  onProgress?: (progress: ActionProgress) => void;
}

/** A draft's build as it ended: `built`, `failed`, or still going when the wait ran out. */
export type BuildOutcome = { status: "built" | "failed" | "timeout"; action: Action };

/** A deploy as it ended: the Action runs the new version, its build failed (with Auth0's errors), or time ran out. */
export type DeployOutcome =
  | { status: "deployed"; action: Action }
  | { status: "failed"; errors: components["schemas"]["ActionError"][] }
  | { status: "timeout" };

/** States of a build that is still going (Auth0's enum: pending, building, packaged, retrying). */
const settled = new Set(["built", "failed"]);

function waiter(options: WaitOptions) {
  const sleep = options.sleep ?? abortableSleep;
  const timeoutMs = options.timeoutMs ?? 120_000;
  let wait = options.pollMs ?? 1000;
  let waited = 0;
  return {
    get waited() {
      return waited;
    },
    /** Waits before the next read; false once the time is up. Counts the waits, not the clock (tests sleep 0). */
    async next(): Promise<boolean> {
      if (waited >= timeoutMs) return false;
      options.signal?.throwIfAborted();
      await sleep(wait, options.signal);
      waited += wait;
      wait = Math.min(wait * 2, options.maxPollMs ?? 5000);
      return true;
    },
  };
}

/**
 * Reads the Action until Auth0 has built its draft (`pending` → `building` → `built`) or the build failed. Auth0
 * builds a draft after every create and update; only a built draft can be deployed.
 */
export async function waitForBuild(
  client: ManagementClient,
  id: string,
  options: WaitOptions = {},
): Promise<BuildOutcome> {
  const clock = waiter(options);
  for (;;) {
    const action = await getAction(client, id);
    const status = action.status ?? "pending";
    options.onProgress?.({ step: "build", status, waitedMs: clock.waited });
    if (settled.has(status)) return { status: status as "built" | "failed", action };
    if (!(await clock.next())) return { status: "timeout", action };
  }
}

/**
 * Waits until the Action runs `version` (its `deployed_version` is that version; the deploy's answer may still say
 * `deployed: false`: recorded, terraform-provider-auth0), or the version's build failed — then the version deployed
 * before stays the one that runs.
 */
export async function waitForDeployed(
  client: ManagementClient,
  actionId: string,
  version: DeployedVersion,
  options: WaitOptions = {},
): Promise<DeployOutcome> {
  const clock = waiter(options);
  for (;;) {
    const action = await getAction(client, actionId);
    const running = action.deployed_version;
    if (running !== undefined && running.id === version.id && running.status !== "failed") {
      options.onProgress?.({ step: "deploy", status: "deployed", waitedMs: clock.waited });
      return { status: "deployed", action };
    }
    const mine = (await listVersions(client, actionId)).find((v) => v.id === version.id);
    const status = mine?.status ?? version.status ?? "pending";
    options.onProgress?.({ step: "deploy", status, waitedMs: clock.waited });
    if (status === "failed") return { status: "failed", errors: mine?.errors ?? version.errors ?? [] };
    if (!(await clock.next())) return { status: "timeout" };
  }
}
