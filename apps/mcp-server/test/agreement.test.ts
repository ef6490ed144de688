// Preview and execution agree through the MCP tools (issue 25): every check that can make a link or an unlink refuse
// is walked through preview_link / preview_unlink and through link_accounts / unlink_identity, with a client that
// answers every question with "accept" — so nothing but the checks stands between a call and the tenant. Both must
// refuse, naming the same arguments, before any question and without a change; a preview that lets a change
// through must see the write succeed. The same table runs through core alone in packages/wire-test.
import type { Emulator } from "@idlink/emulator";
import { seedUsers } from "@idlink/emulator";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { describe, expect, test } from "vitest";
import {
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  frank,
  frankGithub,
  type Harness,
  rememberSecret,
  structured,
  textOf,
  useHarness,
} from "./helpers.ts";

const { carol, carolGoogle, dave } = seedUsers;
const { emulator, open } = useHarness();

type Action = "link" | "unlink";
const toolsOf = (action: Action) =>
  action === "link"
    ? { preview: "preview_link", write: "link_accounts" }
    : { preview: "preview_unlink", write: "unlink_identity" };

/** A tool's verdict: allowed, or refused naming these fields (the `- field` lines, or the plan's blockers). */
type Verdict = { refused: false } | { refused: true; fields: string[]; lines: string[] };

/**
 * The issue lines of a refusal, `- field (…): "message"`, less the tool and argument list an undeclared argument's
 * line ends with (each tool names itself and its own arguments).
 */
