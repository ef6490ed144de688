import type { ManagementClient } from "../http/client.ts";
import type { Issue, Parsed } from "../present/errors.ts";
import { echo } from "../present/text.ts";
import { ActionDeployError } from "./errors.ts";
import { type ActionBinding, type ActionTriggerId, listBindings, replaceBindings } from "./operations.ts";

/** A binding as plans show it: which Action runs, under which name, and whether it is idlink's. */
export interface BindingSummary {
  action_id: string;
  action_name: string;
  display_name: string;
  idlink: boolean;
}

/** Where idlink's binding goes in the trigger's order. Without one, a bound Action stays where it is, a new one goes last. */
export type BindingPosition = "first" | "last" | { index: number } | { before: string } | { after: string };

/** Reads `first`, `last`, a 1-based number, `before:NAME` or `after:NAME` (a binding's or an Action's name). */
export function parseBindingPosition(text: string): Parsed<BindingPosition> {
  const value = text.trim();
  if (value === "first" || value === "last") return { ok: true, value };
  if (/^\d{1,3}$/.test(value) && Number(value) >= 1) return { ok: true, value: { index: Number(value) } };
  const match = /^(before|after):(.+)$/.exec(value);
  if (match?.[1] && match[2]?.trim()) {
    const name = match[2].trim();
    return { ok: true, value: match[1] === "before" ? { before: name } : { after: name } };
  }
  return {
    ok: false,
    issues: [
      {
        path: "position",
        message: `position must be first, last, a number from 1, before:NAME or after:NAME (another binding's name), not ${echo(value)}`,
      },
    ],
  };
}

/** The position as words: "last", "2nd", "before Add roles". */
export function describePosition(position: BindingPosition): string {
  if (typeof position === "string") return position;
  if ("index" in position) return `number ${position.index}`;
  return "before" in position ? `before ${position.before}` : `after ${position.after}`;
}

/** The trigger's bindings as plans show them; `ownId` marks idlink's. */
export function summarizeBindings(bindings: readonly ActionBinding[], ownId?: string): BindingSummary[] {
  return bindings.map((binding) => {
    const id = binding.action?.id ?? "";
    return {
      action_id: id,
      action_name: binding.action?.name ?? "",
      display_name: binding.display_name ?? binding.action?.name ?? "",
      idlink: ownId !== undefined && id === ownId,
    };
  });
}

/** Two lists run the same Actions under the same names in the same order (binding ids change on every write). */
export function sameBindings(a: readonly BindingSummary[], b: readonly BindingSummary[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => x.action_id === b[i]?.action_id && x.display_name === b[i]?.display_name)
  );
}

/**
 * The list with idlink's binding placed: every other binding kept, in its order. Already bound and no position
 * asked: the list as it is. `before:`/`after:` name a binding by its display name or its Action's name.
 */
export function placeBinding(
  current: readonly BindingSummary[],
  own: Omit<BindingSummary, "idlink">,
  position: BindingPosition | undefined,
): Parsed<BindingSummary[]> {
  const mine = { ...own, idlink: true };
  const bound = current.findIndex((b) => b.action_id === own.action_id);
  if (bound >= 0 && position === undefined) {
    return { ok: true, value: current.map((b) => ({ ...b, idlink: b.action_id === own.action_id })) };
  }
  const others = current.filter((b) => b.action_id !== own.action_id).map((b) => ({ ...b, idlink: false }));
  const at = (index: number) => ({
    ok: true as const,
    value: [...others.slice(0, index), mine, ...others.slice(index)],
  });
  const where = position ?? "last";
  if (where === "last") return at(others.length);
  if (where === "first") return at(0);
  if ("index" in where) {
    if (where.index > others.length + 1) {
      return fail(
        `position ${where.index} is past the end: post-login has ${others.length} other binding${others.length === 1 ? "" : "s"}, so give 1 to ${others.length + 1}, or last`,
      );
    }
    return at(where.index - 1);
  }
  const name = "before" in where ? where.before : where.after;
  const found = others.findIndex((b) => b.display_name === name || b.action_name === name);
  if (found < 0) {
    const names = others.map((b) => b.display_name).join(", ") || "none";
    return fail(
      `no other binding is named ${echo(name, 60)} (post-login runs: ${names}) — name one of them, or use first or last`,
    );
  }
  return at("before" in where ? found : found + 1);
}

