import { createManagementClient, ValidationError } from "@idlink/core";
import { defaultSeed, type Seed } from "@idlink/emulator";
import { afterAll, describe, expect, test } from "vitest";
import { alice, useEmulator } from "./helpers.ts";

// Ids that a naive client would break: path and query delimiters, dots, spaces, unicode, bars, percent signs.
const delivered = [
  "a/b",
  "a?b=c",
  "a#frag",
  "a b",
  "ünï-日本-🙂",
  "conn|abc|def",
  "100%",
  "..x",
  "a.b",
  "x/../../users-by-email",
  "+&=;,",
];
const refused = [
  [".", 'cannot be "."'],
  ["..", 'cannot be ".."'],
  ["%41bc", "looks percent-encoded"],
  ["auth0%7Cabc", "looks percent-encoded"],
  [" padded", "spaces at its start or end"],
  ["tab\there", "control characters"],
  ["", "must not be empty"],
] as const;

function seedWithOddIds(): Seed {
  const seed = defaultSeed();
  const users = delivered.flatMap((odd) => [
    {
      user_id: `auth0|${odd}`,
      email: "odd@example.com",
      email_verified: true,
      identities: [{ provider: "auth0", user_id: odd, connection: "Username-Password-Authentication" }],
    },
    {
      user_id: `github|${odd}`,
      email: "odd@example.com",
      email_verified: true,
      identities: [{ provider: "github", user_id: odd, connection: "github" }],
    },
  ]);
  return { ...seed, users: [...seed.users, ...users] };
}

afterAll(() =>
  console.log(
    `path safety: ${delivered.length} odd ids delivered decoded back to themselves (as primary, and linked and unlinked as secondary), ${refused.length} refused before sending, 0 traversals`,
  ),
);

describe("path safety", () => {
  const emulator = useEmulator({ seed: seedWithOddIds() });
  const client = () => {
    const em = emulator();
    return {
      em,
      client: createManagementClient({
        domain: em.url,
        getToken: () => em.mintToken({ scopes: ["read:users", "update:users"] }),
      }),
    };
  };

  test.each(delivered)("delivers the primary id %j decoded back to exactly itself", async (odd) => {
    const { em, client: c } = client();
    const user = await c.getUser(`auth0|${odd}`);
    expect(user.user_id).toBe(`auth0|${odd}`);
    const last = em.state.requests.at(-1);
    // One path segment after /users/, whatever the id holds: no traversal to another endpoint.
    expect(last?.path.split("/")).toHaveLength(5);
    expect(decodeURIComponent(last?.path.split("/")[4] ?? "")).toBe(`auth0|${odd}`);
  });

  test.each(delivered)("links and unlinks a secondary whose user_id is %j", async (odd) => {
    const { em, client: c } = client();
    const linked = await c.link(alice, { provider: "github", user_id: odd });
    expect(linked.map((i) => `${i.provider}|${i.user_id}`)).toContain(`github|${odd}`);
    const remaining = await c.unlink(alice, `github|${odd}`);
    expect(remaining.map((i) => `${i.provider}|${i.user_id}`)).not.toContain(`github|${odd}`);
    expect(em.state.getUser(`github|${odd}`)?.user_id).toBe(`github|${odd}`);
  });

  test.each(refused)("refuses the id %j before sending", async (bad, message) => {
    const { em, client: c } = client();
    const before = em.state.requests.length;
    const error = await c.getUser(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain(message);
    await expect(c.link(bad, { provider: "github", user_id: "1" })).rejects.toThrow(message);
    expect(em.state.requests.length).toBe(before);
  });
});
