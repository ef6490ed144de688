import type { Handler } from "../command-spec.ts";
import { type actionSpec, actionSteps } from "../specs/action.ts";
import { UsageError } from "../usage-error.ts";

type Step = (typeof actionSteps)[number];
type Input = Parameters<Handler<typeof actionSpec>>[0];

/** The options that mean something to a step only; given to another step they are a usage error. */
const onlyFor: Record<string, { flag: keyof Input["flags"]; steps: readonly Step[] }> = {
  "--secrets": { flag: "secrets", steps: ["deploy"] },
  "--position": { flag: "position", steps: ["deploy"] },
  "--update-secrets": { flag: "updateSecrets", steps: ["deploy"] },
  "--code": { flag: "code", steps: ["deploy", "status"] },
  "--to-version": { flag: "toVersion", steps: ["rollback"] },
  "--timeout": { flag: "timeout", steps: ["deploy", "rollback"] },
  "--dry-run": { flag: "dryRun", steps: ["deploy", "rollback", "remove"] },
  "--yes": { flag: "yes", steps: ["deploy", "rollback", "remove"] },
};

const steps: Record<Step, () => Promise<{ run: Handler<typeof actionSpec> }>> = {
  deploy: () => import("./action-deploy.ts"),
  status: () => import("./action-status.ts"),
  rollback: () => import("./action-rollback.ts"),
  remove: () => import("./action-remove.ts"),
};

/** `idlink action <step>`: checks the step and the options it takes, then loads that step's handler. */
export const run: Handler<typeof actionSpec> = async (input, ctx) => {
  const [step] = input.args;
  if (!(actionSteps as readonly string[]).includes(step)) {
    throw new UsageError(
      `'${step.slice(0, 40)}' is not a step of idlink action.`,
      "Use idlink action deploy, status, rollback or remove.",
    );
  }
  const known = step as Step;
  for (const [option, { flag, steps: allowed }] of Object.entries(onlyFor)) {
    if (input.flags[flag] !== undefined && !allowed.includes(known)) {
      throw new UsageError(
        `${option} does not apply to idlink action ${known}.`,
        `It is for idlink action ${allowed.join(" and ")}.`,
      );
    }
  }
  return (await steps[known]()).run(input, ctx);
};
