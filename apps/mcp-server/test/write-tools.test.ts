import { describe, expect, test } from "vitest";
import { fenceNote } from "../src/fence.ts";
import {
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  dave,
  eras,
  frank,
  frankGithub,
  type Harness,
  identityIds,
  rememberSecret,
  structured,
  textOf,
  useHarness,
} from "./helpers.ts";

const { emulator, open } = useHarness();

async function previewToken(h: Harness, args: Record<string, unknown>): Promise<string> {
  const { action, ...rest } = args;
  const out = structured(await h.call(action === "unlink" ? "preview_unlink" : "preview_link", rest));
  expect(out.can_proceed).toBe(true);
  return String(out.confirmation_token);
}

describe.each(eras)("with elicitation (%s)", (era) => {
  test("link_accounts shows the plan, and links on accept", async () => {
    const h = await open({ era, elicit: () => ({ action: "accept", content: {} }) });
    const result = await h.call("link_accounts", { primary: alice, secondary: aliceGoogle });
    expect(result.isError).toBeFalsy();
    expect(h.elicitations).toHaveLength(1);
    const message = h.elicitations[0]?.message ?? "";
    expect(message).toContain(`Link "${aliceGoogle}" ("alice.martin@example.com") into "${alice}"`);
    expect(message).toContain(`Identities after: "${alice}", "${aliceGoogle}".`);
    expect(message).toContain('discarded by Auth0: user_metadata "newsletter", "theme"');
    expect(message.split("\n")[0]).toBe(fenceNote);
    expect(structured(result)).toEqual({
      status: "linked",
      primary: alice,
      secondary: aliceGoogle,
      identities: [
        { id: alice, provider: "auth0", connection: "Username-Password-Authentication" },
        { id: aliceGoogle, provider: "google-oauth2", connection: "google-oauth2" },
      ],
      merged_metadata_keys: [],
    });
    expect(identityIds(emulator(), alice)).toEqual([alice, aliceGoogle]);
    expect(emulator().state.getUser(aliceGoogle)).toBeUndefined();
  });

  test.each(["decline", "cancel"] as const)("link_accounts changes nothing on %s", async (action) => {
    const h = await open({ era, elicit: () => ({ action }) });
    const result = await h.call("link_accounts", { primary: alice, secondary: aliceGoogle });
    expect(result.isError).toBeFalsy();
    expect(structured(result)).toEqual({
      status: action === "decline" ? "declined" : "cancelled",
      primary: alice,
      secondary: aliceGoogle,
    });
    expect(textOf(result)).toContain("nothing was changed");
    expect(identityIds(emulator(), alice)).toEqual([alice]);
    expect(emulator().state.requests.filter((r) => r.method !== "GET" && r.path !== "/oauth/token")).toEqual(
      [],
    );
  });

  test("unlink_identity asks, and unlinks on accept", async () => {
    const h = await open({ era, elicit: () => ({ action: "accept", content: {} }) });
    const result = await h.call("unlink_identity", { primary: frank, provider: "github", user_id: 7700123 });
    expect(h.elicitations[0]?.message).toContain(`Unlink "${frankGithub}" from "${frank}"`);
    expect(structured(result)).toMatchObject({ status: "unlinked", identities: [{ id: frank }] });
    expect(identityIds(emulator(), frank)).toEqual([frank]);
    expect(emulator().state.getUser(frankGithub)).toBeDefined();
  });

  test("unlink_identity changes nothing on decline", async () => {
    const h = await open({ era, elicit: () => ({ action: "decline" }) });
    const result = await h.call("unlink_identity", { primary: frank, secondary: frankGithub });
    expect(structured(result)).toMatchObject({ status: "declined" });
    expect(identityIds(emulator(), frank)).toEqual([frank, frankGithub]);
  });

  test("asks the user even when a confirmation token is passed", async () => {
    const h = await open({ era, elicit: () => ({ action: "decline" }) });
    const token = h.confirmations.issue("preview", {
      action: "link",
      primary: bob,
      secondary: bobGithub,
    }).token;
    const result = await h.call("link_accounts", {
      primary: bob,
      secondary: bobGithub,
      confirmation_token: token,
    });
    expect(h.elicitations).toHaveLength(1);
    expect(structured(result).status).toBe("declined");
  });

  test("merges the secondary's user_metadata first when asked (the primary wins)", async () => {
    const h = await open({ era, elicit: () => ({ action: "accept", content: {} }) });
    const result = await h.call("link_accounts", {
      primary: alice,
      secondary: aliceGoogle,
      merge_metadata: true,
    });
    expect(h.elicitations[0]?.message).toContain(
      `user_metadata "newsletter" will be copied into the primary's user_metadata`,
    );
    expect(structured(result)).toMatchObject({ status: "linked", merged_metadata_keys: ["newsletter"] });
    expect(emulator().state.getUser(alice)?.user_metadata).toEqual({
      theme: "dark",
      locale: "en-GB",
      newsletter: true,
    });
  });
});

