import { executeActionRemove, planActionRemove } from "@idlink/core/actions";
import type { Handler } from "../command-spec.ts";
import { confirm } from "../confirm.ts";
import { ExitCode } from "../exit-codes.ts";
import type { actionSpec } from "../specs/action.ts";
import { printable as p } from "../style.ts";
import { actionClient, actionName, bindingsLine } from "./action-shared.ts";

/** `idlink action remove`: unbinds idlink's Action (every other binding kept in its order), then deletes it. */
export const run: Handler<typeof actionSpec> = async ({ flags }, { io, output }) => {
  const client = await actionClient(flags, io);
  const plan = await planActionRemove(client, { name: actionName(flags), dryRun: flags.dryRun === true });
  if (!plan.actionId) {
    output.line(`No Action named ${p(plan.name)} on the tenant: nothing to remove.`);
    if (output.json) output.document({ ok: true, removed: false, plan });
    return ExitCode.ok;
  }
  const trigger = p(plan.trigger.id);
  const text = [
    `${output.out.bold("Plan:")} ${plan.bindings.change === "unbind" ? `unbind ${p(plan.name)} from ${trigger}, then delete it` : `delete ${p(plan.name)} (not bound)`} with all its versions`,
    `  ${trigger.padEnd(12)}  before: ${bindingsLine(plan.bindings.before, output.out)}`,
    `                after:  ${bindingsLine(plan.bindings.after, output.out)}`,
  ].join("\n");
  (flags.dryRun ? output.line : output.detail)(text);
  if (flags.dryRun) {
    output.detail(output.out.dim("Dry run: nothing was sent."));
    if (output.json) output.document({ ok: true, dryRun: true, plan });
    return ExitCode.ok;
  }
  if (!(await confirm(io, `Remove ${p(plan.name)} from ${client.tenant.host}?`, flags.yes))) {
    output.note("Not removed: nothing was sent.");
    if (output.json) output.document({ ok: false, exitCode: ExitCode.declined, declined: true, plan });
    return ExitCode.declined;
  }
  const outcome = await executeActionRemove(client, plan);
  output.line(`${output.out.green("Removed")} ${p(plan.name)}: unbound from ${trigger} and deleted.`);
  if (output.json) output.document({ ok: true, removed: outcome.removed, plan, outcome });
  return ExitCode.ok;
};
