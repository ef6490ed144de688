// Every MCP refusal leads somewhere (issue 25): it names the argument at fault, ends with the next step, and never
// names an argument the tool it points to does not have — read against the tools' input schemas from tools/list.
// Every test file's results get the shallow check after each test (helpers.ts); here each refusal path is driven
// with a benign tenant and read whole, core's quoted messages included.
import type { Emulator } from "@idlink/emulator";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { afterAll, describe, expect, test } from "vitest";
import { fenceNote } from "../src/fence.ts";
import {
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  carol,
  carolGoogle,
  frank,
  frankGithub,
  type Harness,
  type HarnessOptions,
  listedTools,
  structured,
  textOf,
  useHarness,
} from "./helpers.ts";
import { faultsOf, type ListedTool } from "./messages.ts";

const { emulator, open } = useHarness();
const link = { primary: alice, secondary: aliceGoogle };
const accept = () => ({ action: "accept" as const, content: {} });
let checked = 0;
afterAll(() => console.log(`MCP refusals: ${checked} messages read against tools/list, 0 lead nowhere`));

async function previewToken(h: Harness, tool: string, args: Record<string, unknown>): Promise<string> {
  return String(structured(await h.call(tool, args)).confirmation_token);
}

/** A call as a 2026-07-28 client that answers a question it was never asked would send it (raw params). */
async function answered(h: Harness, extra: Record<string, unknown>): Promise<CallToolResult> {
  const result = await h.client.callTool({ name: "link_accounts", arguments: link, ...extra });
  return result as CallToolResult;
}

interface Path {
  name: string;
  tool: string;
  options?: HarnessOptions;
  /** The server's own token; its admin client's credentials when absent. */
  token?: (em: Emulator) => Promise<string>;
  run(h: Harness, clock: { now: number }): Promise<CallToolResult>;
  /** Said in the text, besides the rules every message keeps. */
  says?: (string | RegExp)[];
}

const call =
  (tool: string, args: Record<string, unknown>) =>
  (h: Harness): Promise<CallToolResult> =>
    h.call(tool, args);

