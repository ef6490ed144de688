import { IdlinkError } from "../present/errors.ts";

/** The step of `idlink action …` that stopped. */
export type ActionStep = "find" | "create" | "update" | "build" | "deploy" | "bind" | "rollback" | "remove";

/**
 * A step of deploying, rolling back or removing idlink's Action stopped: another Action of the same name, a failed
 * build, a binding list that kept changing, nothing to roll back to. The message names the problem, what was left
 * as it was, and the fix; `restored` says what idlink undid so that nothing is left half-done.
 */
export class ActionDeployError extends IdlinkError {
  override name = "ActionDeployError" as const;
  constructor(
    readonly step: ActionStep,
    message: string,
    /** What idlink put back before stopping (a draft restored, an Action it had just created deleted). */
    readonly restored: string[] = [],
  ) {
    super(message);
  }
}