/** The list without idlink's binding. */
export function withoutBinding(current: readonly BindingSummary[], actionId: string): BindingSummary[] {
  return current.filter((b) => b.action_id !== actionId);
}

function fail(message: string): Parsed<never> {
  const issue: Issue = { path: "position", message };
  return { ok: false, issues: [issue] };
}

/** How a binding write went. */
export interface BindingWrite {
  before: BindingSummary[];
  after: BindingSummary[];
  /** A list was written (false: it was already as wanted). */
  written: boolean;
  /** The list was not what the caller last saw (its plan): the change was made on the list as it now is. */
  changedSinceRead: boolean;
}

export interface WriteBindingsOptions {
  /** The list the caller planned from (and showed); a different list now is reported, and the change remade on it. */
  expected?: readonly BindingSummary[] | undefined;
  /** Reads of a list that keeps changing before idlink gives up. Default 3. */
  attempts?: number;
  ownId: string;
}

/**
 * Changes a trigger's bindings without losing anyone else's: reads the list, computes the new one from it, reads
 * it again just before writing and starts over if it changed (someone else is editing the flow), writes it, and
 * reads it back. Auth0 has no conditional write for bindings (each PATCH replaces the list, and every binding gets a
 * new id): this narrows the window to one request. A write of someone else's landing while idlink's is on its way can
 * still be replaced by it; one landing just after is detected by the read-back and reported.
 */
export async function writeBindings(
  client: ManagementClient,
  trigger: ActionTriggerId,
  compute: (current: BindingSummary[]) => Parsed<BindingSummary[]>,
  options: WriteBindingsOptions,
): Promise<BindingWrite> {
  const attempts = options.attempts ?? 3;
  const read = async () => summarizeBindings(await listBindings(client, trigger), options.ownId);
  let changedSinceRead = false;
  let current = await read();
  if (options.expected && !sameBindings(options.expected, current)) changedSinceRead = true;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const desired = compute(current);
    if (!desired.ok) {
      throw new ActionDeployError(
        "bind",
        `Cannot place the binding: ${desired.issues.map((i) => i.message).join("; ")}. Nothing was written.`,
      );
    }
    if (sameBindings(current, desired.value)) {
      return { before: current, after: current, written: false, changedSinceRead };
    }
    const check = await read();
    if (!sameBindings(check, current)) {
      // Someone else wrote between the two reads: start over from what is there now.
      changedSinceRead = true;
      current = check;
      continue;
    }
    const answer = summarizeBindings(
      await replaceBindings(
        client,
        trigger,
        desired.value.map((b) => ({
          ref: { type: "action_id", value: b.action_id },
          display_name: b.display_name,
        })),
      ),
      options.ownId,
    );
    const after = await read();
    if (!sameBindings(after, desired.value) || !sameBindings(answer, desired.value)) {
      throw new ActionDeployError(
        "bind",
        `The ${trigger} bindings changed right after idlink wrote them: idlink wrote ${names(desired.value)}, the tenant now runs ${names(after)}. Someone else is editing the flow: check it in the dashboard (Actions → Triggers → ${trigger}), then run this again.`,
      );
    }
    return { before: current, after, written: true, changedSinceRead };
  }
  throw new ActionDeployError(
    "bind",
    `The ${trigger} bindings changed every time idlink read them (${attempts} times): someone else is editing the flow. Nothing was written; run this again once they are done.`,
  );
}

/** A list as messages show it: `[Add roles, idlink-account-linking]`. */
export function names(list: readonly BindingSummary[]): string {
  return `[${list.map((b) => b.display_name).join(", ")}]`;
}