const paths: Path[] = [
  {
    name: "a wrong type (schema)",
    tool: "get_user_identities",
    run: call("get_user_identities", { user_id: 5 }),
  },
  { name: "a missing argument (schema)", tool: "get_user_identities", run: call("get_user_identities", {}) },
  {
    name: "an undeclared argument (schema)",
    tool: "get_user_identities",
    run: call("get_user_identities", { user_id: alice, admin: true }),
    says: [
      '- admin: "not an argument of get_user_identities — its arguments are: user_id"',
      "then call get_user_identities again",
    ],
  },
  {
    name: "an id that is not provider|id",
    tool: "get_user_identities",
    run: call("get_user_identities", { user_id: "nobar" }),
  },
  {
    name: "a number out of bounds (schema)",
    tool: "find_duplicate_accounts",
    run: call("find_duplicate_accounts", { sample_size: 99 }),
    says: ["- sample_size:"],
  },
  {
    name: "a connection id that is not one (schema)",
    tool: "find_duplicate_accounts",
    run: call("find_duplicate_accounts", { connection_id: "github" }),
    says: ['"connection_id is con_ followed by 16 letters or digits"'],
  },
  {
    name: "merge_metadata that is not a boolean (schema)",
    tool: "link_accounts",
    run: call("link_accounts", { ...link, merge_metadata: "yes" }),
  },
  { name: "no secondary", tool: "preview_link", run: call("preview_link", { primary: alice }) },
  {
    name: "the secondary twice",
    tool: "preview_link",
    run: call("preview_link", { ...link, provider: "github" }),
  },
  {
    name: "the server's token without update:users",
    tool: "link_accounts",
    token: (em) => em.mintToken({ scopes: ["read:users"] }),
    run: call("link_accounts", link),
    says: [
      "Refused — nothing was sent",
      "- token (the server's own Auth0 token, not an argument)",
      "tell the user",
    ],
  },
  {
    name: "a blocked preview (unverified emails)",
    tool: "preview_link",
    run: call("preview_link", { primary: carol, secondary: carolGoogle }),
    says: [/call preview_link again\.$/],
  },
  {
    name: "a blocked unlink preview",
    tool: "preview_unlink",
    run: call("preview_unlink", { primary: frank, secondary: aliceGoogle }),
    says: [/call preview_unlink again\.$/],
  },
  {
    name: "a blocked link",
    tool: "link_accounts",
    options: { elicit: accept },
    run: call("link_accounts", { primary: frank, secondary: frankGithub }),
    says: [/call preview_link again\.$/],
  },
  {
    name: "a blocked unlink",
    tool: "unlink_identity",
    options: { elicit: accept },
    run: call("unlink_identity", { primary: frank, secondary: aliceGoogle }),
    says: [/call preview_unlink again\.$/],
  },
  {
    name: "no confirmation_token without elicitation",
    tool: "unlink_identity",
    run: call("unlink_identity", { primary: frank, secondary: frankGithub }),
    says: [/Call preview_unlink with the same primary and secondary, .* call unlink_identity again/],
  },
  {
    name: "a confirmation_token that is not one",
    tool: "link_accounts",
    run: call("link_accounts", { ...link, confirmation_token: "yes" }),
  },
  {
    name: "a link's confirmation_token used to unlink",
    tool: "unlink_identity",
    run: async (h) => {
      const binding = { action: "link", primary: frank, secondary: frankGithub } as const;
      const { token } = h.confirmations.issue("preview", binding);
      return h.call("unlink_identity", { primary: frank, secondary: frankGithub, confirmation_token: token });
    },
    // The fault of issue 25: this pointed at preview_link "with action", an argument no tool has.
    says: [
      "was issued to link",
      /Call preview_unlink with the same primary and secondary, .* call unlink_identity again .* confirmation_token it returns\.$/,
    ],
  },
  {
    name: "a confirmation_token for other accounts",
    tool: "link_accounts",
    run: async (h) =>
      h.call("link_accounts", {
        ...link,
        confirmation_token: await previewToken(h, "preview_link", { primary: bob, secondary: bobGithub }),
      }),
  },
  {
    name: "a confirmation_token used twice",
    tool: "unlink_identity",
    run: async (h) => {
      const args = { primary: frank, secondary: frankGithub };
      const token = await previewToken(h, "preview_unlink", args);
      await h.call("unlink_identity", { ...args, confirmation_token: token });
      emulator().state.reset();
      return h.call("unlink_identity", { ...args, confirmation_token: token });
    },
    says: ["was already used"],
  },
  {
    name: "an expired confirmation_token",
    tool: "link_accounts",
    run: async (h, clock) => {
      const token = await previewToken(h, "preview_link", link);
      clock.now += 301_000;
      return h.call("link_accounts", { ...link, confirmation_token: token });
    },
  },
  {
    name: "an accepted answer without the request state",
    tool: "link_accounts",
    options: { era: "2026-07-28", elicit: accept },
    run: (h) => answered(h, { inputResponses: { confirm: accept() } }),
    // The other fault of issue 25: this was refused with no next step.
    says: [
      "- requestState (the MCP request's state, set by the client, not an argument)",
      /Call link_accounts again with the same arguments: the server asks the user afresh, .*request state that came with that question\.$/,
    ],
  },
  {
    name: "an accepted answer with a forged request state",
    tool: "link_accounts",
    options: { era: "2026-07-28", elicit: accept },
    run: (h) =>
      answered(h, {
        inputResponses: { confirm: accept() },
        requestState: "idlc1-e-link-9999999999-00000000000000000000000000000000-",
      }),
    says: ['"the request state is not a token this server issued"'],
  },
  {
    name: "an accepted answer with the request state of another question",
    tool: "link_accounts",
    options: { era: "2026-07-28", elicit: accept },
    run: (h) =>
      answered(h, {
        inputResponses: { confirm: accept() },
        requestState: h.confirmations.issue("elicitation", {
          action: "link",
          primary: bob,
          secondary: bobGithub,
        }).token,
      }),
  },
  {
    name: "an answer that is no elicitation result",
    tool: "link_accounts",
    options: { era: "2026-07-28", elicit: accept },
    run: (h) => answered(h, { inputResponses: { confirm: { roots: [] } } }),
    says: ["- inputResponses.confirm (the user's answer, sent by the client, not an argument)"],
  },
  {
    name: "Auth0's 5xx, which core has no hint for",
    tool: "get_user_identities",
    run: (h) => {
      emulator().setFaults({ errorRate: 1 });
      return h.call("get_user_identities", { user_id: alice });
    },
    says: [/Try again in a moment; if it fails again, tell the user what failed\.$/],
  },
  {
    name: "an unknown primary (Auth0's 404)",
    tool: "preview_link",
    run: call("preview_link", { primary: "auth0|000000000000000000000000", secondary: aliceGoogle }),
  },
];

