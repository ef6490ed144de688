import type { Emulator } from "@idlink/emulator";
import { expect, test } from "vitest";
import {
  alice,
  aliceGoogle,
  frank,
  frankGithub,
  type HarnessOptions,
  identityIds,
  textOf,
  useHarness,
} from "./helpers.ts";

const { emulator, open } = useHarness();

const accept = () => ({ action: "accept" as const, content: {} });

interface Case {
  name: string;
  setup?: (em: Emulator) => Promise<HarnessOptions> | HarnessOptions;
  tool: string;
  args: Record<string, unknown>;
  /** Every line must appear in the isError text: core's title and Auth0's own message. */
  expected: (string | RegExp)[];
  after?: (em: Emulator) => void;
}

const cases: Case[] = [
  {
    name: "400 from link: a connection_id of another provider",
    tool: "link_accounts",
    args: { primary: alice, secondary: aliceGoogle, connection_id: "con_GitHubSocial0042" },
    expected: ["Auth0 rejected the request", "The provider/connection is not configured."],
    after: (em) => expect(identityIds(em, alice)).toEqual([alice]),
  },
  {
    name: "401: an expired Management token",
    setup: async (em) => ({ token: await em.mintToken({ scopes: ["read:users"], expiresIn: -60 }) }),
    tool: "get_user_identities",
    args: { user_id: alice },
    expected: ["The token was not accepted", "Expired token received for JSON Web Token validation"],
  },
  {
    name: "403: a token without read:users",
    setup: async (em) => ({ token: await em.mintToken({ scopes: ["update:users"] }) }),
    tool: "get_user_identities",
    args: { user_id: alice },
    expected: [
      "Not allowed",
      "Insufficient scope, expected any of: read:users",
      "Grant the application the scopes",
    ],
  },
  {
    name: "a token without update:users: unlink is refused by the preflight",
    setup: async (em) => ({ token: await em.mintToken({ scopes: ["read:users"] }) }),
    tool: "unlink_identity",
    args: { primary: frank, secondary: frankGithub },
    expected: [
      "Refused — nothing was sent",
      `- token (the server's own Auth0 token, not an argument): "the access token lacks update:users`,
      "tell the user what the message says",
    ],
    after: (em) => expect(identityIds(em, frank)).toEqual([frank, frankGithub]),
  },
  {
    name: "404: an unknown primary",
    tool: "link_accounts",
    args: { primary: "auth0|000000000000000000000000", secondary: aliceGoogle },
    expected: ["Not found", "The user does not exist."],
  },
  {
    // Linked into another user instead, Auth0 would move that user into this primary (fidelity corpus).
    name: "409: the secondary was linked into this primary between the plan and the write",
    setup: () => ({
      beforeWrite: () => {
        const em = emulator();
        return em
          .mintToken({ scopes: ["update:users"] })
          .then((token) =>
            fetch(`${em.url}/api/v2/users/${encodeURIComponent(alice)}/identities`, {
              method: "POST",
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
              body: JSON.stringify({ provider: "google-oauth2", user_id: "108234567890123456789" }),
            }),
          )
          .then(() => undefined);
      },
    }),
    tool: "link_accounts",
    args: { primary: alice, secondary: aliceGoogle },
    expected: ["Already linked", "Specified identity already exists."],
    after: (em) => expect(identityIds(em, alice)).toEqual([alice, aliceGoogle]),
  },
  {
    name: "429: the tenant's rate limit",
    // find_link_candidates makes two reads: the first spends the bucket's only token.
    setup: (em) => {
      em.setRateLimit({ burst: 1, perSecond: 0.001 });
      return {};
    },
    tool: "find_link_candidates",
    args: { user: alice },
    expected: ["Rate limited", "Global limit has been reached", /Wait \d+ seconds/],
  },
  {
    name: "5xx on a read",
    setup: (em) => {
      em.setFaults({ errorRate: 1 });
      return {};
    },
    tool: "get_user_identities",
    args: { user_id: alice },
    expected: [/Auth0 answered 50[03]/],
  },
  {
    name: "an HTML 502 page on a read",
    setup: (em) => {
      em.setFaults({ htmlRate: 1 });
      return {};
    },
    tool: "get_user_identities",
    args: { user_id: alice },
    expected: ["Auth0 answered with an HTML page"],
  },
  {
    name: "a dropped connection on a read",
    setup: (em) => {
      em.setFaults({ dropBeforeRate: 1 });
      return {};
    },
    tool: "get_user_identities",
    args: { user_id: alice },
    expected: ["Auth0 could not be reached"],
  },
  {
    name: "5xx on the link itself: outcome unknown",
    setup: (em) => ({ beforeWrite: () => em.setFaults({ errorRate: 1 }) }),
    tool: "link_accounts",
    args: { primary: alice, secondary: aliceGoogle },
    expected: ["Outcome unknown", "may have been applied", "Read the primary user's identities"],
  },
  {
    name: "a connection dropped after the link was applied: outcome unknown",
    setup: (em) => ({ beforeWrite: () => em.setFaults({ dropAfterRate: 1 }) }),
    tool: "link_accounts",
    args: { primary: alice, secondary: aliceGoogle },
    expected: ["Outcome unknown", "may have been applied"],
    after: (em) => expect(identityIds(em, alice)).toEqual([alice, aliceGoogle]),
  },
];

test.each(cases.map((c) => [c.name, c] as const))(
  "%s → an isError result with core's message",
  async (_name, c) => {
    const em = emulator();
    const options = (await c.setup?.(em)) ?? {};
    const harness = await open({ elicit: accept, ...options }, em);
    const result = await harness.call(c.tool, c.args);
    em.setFaults({});
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    for (const line of c.expected) {
      if (typeof line === "string") expect(textOf(result)).toContain(line);
      else expect(textOf(result)).toMatch(line);
    }
    c.after?.(em);
  },
);
