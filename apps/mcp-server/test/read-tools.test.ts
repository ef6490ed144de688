import { describe, expect, test } from "vitest";
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
  identityIds,
  structured,
  textOf,
  useHarness,
} from "./helpers.ts";

const { emulator, open } = useHarness();

describe("get_user_identities", () => {
  test("lists a user's identities, main identity first, without IdP tokens", async () => {
    const { call } = await open();
    const result = await call("get_user_identities", { user_id: frank });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toEqual({
      user_id: frank,
      email: "frank@example.com",
      email_verified: true,
      name: "Frank Ortiz",
      identities: [
        { id: frank, provider: "auth0", connection: "Username-Password-Authentication" },
        { id: frankGithub, provider: "github", connection: "github" },
      ],
      metadata_keys: { user_metadata: ["timezone"], app_metadata: ["plan"] },
    });
    expect(textOf(result)).toBe(
      [
        fenceNote,
        `"${frank}" ("frank@example.com", verified), named "Frank Ortiz" has 2 identities: "${frank}", "${frankGithub}". Metadata keys: user_metadata "timezone"; app_metadata "plan".`,
      ].join("\n"),
    );
    expect(JSON.stringify(result)).not.toContain("access_token");
  });

  test("answers an unknown user with Auth0's message as an isError result", async () => {
    const { call } = await open();
    const result = await call("get_user_identities", { user_id: "auth0|000000000000000000000000" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Not found");
    expect(textOf(result)).toContain("The user does not exist.");
  });

  test("an identity linked into another user: says which user holds it, and what to do", async () => {
    const { call } = await open();
    const result = await call("get_user_identities", { user_id: frankGithub });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`(user ${frankGithub}, linked into ${frank} (frank@example.com))`);
    // Tenant values in idlink's hint are quoted: the ids and the owner's email.
    expect(textOf(result)).toContain(
      `"${frankGithub}" is an identity linked into "${frank}" ("frank@example.com"), not a user of its own: act on "${frank}" instead, or unlink "${frankGithub}" from it first.`,
    );
  });

  test("rejects a percent-encoded id with core's message and sends nothing", async () => {
    const { call } = await open();
    const result = await call("get_user_identities", { user_id: "auth0%7C64f1a2b3c4d5e6f708192a3b" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("looks percent-encoded");
    expect(emulator().state.requests.filter((r) => r.path.startsWith("/api/v2"))).toEqual([]);
  });

  test("rejects an undeclared argument", async () => {
    const { call } = await open();
    const result = await call("get_user_identities", { user_id: alice, include_tokens: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("include_tokens");
    expect(emulator().state.requests).toEqual([]);
  });
});

describe("find_link_candidates", () => {
  test("suggests the accounts that share a user's verified email", async () => {
    const { call } = await open();
    const result = await call("find_link_candidates", { user: alice });
    const out = structured(result);
    expect(out.email).toBe("alice.martin@example.com");
    expect(out.primary).toMatchObject({ user_id: alice });
    expect(out.candidates).toEqual([expect.objectContaining({ user_id: aliceGoogle, email_verified: true })]);
    expect(out.unverified).toEqual([]);
    expect(textOf(result)).toContain(`candidates: "${aliceGoogle}"`);
  });

  test("reports unverified matches apart, with the reason, and suggests none", async () => {
    const { call } = await open();
    const result = await call("find_link_candidates", { user: "carol@example.org" });
    const out = structured(result);
    expect(out.candidates).toEqual([]);
    const unverified = out.unverified as { account: { user_id: string }; reason: string }[];
    expect(unverified.map((u) => u.account.user_id).sort()).toEqual(
      [carol, carolGoogle]
        .filter((id) => id !== (out.primary as { user_id?: string } | undefined)?.user_id)
        .sort(),
    );
    for (const u of unverified) expect(u.reason).toContain("not verified");
  });
});

describe("preview_link", () => {
  test("plans a link: identities after, discarded metadata, a confirmation token; changes nothing", async () => {
    const { call } = await open();
    const before = emulator().state.listUsers().length;
    const result = await call("preview_link", { primary: alice, secondary: aliceGoogle });
    expect(result.isError).toBeFalsy();
    const out = structured(result);
    expect(out).toMatchObject({
      can_proceed: true,
      blockers: [],
      identities_after: [{ id: alice }, { id: aliceGoogle }],
      discarded_metadata: { user_metadata: ["newsletter", "theme"], app_metadata: [] },
      mergeable_keys: ["newsletter"],
    });
    expect(out.confirmation_token).toMatch(/^idlc1-p-link-\d+-[0-9a-f]{32}-[0-9a-f]{64}$/);
    expect(Date.parse(String(out.confirmation_expires_at))).toBeGreaterThan(Date.now());
    expect(textOf(result)).toContain(`Link "${aliceGoogle}"`);
    expect(emulator().state.listUsers()).toHaveLength(before);
    expect(emulator().state.requests.every((r) => r.method === "GET" || r.path === "/oauth/token")).toBe(
      true,
    );
  });

  test("takes the secondary as provider and user_id too", async () => {
    const { call } = await open();
    const result = await call("preview_link", {
      primary: bob,
      provider: "github",
      user_id: 5812345,
    });
    expect(structured(result)).toMatchObject({ can_proceed: true, secondary: { user_id: bobGithub } });
  });

  test.each([
    [
      "a full id and provider at once",
      { secondary: aliceGoogle, provider: "google-oauth2" },
      "give the secondary either as a full id or as provider, not both",
    ],
    ["an empty provider", { provider: "", user_id: "1" }, "provider must not be empty"],
    [
      "a secondary that is no full id",
      { secondary: "108234567890123456789" },
      "secondary must be a full user id",
    ],
    ["no secondary at all", {}, "no secondary account given"],
    ["the primary itself", { secondary: alice }, "the secondary is the primary itself"],
    [
      "link_with beside an id",
      { link_with: "a.b.c", provider: "github", user_id: "1" },
      "link_with cannot be combined",
    ],
  ])("refuses %s with core's message, sending nothing", async (_name, args, message) => {
    const { call } = await open();
    const result = await call("preview_link", { primary: alice, ...args });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(message);
    expect(emulator().state.requests.filter((r) => r.path.startsWith("/api/v2"))).toEqual([]);
  });

  test("reports a missing secondary as a blocker and issues no token", async () => {
    const { call } = await open();
    const result = await call("preview_link", { primary: alice, secondary: "github|404404" });
    const out = structured(result);
    expect(out.can_proceed).toBe(false);
    expect(out.blockers).toEqual([{ path: "secondary", message: expect.stringContaining("does not exist") }]);
    expect(out.confirmation_token).toBeUndefined();
  });

  test("names the user a secondary is linked into, and the ways on", async () => {
    const { call } = await open();
    const result = await call("preview_link", { primary: alice, secondary: frankGithub });
    const out = structured(result);
    expect(out.can_proceed).toBe(false);
    expect(out.blockers).toEqual([
      {
        path: "secondary",
        message: expect.stringContaining(`it is linked into ${frank} (frank@example.com)`),
      },
    ]);
    expect(out.confirmation_token).toBeUndefined();
  });

  test("preflights link_with against the server's token: an ID token for another application is blocked", async () => {
    const em = emulator();
    const { id_token } = await em.login(aliceGoogle);
    const { call } = await open();
    const result = await call("preview_link", { primary: alice, link_with: id_token });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(
      `- link_with: "link_with's aud must be the calling token's azp (idlink-admin)`,
    );
    expect(JSON.stringify(result)).not.toContain(id_token);
  });

  test("plans an unlink: the identities that remain and a token for unlinking", async () => {
    const { call } = await open();
    const result = await call("preview_unlink", { primary: frank, secondary: frankGithub });
    const out = structured(result);
    expect(out).toMatchObject({
      can_proceed: true,
      identities_after: [{ id: frank }],
      secondary: { id: frankGithub },
    });
    expect(out.confirmation_token).toMatch(/^idlc1-p-unlink-/);
    expect(out.warnings).toEqual([expect.stringContaining("becomes a separate user again")]);
    expect(identityIds(emulator(), frank)).toEqual([frank, frankGithub]);
  });

  test.each([["an identity that is not linked", bobGithub, "is not linked to"]])(
    "blocks unlinking %s",
    async (_name, secondary, message) => {
      const { call } = await open();
      const out = structured(await call("preview_unlink", { primary: frank, secondary }));
      expect(out.can_proceed).toBe(false);
      expect(out.blockers).toEqual([{ path: "secondary", message: expect.stringContaining(message) }]);
      expect(out.confirmation_token).toBeUndefined();
    },
  );

  test("refuses link-only fields when unlinking", async () => {
    const { call } = await open();
    const result = await call("preview_unlink", {
      primary: frank,
      secondary: frankGithub,
      connection_id: "con_GitHubSocial0042",
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("connection_id");
  });
});
