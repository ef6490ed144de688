import { ValidationError } from "@idlink/core";
import {
  type ActionDeployPlan,
  describeDeployPlan,
  executeActionDeploy,
  parseActionDeployInput,
  parseBindingPosition,
  planActionDeploy,
  shortHash,
} from "@idlink/core/actions";
import type { Handler } from "../command-spec.ts";
import { confirm } from "../confirm.ts";
import { ExitCode } from "../exit-codes.ts";
import type { actionSpec } from "../specs/action.ts";
import { printable as p, type Style } from "../style.ts";
import {
  actionClient,
  bindingsLine,
  readActionCode,
  readActionSecrets,
  secretHint,
  stepNotes,
  waitOptions,
} from "./action-shared.ts";

/**
 * `idlink action deploy`: the code and secrets checked (nothing sent before), the token's scopes checked, the plan
 * (what is created or updated, the bindings before and after), a confirmation, then core's deploy.
 */
export const run: Handler<typeof actionSpec> = async ({ flags }, ctx) => {
  const { io, output } = ctx;
  const code = await readActionCode(flags, io);
  const secrets = await readActionSecrets(flags, io);
  const parsed = parseActionDeployInput(
    { code: code.text, secrets, ...(flags.name ? { name: flags.name } : {}) },
    { secretHint },
  );
  if (!parsed.ok) throw new ValidationError(parsed.issues, "Action to deploy");
  const position = flags.position === undefined ? undefined : parseBindingPosition(flags.position);
  if (position && !position.ok) throw new ValidationError(position.issues, "--position");
  const wait = waitOptions(flags, ctx);
  const client = await actionClient(flags, io);
  const options = {
    position: position?.value,
    updateSecrets: flags.updateSecrets === true,
  };
  const plan = await planActionDeploy(client, parsed.value, { ...options, dryRun: flags.dryRun === true });
  (flags.dryRun ? output.line : output.detail)(planText(plan, code.source, output.out));
  if (flags.dryRun) {
    output.detail(output.out.dim("Dry run: nothing was sent."));
    if (output.json) output.document({ ok: true, dryRun: true, plan, code: code.source });
    return ExitCode.ok;
  }
  if (plan.change === "unchanged" && plan.bindings.change === "none") {
    output.line(
      `${p(plan.name)} already runs this code (version ${plan.deployed?.number ?? "?"}, code ${shortHash(plan.hash)}), bound at ${plan.bindings.position} of ${plan.bindings.after.length} on ${plan.trigger.id}: nothing to do.`,
    );
    if (output.json) output.document({ ok: true, changed: false, plan, code: code.source });
    return ExitCode.ok;
  }
  if (!(await confirm(io, `Deploy ${p(plan.name)} to ${client.tenant.host}?`, flags.yes))) {
    output.note("Not deployed: nothing was sent.");
    if (output.json) output.document({ ok: false, exitCode: ExitCode.declined, declined: true, plan });
    return ExitCode.declined;
  }
  const outcome = await executeActionDeploy(client, plan, parsed.value, {
    ...options,
    wait,
    onStep: (step) => output.note(`idlink: ${stepNotes[step] ?? step}…`),
  });
  if (outcome.bindings.changedSinceRead) {
    output.note(
      `The ${plan.trigger.id} bindings had changed since they were read; idlink placed its binding in the list as it now is.`,
    );
  }
  const at = outcome.bindings.after.findIndex((b) => b.idlink) + 1;
  output.line(
    `${output.out.green("Deployed")} ${p(plan.name)}: version ${outcome.version.number ?? "?"} runs code ${shortHash(outcome.hash)}, bound at ${at} of ${outcome.bindings.after.length} on ${plan.trigger.id}.`,
  );
  output.detail(`  ${plan.trigger.id} now runs: ${bindingsLine(outcome.bindings.after, output.out)}`);
  if (output.json) output.document({ ok: true, changed: true, plan, outcome, code: code.source });
  return ExitCode.ok;
};

/** The plan as a person reads it before confirming (and as the result of a dry run). Never a secret's value. */
function planText(plan: ActionDeployPlan, source: string, style: Style): string {
  const lines = [
    `${style.bold("Plan:")} ${p(describeDeployPlan(plan))}`,
    `  code          ${p(source)} (sha256 ${shortHash(plan.hash)}, runtime ${p(plan.runtime)})`,
    `  running now   ${plan.deployed ? `version ${plan.deployed.number ?? "?"}${plan.deployed.hash ? `, code ${shortHash(plan.deployed.hash)}` : ", code not idlink's build"}` : style.dim("nothing")}`,
    `  secrets       ${plan.secrets.map(p).join(", ")} ${style.dim("(values not shown)")}`,
    `  ${p(plan.trigger.id).padEnd(12)}  before: ${bindingsLine(plan.bindings.before, style)}`,
    `                after:  ${bindingsLine(plan.bindings.after, style)}`,
  ];
  for (const warning of plan.warnings) lines.push(`  ${style.yellow("warning:")} ${p(warning)}`);
  return lines.join("\n");
}
