import { afterAll, expect, test } from "vitest";
import {
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  type Harness,
  identityIds,
  structured,
  textOf,
  useHarness,
} from "../helpers.ts";

// The abuse matrix in one place: every attempt must be refused and change nothing. The HTTP attempts (no bearer,
// a wrong one, a foreign Origin or Host) are in http.e2e.test.ts, against the built server.
const { emulator, open } = useHarness();
let refused = 0;
afterAll(() => console.log(`MCP abuse: ${refused} attempts refused, 0 accepted, 0 changes made`));

async function token(h: Harness, args: Record<string, unknown>): Promise<string> {
  const { action, ...rest } = args;
  const out = structured(await h.call(action === "unlink" ? "preview_unlink" : "preview_link", rest));
  return String(out.confirmation_token);
}

type Attempt = (h: Harness, clock: { now: number }) => Promise<{ isError?: boolean }>;

const link = { primary: alice, secondary: aliceGoogle };
const attempts: [string, Attempt][] = [
  [
    "an undeclared argument on a read tool",
    (h) => h.call("get_user_identities", { user_id: alice, admin: true }),
  ],
  ["an undeclared argument on link_accounts", (h) => h.call("link_accounts", { ...link, force: true })],
  ["an undeclared argument on unlink_identity", (h) => h.call("unlink_identity", { ...link, force: true })],
  ["link_accounts with no confirmation", (h) => h.call("link_accounts", link)],
  [
    "a confirmation token that is not one",
    (h) => h.call("link_accounts", { ...link, confirmation_token: "yes" }),
  ],
  [
    "a forged confirmation token",
    async (h) => {
      const t = await token(h, link);
      return h.call("link_accounts", {
        ...link,
        confirmation_token: `${t.slice(0, -1)}${t.endsWith("0") ? "1" : "0"}`,
      });
    },
  ],
  [
    "a token issued for other accounts",
    async (h) =>
      h.call("link_accounts", {
        ...link,
        confirmation_token: await token(h, { primary: bob, secondary: bobGithub }),
      }),
  ],
  [
    "a link token used to unlink",
    async (h) => h.call("unlink_identity", { ...link, confirmation_token: await token(h, link) }),
  ],
  [
    "an expired token",
    async (h, clock) => {
      const t = await token(h, link);
      clock.now += 301_000;
      return h.call("link_accounts", { ...link, confirmation_token: t });
    },
  ],
  [
    "a replayed token",
    async (h) => {
      const t = await token(h, { primary: bob, secondary: bobGithub });
      const first = await h.call("link_accounts", {
        primary: bob,
        secondary: bobGithub,
        confirmation_token: t,
      });
      expect(first.isError).toBeFalsy();
      await h.call("unlink_identity", {
        primary: bob,
        secondary: bobGithub,
        confirmation_token: await token(h, { action: "unlink", primary: bob, secondary: bobGithub }),
      });
      return h.call("link_accounts", { primary: bob, secondary: bobGithub, confirmation_token: t });
    },
  ],
];

test.each(attempts)("refuses %s, changing nothing", async (_name, attempt) => {
  const clock = { now: Date.now() };
  const h = await open({ now: () => clock.now });
  const before = emulator().state.listUsers().length;
  // Refused means an isError result; a protocol error (the SDK's own input validation) counts as refused too.
  const result = await attempt(h, clock).catch(() => ({ isError: true }));
  expect(result.isError).toBe(true);
  expect(identityIds(emulator(), alice)).toEqual([alice]);
  expect(emulator().state.listUsers()).toHaveLength(before);
  refused++;
});

test("read-only mode cannot be bypassed by calling a write tool", async () => {
  const h = await open({ options: { readOnly: true } });
  await expect(h.call("link_accounts", link)).rejects.toThrow("Tool link_accounts not found");
  await expect(h.call("unlink_identity", link)).rejects.toThrow("Tool unlink_identity not found");
  const preview = structured(await h.call("preview_link", link));
  expect(preview.confirmation_token).toBeUndefined();
  expect(textOf(await h.call("get_user_identities", { user_id: alice }))).toContain(alice);
  expect(identityIds(emulator(), alice)).toEqual([alice]);
  refused += 3;
});