describe("an accepted answer only counts with the server's own request state (2026-07-28)", () => {
  test.each([
    ["no request state", {}],
    ["a forged request state", { requestState: "idlc1-e-link-9999999999-00000000000000000000000000000000-" }],
  ])("refuses %s", async (_name, extra) => {
    const h = await open({ era: "2026-07-28", elicit: () => ({ action: "accept", content: {} }) });
    // A raw retry, as a client that skipped the question would send it (the typed params omit these fields).
    const params = {
      name: "link_accounts",
      arguments: { primary: alice, secondary: aliceGoogle },
      inputResponses: { confirm: { action: "accept", content: {} } },
      ...extra,
    };
    const result = await h.client.callTool(params);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Confirmation failed");
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });

  test("refuses the request state of a question about other accounts", async () => {
    const h = await open({ era: "2026-07-28", elicit: () => ({ action: "accept", content: {} }) });
    const { token } = h.confirmations.issue("elicitation", {
      action: "link",
      primary: bob,
      secondary: bobGithub,
    });
    const params = {
      name: "link_accounts",
      arguments: { primary: alice, secondary: aliceGoogle },
      inputResponses: { confirm: { action: "accept", content: {} } },
      requestState: token,
    };
    const result = await h.client.callTool(params);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`was issued to link ${bobGithub} into ${bob}`);
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });
});

