import { fenceNote } from "../src/fence.ts";

/** A tool as tools/list advertises it: its name and the arguments its input schema declares. */
export interface ListedTool {
  name: string;
  inputSchema: { properties?: Record<string, unknown> };
}

// Words a "call <tool> with …" clause may use besides the tool's arguments.
const filler = new Set(
  "a all an and arguments as both each for from given it its new of one only or other returned returns same that the their them then these this those to your"
    .split(" ")
    .filter(Boolean),
);

// What a next step says: something to do (a call, a fix, a question for the user), or that there is nothing to do.
const nextStep =
  /\b(call|fix|clear|ask|tell|try|check|wait|read|sign|send|grant|get|give|pick|name|set|start|use|act|verify|show|nothing to do)\b/i;

/**
 * What makes a message lead somewhere, checked against the tools as tools/list advertises them (issue 25):
 * - every "call <tool>" names a tool that exists, and every word of its "with …" clause is an argument of that tool;
 * - an error, or a preview whose plan is blocked, ends with a next step: its last line is advice, not its title or
 *   an issue;
 * - each issue line (`- name: …`) names an argument of the tool called, or says what it is when it is not one;
 * - a refusal ("nothing was sent" / "nothing was changed") names at least one.
 * Answers the faults found, in words; none when the message leads somewhere.
 */
export function faultsOf(
  text: string,
  context: {
    tool: string;
    isError: boolean;
    tools: readonly ListedTool[];
    /**
     * Read the quoted messages too (core's and the confirmation store's are quoted whole, as they may echo values):
     * only where the tenant and the request hold no hostile strings, which may say "call …" on purpose.
     */
    readQuoted?: boolean;
  },
): string[] {
  const faults: string[] = [];
  const argumentsOf = (name: string) => Object.keys(find(context.tools, name)?.inputSchema.properties ?? {});
  const quoted = /"(?:[^"\\]|\\.)*"/g;
  const own = text.replace(quoted, '""');
  const messages = context.readQuoted ? (text.match(quoted) ?? []).map((q) => String(JSON.parse(q))) : [];
  const calls = [own, ...messages].flatMap((t) => [
    ...t.replace(quoted, '""').matchAll(/\bcall (\w+)( again)?(?: with ([^,.;:—(]*))?/gi),
  ]);
  for (const match of calls) {
    const [, tool = "", , clause = ""] = match;
    if (!find(context.tools, tool)) {
      faults.push(`names a tool that does not exist: ${tool}`);
      continue;
    }
    const declared = argumentsOf(tool);
    for (const word of clause.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) {
      if (!filler.has(word) && !declared.includes(word)) {
        faults.push(`tells the agent to call ${tool} with "${word}", which is not one of its arguments`);
      }
    }
  }
  // A preview whose plan is blocked refuses too, in its text: it must say what next as well.
  const blocked = /^Blocked \(/m.test(text);
  if (!context.isError && !blocked) return faults;
  const lines = text.split("\n").filter((line, i) => !(i === 0 && line === fenceNote));
  const [title = "", ...rest] = lines;
  const issues = rest.filter((line) => line.startsWith("- "));
  const last = lines.at(-1) ?? "";
  if (lines.length < 2 || last.startsWith("- ") || !nextStep.test(last)) {
    faults.push(`does not end with a next step: ${JSON.stringify(last)}`);
  }
  if (!context.isError) return faults;
  for (const line of issues) {
    const name = /^- ([^\s:]+)/.exec(line)?.[1] ?? "";
    if (!argumentsOf(context.tool).includes(name) && !line.includes("not an argument")) {
      faults.push(
        `names ${JSON.stringify(name)}, which ${context.tool} does not take, without saying what it is`,
      );
    }
  }
  if (/nothing was (sent|changed)/.test(title) && issues.length === 0) {
    faults.push("refuses without naming what is at fault");
  }
  return faults;
}

function find(tools: readonly ListedTool[], name: string): ListedTool | undefined {
  return tools.find((t) => t.name === name);
}
