import { describe, expect, test } from "vitest";
import { defaultState, signHs256 } from "./auth0-runtime.ts";
import {
  alice,
  aliceGoogle,
  answerToken,
  bob,
  extra,
  linkInTenant,
  loginEvent,
  resume,
  secretsFor,
  sessionSecret,
  useEmulator,
} from "./helpers.ts";

const emulator = useEmulator();
const key = "idlink_account_linking";
const day = 86_400_000;

describe("onContinuePostLogin applies the page's answer", () => {
  test("linked, with another account kept as primary: setPrimaryUser to it (Auth0 does not switch by itself)", async () => {
    const em = emulator();
    // The login was aliceGoogle's (Auth0's event keeps that user); the page had her sign in to alice too and linked
    // aliceGoogle into alice.
    const login = loginEvent(em, aliceGoogle);
    await linkInTenant(em, alice, aliceGoogle);
    const token = await answerToken({
      sub: aliceGoogle,
      outcome: "linked",
      primary_user_id: alice,
      candidates: [alice],
    });
    const event = await resume(em, login, token);
    expect(event.calls.denied).toEqual([]);
    expect(event.calls.primaryUser).toEqual([alice]);
    expect(event.calls.appMetadata).toEqual([]);
  });

  test("linked, with the login's own user kept as primary: setPrimaryUser is not called", async () => {
    const em = emulator();
    await linkInTenant(em, alice, aliceGoogle);
    const token = await answerToken({
      sub: alice,
      outcome: "linked",
      primary_user_id: alice,
      candidates: [aliceGoogle],
    });
    const { calls, fetched } = await resume(em, alice, token);
    expect(calls).toEqual({ denied: [], primaryUser: [], appMetadata: [], redirects: [] });
    expect(fetched).toEqual([]);
  });

  test("linked, but the primary does not hold the login's identity: denied, saying so", async () => {
    const em = emulator();
    const token = await answerToken({
      sub: aliceGoogle,
      outcome: "linked",
      primary_user_id: alice,
      candidates: [alice],
    });
    const { calls } = await resume(em, aliceGoogle, token);
    expect(calls.primaryUser).toEqual([]);
    expect(calls.denied).toEqual([
      `account linking could not be verified: ${alice} does not hold ${aliceGoogle} as a linked identity`,
    ]);
  });

  test("linked, naming a primary that was not offered: denied", async () => {
    const token = await answerToken({
      sub: alice,
      outcome: "linked",
      primary_user_id: bob,
      candidates: [aliceGoogle],
    });
    const { calls } = await resume(emulator(), alice, token);
    expect(calls.primaryUser).toEqual([]);
    expect(calls.denied).toEqual([
      "account linking could not be verified: the token's primary_user_id must be the user logging in or one of the candidates offered",
    ]);
  });

  test("not_mine: the candidates shown join the declined ids already recorded", async () => {
    const em = emulator();
    const token = await answerToken({
      sub: alice,
      outcome: "not_mine",
      candidates: [aliceGoogle, extra.aliceGithub],
    });
    const { calls } = await resume(em, alice, token, {
      appMetadata: { [key]: { declined: ["github|1"], skipped_until: "2020-01-01T00:00:00.000Z" } },
    });
    expect(calls.denied).toEqual([]);
    expect(calls.appMetadata).toEqual([
      [
        key,
        { declined: ["github|1", aliceGoogle, extra.aliceGithub], skipped_until: "2020-01-01T00:00:00.000Z" },
      ],
    ]);
  });

  test("not_mine for an enterprise id: recorded intact", async () => {
    const em = emulator();
    const token = await answerToken({ sub: extra.janeDb, outcome: "not_mine", candidates: [extra.janeAcme] });
    const { calls } = await resume(em, extra.janeDb, token);
    expect(calls.appMetadata).toEqual([[key, { declined: [extra.janeAcme] }]]);
  });

  test("skipped: skipped_until is now + SKIP_DAYS", async () => {
    const em = emulator();
    const token = await answerToken({ sub: alice, outcome: "skipped", candidates: [aliceGoogle] });
    const before = Date.now();
    const { calls } = await resume(em, alice, token, { secrets: secretsFor(em, { SKIP_DAYS: "3" }) });
    expect(calls.denied).toEqual([]);
    const [[name, value]] = calls.appMetadata as [[string, { declined: string[]; skipped_until: string }]];
    expect(name).toBe(key);
    expect(value.declined).toEqual([]);
    const until = Date.parse(value.skipped_until);
    expect(until).toBeGreaterThanOrEqual(before + 3 * day);
    expect(until).toBeLessThanOrEqual(Date.now() + 3 * day);
  });

  test("skipped when ALLOW_SKIP is false: denied, nothing recorded", async () => {
    const em = emulator();
    const token = await answerToken({ sub: alice, outcome: "skipped", candidates: [aliceGoogle] });
    const { calls } = await resume(em, alice, token, { secrets: secretsFor(em, { ALLOW_SKIP: "false" }) });
    expect(calls.appMetadata).toEqual([]);
    expect(calls.denied).toEqual([
      'account linking could not be verified: the page answered "skipped" but ALLOW_SKIP is false',
    ]);
  });
});