describe("without elicitation: the confirmation token", () => {
  test("is required: link_accounts refuses and says how to get one", async () => {
    const h = await open();
    const result = await h.call("link_accounts", { primary: alice, secondary: aliceGoogle });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Confirmation required — nothing was changed");
    expect(textOf(result)).toContain("Call preview_link with the same primary and secondary");
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });

  test("from preview_link lets link_accounts proceed, once", async () => {
    const h = await open();
    const token = await previewToken(h, { primary: alice, secondary: aliceGoogle });
    const linked = await h.call("link_accounts", {
      primary: alice,
      secondary: aliceGoogle,
      confirmation_token: token,
    });
    expect(structured(linked)).toMatchObject({ status: "linked" });
    expect(identityIds(emulator(), alice)).toEqual([alice, aliceGoogle]);

    emulator().state.reset();
    const replay = await h.call("link_accounts", {
      primary: alice,
      secondary: aliceGoogle,
      confirmation_token: token,
    });
    expect(replay.isError).toBe(true);
    expect(textOf(replay)).toContain("confirmation_token was already used");
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });

  test("lets unlink_identity proceed when issued for unlinking", async () => {
    const h = await open();
    const token = await previewToken(h, { action: "unlink", primary: frank, secondary: frankGithub });
    const result = await h.call("unlink_identity", {
      primary: frank,
      secondary: frankGithub,
      confirmation_token: token,
    });
    expect(structured(result)).toMatchObject({ status: "unlinked" });
    expect(identityIds(emulator(), frank)).toEqual([frank]);
  });

  test("is refused when it was issued for other accounts", async () => {
    const h = await open();
    const token = await previewToken(h, { primary: bob, secondary: bobGithub });
    const result = await h.call("link_accounts", {
      primary: alice,
      secondary: aliceGoogle,
      confirmation_token: token,
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(
      `was issued to link ${bobGithub} into ${bob}, not to link ${aliceGoogle} into ${alice}`,
    );
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });

  test("is refused when forged (one character of the signature changed)", async () => {
    const h = await open();
    const token = await previewToken(h, { primary: alice, secondary: aliceGoogle });
    const last = token.at(-1) === "0" ? "1" : "0";
    const forged = `${token.slice(0, -1)}${last}`;
    const result = await h.call("link_accounts", {
      primary: alice,
      secondary: aliceGoogle,
      confirmation_token: forged,
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("was not issued by this server or was altered");
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });

  test("is refused when it is not a token at all", async () => {
    const h = await open();
    const result = await h.call("link_accounts", {
      primary: alice,
      secondary: aliceGoogle,
      confirmation_token: "yes",
    });
    expect(textOf(result)).toContain("confirmation_token is not a token this server issued");
  });

  test("is refused once expired", async () => {
    let now = Date.now();
    const h = await open({ now: () => now });
    const token = await previewToken(h, { primary: alice, secondary: aliceGoogle });
    now += 301_000;
    const result = await h.call("link_accounts", {
      primary: alice,
      secondary: aliceGoogle,
      confirmation_token: token,
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/confirmation_token expired at \d{4}-/);
    expect(identityIds(emulator(), alice)).toEqual([alice]);
  });

  test("is not issued in read-only mode", async () => {
    const h = await open({ options: { readOnly: true } });
    const out = structured(await h.call("preview_link", { primary: alice, secondary: aliceGoogle }));
    expect(out.can_proceed).toBe(true);
    expect(out.confirmation_token).toBeUndefined();
  });
});

describe("link_with", () => {
  test("links with the secondary's ID token when the server's token has the same azp, never echoing it", async () => {
    const em = emulator();
    const token = await em.mintToken({ scopes: ["read:users", "update:users"], azp: "idlink-spa" });
    const { id_token } = await em.login(dave);
    rememberSecret(id_token);
    const h = await open({ token, elicit: () => ({ action: "accept", content: {} }) });
    const result = await h.call("link_accounts", { primary: bob, link_with: id_token });
    expect(structured(result)).toMatchObject({ status: "linked", secondary: dave });
    expect(identityIds(em, bob)).toEqual([bob, dave]);
  });

  test("is blocked by preflight when the ID token was issued to another application", async () => {
    const em = emulator();
    const { id_token } = await em.login(dave);
    rememberSecret(id_token);
    const h = await open({ elicit: () => ({ action: "accept", content: {} }) });
    const result = await h.call("link_accounts", { primary: bob, link_with: id_token });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("Invalid input — nothing was sent");
    expect(textOf(result)).toContain("link_with's aud must be the calling token's azp");
    expect(h.elicitations).toEqual([]);
  });
});

describe("refusals before any question", () => {
  test("link_accounts does not ask about a link that is blocked", async () => {
    const h = await open({ elicit: () => ({ action: "accept", content: {} }) });
    const result = await h.call("link_accounts", { primary: frank, secondary: frankGithub });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("already linked");
    expect(h.elicitations).toEqual([]);
  });

  test("unlink_identity refuses the main identity", async () => {
    const h = await open({ elicit: () => ({ action: "accept", content: {} }) });
    const result = await h.call("unlink_identity", { primary: frank, secondary: frank });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`${frank} is the main identity of ${frank} — Auth0 cannot remove it`);
    expect(h.elicitations).toEqual([]);
  });

  test("link_accounts rejects an undeclared argument", async () => {
    const h = await open({ elicit: () => ({ action: "accept", content: {} }) });
    const result = await h.call("link_accounts", { primary: alice, secondary: aliceGoogle, force: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("force");
    expect(h.elicitations).toEqual([]);
  });
});
