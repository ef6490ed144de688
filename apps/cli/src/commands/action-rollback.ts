import { ValidationError } from "@idlink/core";
import {
  executeActionRollback,
  planActionRollback,
  shortHash,
  type VersionSummary,
} from "@idlink/core/actions";
import type { Handler } from "../command-spec.ts";
import { confirm } from "../confirm.ts";
import { ExitCode } from "../exit-codes.ts";
import type { actionSpec } from "../specs/action.ts";
import { printable as p } from "../style.ts";
import { actionClient, actionName, stepNotes, waitOptions } from "./action-shared.ts";

const versionText = (v: VersionSummary) =>
  `version ${v.number ?? "?"} (${v.hash ? `code ${shortHash(v.hash)}` : "code not idlink's build"})`;

/** `idlink action rollback`: deploys the code of the version before the one that runs (or `--to-version N`) again. */
export const run: Handler<typeof actionSpec> = async ({ flags }, ctx) => {
  const { io, output } = ctx;
  let toVersion: number | undefined;
  if (flags.toVersion !== undefined) {
    toVersion = Number(flags.toVersion);
    if (!/^\d{1,6}$/.test(flags.toVersion) || toVersion < 1) {
      throw new ValidationError(
        [{ path: "--to-version", message: "--to-version must be a version number (1, 2, …)" }],
        "--to-version",
      );
    }
  }
  const wait = waitOptions(flags, ctx);
  const client = await actionClient(flags, io);
  const plan = await planActionRollback(client, {
    name: actionName(flags),
    ...(toVersion === undefined ? {} : { toVersion }),
    dryRun: flags.dryRun === true,
  });
  const text = `${output.out.bold("Plan:")} roll ${p(plan.name)} back from ${versionText(plan.from)} to ${versionText(plan.to)}, deployed again as a new version; its binding and secrets stay`;
  (flags.dryRun ? output.line : output.detail)(text);
  if (flags.dryRun) {
    output.detail(output.out.dim("Dry run: nothing was sent."));
    if (output.json) output.document({ ok: true, dryRun: true, plan });
    return ExitCode.ok;
  }
  if (
    !(await confirm(io, `Roll ${p(plan.name)} back to version ${plan.to.number ?? "?"}'s code?`, flags.yes))
  ) {
    output.note("Not rolled back: nothing was sent.");
    if (output.json) output.document({ ok: false, exitCode: ExitCode.declined, declined: true, plan });
    return ExitCode.declined;
  }
  const outcome = await executeActionRollback(client, plan, {
    wait,
    onStep: (step) => output.note(`idlink: ${stepNotes[step] ?? step}…`),
  });
  output.line(
    `${output.out.green("Rolled back")} ${p(plan.name)}: version ${outcome.version.number ?? "?"} runs the code of ${versionText(plan.to)}.`,
  );
  if (output.json) output.document({ ok: true, plan, outcome });
  return ExitCode.ok;
};