const issueLines = (result: CallToolResult) =>
  textOf(result)
    .split("\n")
    .filter((l) => l.startsWith("- "))
    .map((l) => l.replace(/ of \w+ — its arguments are: [^"]*/, ""));

function verdictOf(result: CallToolResult): Verdict {
  if (result.isError) {
    const lines = issueLines(result);
    const fields = lines.map((l) => /^- ([^\s:]+)/.exec(l)?.[1] ?? "");
    return { refused: true, fields: [...new Set(fields)].sort(), lines };
  }
  const out = structured(result);
  if (out.can_proceed === true) return { refused: false };
  const blockers = out.blockers as { path: string }[];
  const fields = [...new Set(blockers.map((b) => b.path))].sort();
  return { refused: true, fields, lines: [] };
}

const accept = () => ({ action: "accept" as const, content: {} });

async function secretToken(promise: Promise<string>): Promise<string> {
  const token = await promise;
  rememberSecret(token);
  return token;
}

const spaManagement = (em: Emulator) =>
  secretToken(em.mintToken({ scopes: ["read:users", "update:users"], azp: "idlink-spa" }));
const userToken = async (em: Emulator, userId: string) =>
  secretToken(em.login(userId).then((l) => l.access_token));
const idToken = async (em: Emulator, userId: string) => secretToken(em.login(userId).then((l) => l.id_token));

/** The same token with one character of its signature changed: a signature the tenant's key did not make. */
function tampered(jwt: string): string {
  const [header, payload, signature = ""] = jwt.split(".");
  const middle = Math.floor(signature.length / 2);
  const changed = signature[middle] === "A" ? "B" : "A";
  return `${header}.${payload}.${signature.slice(0, middle)}${changed}${signature.slice(middle + 1)}`;
}

interface Case {
  name: string;
  action: Action;
  /** The server's own token; its admin client's credentials when absent. */
  token?: (em: Emulator) => Promise<string>;
  args: (em: Emulator) => Promise<Record<string, unknown>>;
  /** The arguments (or `token`, the server's own) both refusals name. */
  fields: string[];
}

const given = (args: Record<string, unknown>) => async () => args;

const refusals: Case[] = [
  {
    name: "a server token without update:users (read-only)",
    action: "link",
    token: (em) => secretToken(em.mintToken({ scopes: ["read:users"] })),
    args: given({ primary: alice, secondary: aliceGoogle }),
    fields: ["token"],
  },
  {
    name: "a user's token linking into another user",
    action: "link",
    token: (em) => userToken(em, bob),
    args: async (em) => ({ primary: alice, link_with: await idToken(em, dave) }),
    fields: ["token"],
  },
  {
    name: "a user's token naming the secondary by id (only link_with is theirs to send)",
    action: "link",
    token: (em) => userToken(em, bob),
    args: given({ primary: bob, secondary: bobGithub }),
    fields: ["token"],
  },
  {
    name: "link_with issued to another application",
    action: "link",
    args: async (em) => ({ primary: bob, link_with: await idToken(em, dave) }),
    fields: ["link_with"],
  },
  {
    name: "link_with expired",
    action: "link",
    token: spaManagement,
    args: async (em) => {
      const exp = Math.floor(Date.now() / 1000) - 60;
      const claims = { aud: "idlink-spa", exp };
      return { primary: bob, link_with: await secretToken(em.mintToken({ scopes: [], sub: dave, claims })) };
    },
    fields: ["link_with"],
  },
  {
    name: "link_with whose signature is not the tenant's",
    action: "link",
    token: spaManagement,
    args: async (em) => ({ primary: bob, link_with: await secretToken(idToken(em, dave).then(tampered)) }),
    fields: ["link_with"],
  },
  {
    name: "link_with that is not a JWT",
    action: "link",
    token: spaManagement,
    args: given({ primary: bob, link_with: "not-a-jwt" }),
    fields: ["link_with"],
  },
  {
    name: "a primary that is not provider|id",
    action: "link",
    args: given({ primary: "64f1a2b3c4d5e6f708192a3b", secondary: aliceGoogle }),
    fields: ["primary"],
  },
  {
    name: "a secondary that does not exist",
    action: "link",
    args: given({ primary: alice, secondary: "github|404404404" }),
    fields: ["secondary"],
  },
  {
    name: "a secondary that is the primary",
    action: "link",
    args: given({ primary: alice, secondary: alice }),
    fields: ["secondary"],
  },
  {
    name: "a secondary already linked to the primary",
    action: "link",
    args: given({ primary: frank, secondary: frankGithub }),
    fields: ["secondary"],
  },
  {
    name: "unverified emails",
    action: "link",
    args: given({ primary: carol, secondary: carolGoogle }),
    fields: ["primary", "secondary"],
  },
  {
    name: "an argument the tools do not take",
    action: "link",
    args: given({ primary: alice, secondary: aliceGoogle, force: true }),
    fields: ["force"],
  },
  {
    name: "unlink with a server token without update:users",
    action: "unlink",
    token: (em) => secretToken(em.mintToken({ scopes: ["read:users"] })),
    args: given({ primary: frank, secondary: frankGithub }),
    fields: ["token"],
  },
  {
    name: "unlink with a user's token from another user",
    action: "unlink",
    token: (em) => userToken(em, bob),
    args: given({ primary: frank, secondary: frankGithub }),
    fields: ["token"],
  },
  {
    name: "unlink of the main identity",
    action: "unlink",
    args: given({ primary: frank, secondary: frank }),
    fields: ["secondary"],
  },
  {
    name: "unlink of an identity that is not linked",
    action: "unlink",
    args: given({ primary: frank, secondary: aliceGoogle }),
    fields: ["secondary"],
  },
  {
    name: "unlink of a provider without an id",
    action: "unlink",
    args: given({ primary: frank, provider: "github" }),
    fields: ["user_id"],
  },
  {
    name: "unlink given link_with, which the unlink tools do not take",
    action: "unlink",
    args: given({ primary: frank, secondary: frankGithub, link_with: "not-a-jwt" }),
    fields: ["link_with"],
  },
];

/** Everything a change would show: the users and their identities. */
const snapshot = (em: Emulator) => JSON.stringify(em.state.listUsers());

async function harnessFor(em: Emulator, c: { token?: (em: Emulator) => Promise<string> }): Promise<Harness> {
  return open({ elicit: accept, ...(c.token ? { token: await c.token(em) } : {}) }, em);
}

describe("a refusal of the preview tool is a refusal of the write tool, on the same arguments", () => {
  test.each(refusals.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const em = emulator();
    const h = await harnessFor(em, c);
    const args = await c.args(em);
    const before = snapshot(em);
    const { preview, write } = toolsOf(c.action);

    const previewed = verdictOf(await h.call(preview, args));
    expect(previewed).toMatchObject({ refused: true, fields: c.fields });
    const written = verdictOf(await h.call(write, args));
    expect(written).toMatchObject({ refused: true, fields: c.fields });
    // Refused before the question, in the preview's own words when the preview refused outright.
    expect(h.elicitations).toEqual([]);
    if (previewed.refused && written.refused && previewed.lines.length > 0) {
      expect(written.lines).toEqual(previewed.lines);
    }
    expect(snapshot(em)).toBe(before);
  });

  test("the table covers every field a link or an unlink can be refused on", () => {
    const fields = new Set(refusals.flatMap((c) => c.fields));
    expect([...fields].sort()).toEqual(["force", "link_with", "primary", "secondary", "token", "user_id"]);
  });
});

const accepted: (Omit<Case, "fields"> & { after: string[] })[] = [
  {
    name: "a link by id",
    action: "link",
    args: given({ primary: alice, secondary: aliceGoogle }),
    after: [alice, aliceGoogle],
  },
  {
    name: "a link with link_with, the server's token of the same application",
    action: "link",
    token: spaManagement,
    args: async (em) => ({ primary: bob, link_with: await idToken(em, dave) }),
    after: [bob, dave],
  },
  {
    name: "a link with link_with, the server holding the primary's own token",
    action: "link",
    token: (em) => userToken(em, bob),
    args: async (em) => ({ primary: bob, link_with: await idToken(em, dave) }),
    after: [bob, dave],
  },
  {
    name: "an unlink",
    action: "unlink",
    args: given({ primary: frank, secondary: frankGithub }),
    after: [frank],
  },
  {
    name: "an unlink with the primary's own token",
    action: "unlink",
    token: (em) => userToken(em, frank),
    args: given({ primary: frank, provider: "github", user_id: 7700123 }),
    after: [frank],
  },
];

describe("a preview that can proceed sees the write succeed", () => {
  test.each(accepted.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const em = emulator();
    const h = await harnessFor(em, c);
    const args = await c.args(em);
    const { preview, write } = toolsOf(c.action);
    expect(verdictOf(await h.call(preview, args))).toEqual({ refused: false });
    const result = await h.call(write, args);
    expect(structured(result)).toMatchObject({ status: c.action === "link" ? "linked" : "unlinked" });
    const [primary = ""] = c.after;
    expect(em.state.getUser(primary)?.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual(c.after);
  });
});