describe("onContinuePostLogin denies what it cannot verify", () => {
  const claims = { sub: alice, outcome: "not_mine", candidates: [aliceGoogle] };
  const cases: [string, () => Promise<string>, RegExp][] = [
    [
      "signed with another secret",
      () => answerToken(claims, { secret: `${sessionSecret}-other` }),
      /signature/,
    ],
    ["expired", () => answerToken(claims, { expiresIn: Math.floor(Date.now() / 1000) - 5 }), /expired/],
    ["another transaction's state", () => answerToken(claims, { state: "another-state" }), /state/],
    [
      "tampered (claims changed after signing)",
      async () => {
        const [head, , signature] = (await answerToken(claims)).split(".");
        const body = Buffer.from(JSON.stringify({ ...claims, outcome: "skipped", state: "x" })).toString(
          "base64url",
        );
        return `${head}.${body}.${signature}`;
      },
      /signature/,
    ],
    [
      "not HS256",
      async () => {
        const head = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
        return `${head}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
      },
      /HS256/,
    ],
  ];
  test.each(cases)("a token %s: denied, saying why", async (_name, make, why) => {
    const { calls } = await resume(emulator(), alice, await make());
    expect(calls.appMetadata).toEqual([]);
    expect(calls.primaryUser).toEqual([]);
    expect(calls.denied).toHaveLength(1);
    expect(calls.denied[0]).toMatch(/^account linking could not be verified: /);
    expect(calls.denied[0]).toMatch(why);
  });

  test("a token without the standard claims validateToken requires (iss, iat): denied", async () => {
    const bare = signHs256(
      { ...claims, state: defaultState, exp: Math.floor(Date.now() / 1000) + 60 },
      sessionSecret,
    );
    const { calls } = await resume(emulator(), alice, bare);
    expect(calls.denied).toEqual([
      "account linking could not be verified: Missing or invalid standard claims",
    ]);
  });

  test("a replayed token: the second /continue is denied", async () => {
    const em = emulator();
    const token = await answerToken(claims);
    const used = new Set<string>();
    expect((await resume(em, alice, token, { used })).calls.denied).toEqual([]);
    const replay = await resume(em, alice, token, { used });
    expect(replay.calls.denied).toEqual([
      "account linking could not be verified: the token was already used",
    ]);
    expect(replay.calls.appMetadata).toEqual([]);
  });

  test("no token at all in the /continue request: denied", async () => {
    const { calls } = await resume(emulator(), alice, "");
    expect(calls.denied[0]).toMatch(/^account linking could not be verified: /);
  });

  test("sub is not the user logging in: denied", async () => {
    const token = await answerToken({ ...claims, sub: bob });
    const { calls } = await resume(emulator(), alice, token);
    expect(calls.appMetadata).toEqual([]);
    expect(calls.denied).toEqual([
      "account linking could not be verified: the token's sub is not the user logging in",
    ]);
  });

  test.each([
    ["an unknown outcome", { ...claims, outcome: "maybe" }, /outcome/],
    ["no candidates", { ...claims, candidates: [] }, /candidates/],
    ["a candidate that is no user id", { ...claims, candidates: ["alice.martin@example.com"] }, /candidates/],
    ["a pre-encoded candidate", { ...claims, candidates: ["google-oauth2%7C108"] }, /candidates/],
  ])("%s: denied", async (_name, body, why) => {
    const { calls } = await resume(emulator(), alice, await answerToken(body));
    expect(calls.appMetadata).toEqual([]);
    expect(calls.denied[0]).toMatch(why);
  });
});
