import { readActionStatus, shortHash } from "@idlink/core/actions";
import type { Handler } from "../command-spec.ts";
import { ExitCode } from "../exit-codes.ts";
import type { actionSpec } from "../specs/action.ts";
import { printable as p } from "../style.ts";
import { actionClient, actionName, bindingsLine, readActionCode } from "./action-shared.ts";

/**
 * `idlink action status`: whether the deployed code is the current build (by hash: `--code`, or the @idlink/link-action
 * build idlink carries), which version runs, and where in post-login's order it is bound. Changes nothing.
 */
export const run: Handler<typeof actionSpec> = async ({ flags }, { io, output }) => {
  const code = await readActionCode(flags, io);
  const client = await actionClient(flags, io);
  const status = await readActionStatus(client, {
    name: actionName(flags),
    code: code.text,
  });
  const s = output.out;
  const trigger = status.trigger.id;
  if (!status.exists) {
    output.line(`${s.bold(p(status.name))}: not on the tenant (idlink action deploy creates it).`);
  } else {
    const deployed = status.deployed;
    const build = !deployed
      ? s.yellow("never deployed")
      : !deployed.hash
        ? s.yellow("its code is not idlink's build (no marker)")
        : !deployed.intact
          ? s.yellow(`code ${shortHash(deployed.hash)}, edited on the tenant since idlink deployed it`)
          : deployed.current === true
            ? `code ${shortHash(deployed.hash)} — ${s.green("idlink's current build")}`
            : deployed.current === false
              ? `code ${shortHash(deployed.hash)} — ${s.yellow(`not the current build (${shortHash(status.expectedHash ?? "")})`)}`
              : `code ${shortHash(deployed.hash)} ${s.dim("(no build given to compare: --code)")}`;
    output.line(`${s.bold(p(status.name))}  ${p(status.actionId)}`);
    output.line(
      `  deployed    ${deployed ? `version ${deployed.number ?? "?"}, ${p(deployed.runtime)}, ` : ""}${build}`,
    );
    output.line(
      `  draft       ${p(status.draft?.status)}${status.draft?.allChangesDeployed === false ? s.yellow(", holds changes not deployed") : ", all deployed"}`,
    );
    output.line(
      `  bound       ${status.position === undefined ? s.yellow(`no: it does not run on ${p(trigger)}`) : `${p(trigger)}, ${status.position} of ${status.bindings.length}`}`,
    );
    output.line(`  secrets     ${status.secrets.map(p).join(", ") || s.dim("none")}`);
  }
  output.line(`  ${p(trigger).padEnd(10)}  ${bindingsLine(status.bindings, s)}`);
  if (output.json) output.document({ ok: true, status, build: code.source });
  return ExitCode.ok;
};