describe("each refusal path", () => {
  test.each(paths.map((p) => [p.name, p] as const))("%s leads somewhere", async (_name, p) => {
    const em = emulator();
    const clock = { now: Date.now() };
    const token = await p.token?.(em);
    const h = await open({ now: () => clock.now, ...p.options, ...(token ? { token } : {}) }, em);
    const { tools } = await h.client.listTools();
    const result = await p.run(h, clock);
    const text = textOf(result);
    const blocked = result.isError !== true && structured(result).can_proceed === false;
    expect(result.isError === true || blocked).toBe(true);
    expect(
      faultsOf(text, { tool: p.tool, isError: result.isError === true, tools, readQuoted: true }),
    ).toEqual([]);
    for (const said of p.says ?? []) {
      if (typeof said === "string") expect(text).toContain(said);
      else expect(text).toMatch(said);
    }
    checked += 1;
  });
});

describe("the rules catch what issue 25 found", () => {
  const check = (text: string, tool = "link_accounts", tools: readonly ListedTool[] = listedTools) =>
    faultsOf(`${fenceNote}\n${text}`, { tool, isError: true, tools, readQuoted: true });

  test("a step naming an argument the tool does not have, inside a quoted message too", () => {
    const before = `Confirmation refused — nothing was changed:\n- confirmation_token: ${JSON.stringify(
      'confirmation_token was issued to link github|2 into auth0|1 — call preview_link with action "unlink" for the same primary and secondary, show the plan to the user',
    )}`;
    expect(check(before, "unlink_identity")).toEqual([
      'tells the agent to call preview_link with "action", which is not one of its arguments',
      `does not end with a next step: ${JSON.stringify(before.split("\n").at(-1))}`,
    ]);
  });

  test("a refusal with no next step, naming a field that is no argument without saying so", () => {
    const before = `Confirmation failed:\n- requestState: ${JSON.stringify("the accepted confirmation carried no request state from this server")}`;
    expect(check(before)).toEqual([
      `does not end with a next step: ${JSON.stringify(before.split("\n").at(-1))}`,
      'names "requestState", which link_accounts does not take, without saying what it is',
    ]);
  });

  test("a refusal that names nothing, and a step to a tool that does not exist", () => {
    expect(check("Cannot link — nothing was changed:\nCall preview_links again.")).toEqual([
      "names a tool that does not exist: preview_links",
      "refuses without naming what is at fault",
    ]);
  });

  test("the tools read are the server's: every argument a refusal here names is in a tools/list schema", () => {
    const names = new Set(listedTools.flatMap((t) => Object.keys(t.inputSchema.properties ?? {})));
    for (const name of [
      "primary",
      "secondary",
      "provider",
      "user_id",
      "link_with",
      "confirmation_token",
      "user",
    ]) {
      expect(names).toContain(name);
    }
    expect(names).not.toContain("action");
  });
});
