import { createEmulator } from "@idlink/emulator";
import { recordOutput, useServer } from "@idlink/test-kit";
import { decodeJwt } from "jose";
import { describe, expect, test } from "vitest";
import { actionSource } from "../src/index.ts";
import { callback, continueWith, exchange, signIn } from "./emulator-login.ts";
import {
  alice,
  aliceGoogle,
  answerToken,
  dave,
  linkInTenant,
  linkPage,
  readOffer,
  secretsFor,
  testSeed,
} from "./helpers.ts";

// End to end: dist/link-action.js bound to the emulator's post-login trigger, a login through its Universal Login.
const emulator = useServer(
  () => createEmulator({ seed: testSeed(), rateLimit: false }),
  (em) => em.state.reset(testSeed()),
);

function bind(secrets: Record<string, string>) {
  emulator().setPostLoginActions([{ name: "idlink-link-action", code: actionSource, secrets }]);
}

describe("dist/link-action.js on the emulator's post-login trigger", () => {
  test("a login with a verified same-email account is sent to LINK_PAGE_URL with a signed offer and Auth0's state", async () => {
    const em = emulator();
    bind(secretsFor(em));
    const { next } = await signIn(em, alice);
    expect(`${next.origin}${next.pathname}`).toBe(linkPage);
    expect(next.searchParams.get("state")).toBeTruthy();
    const token = next.searchParams.get("session_token") ?? "";
    const { payload } = await readOffer(token);
    expect(payload).toMatchObject({
      sub: alice,
      iss: new URL(em.url).host,
      current_identity: { user_id: alice, provider: "auth0", connection: "Username-Password-Authentication" },
      candidate_identities: [
        { user_id: aliceGoogle, provider: "google-oauth2", connection: "google-oauth2" },
      ],
      continue_uri: `${em.url}/continue`,
      allow_skip: true,
    });
  });

  test("a login with nothing to offer goes straight back to the application with a code", async () => {
    const em = emulator();
    bind(secretsFor(em));
    const { next } = await signIn(em, dave);
    expect(`${next.origin}${next.pathname}`).toBe(callback);
    expect(next.searchParams.get("code")).toBeTruthy();
  });

  test("a missing secret: the callback's error_description names it, never a value", async () => {
    const em = emulator();
    const { SESSION_TOKEN_SECRET: _dropped, ...secrets } = secretsFor(em);
    bind(secrets);
    const { next } = await signIn(em, alice);
    expect(`${next.origin}${next.pathname}`).toBe(callback);
    const description = next.searchParams.get("error_description") ?? "";
    recordOutput("emulator callback: error_description", description);
    expect(next.searchParams.get("error")).toBe("access_denied");
    expect(description).toBe("account linking is misconfigured: secret SESSION_TOKEN_SECRET is missing");
  });

  test("round trip, not mine: /continue records the decision and the login ends with a code; the next login is not offered", async () => {
    const em = emulator();
    bind(secretsFor(em));
    const { next } = await signIn(em, alice);
    const state = next.searchParams.get("state") ?? "";
    const offer = (await readOffer(next.searchParams.get("session_token") ?? "")).payload;
    const answer = await answerToken(
      { sub: alice, outcome: "not_mine", candidates: [aliceGoogle] },
      { state },
    );
    const back = await continueWith(String(offer.continue_uri), { state, session_token: answer });
    expect(`${back.origin}${back.pathname}`).toBe(callback);
    expect(back.searchParams.get("code")).toBeTruthy();
    expect(em.state.getUser(alice)?.app_metadata?.idlink_account_linking).toEqual({
      declined: [aliceGoogle],
    });
    const again = await signIn(em, alice);
    expect(`${again.next.origin}${again.next.pathname}`).toBe(callback);
  });

  test("round trip, linked into another primary: setPrimaryUser makes the login end as that user", async () => {
    const em = emulator();
    bind(secretsFor(em));
    const { next, verifier } = await signIn(em, aliceGoogle);
    const state = next.searchParams.get("state") ?? "";
    const offer = (await readOffer(next.searchParams.get("session_token") ?? "")).payload;
    expect(offer.candidate_identities).toMatchObject([{ user_id: alice }]);
    // The page: the person signed in to alice too, and it linked aliceGoogle into alice.
    await linkInTenant(em, alice, aliceGoogle);
    const answer = await answerToken(
      { sub: aliceGoogle, outcome: "linked", primary_user_id: alice, candidates: [alice] },
      { state },
    );
    const back = await continueWith(String(offer.continue_uri), { state, session_token: answer });
    expect(back.searchParams.get("error_description")).toBeNull();
    const tokens = await exchange(em, back, verifier);
    expect(decodeJwt(tokens.id_token).sub).toBe(alice);
  });

  test("round trip, a replayed answer: the second /continue finds no login to resume", async () => {
    const em = emulator();
    bind(secretsFor(em));
    const { next } = await signIn(em, alice);
    const state = next.searchParams.get("state") ?? "";
    const offer = (await readOffer(next.searchParams.get("session_token") ?? "")).payload;
    const answer = await answerToken(
      { sub: alice, outcome: "skipped", candidates: [aliceGoogle] },
      { state },
    );
    const fields = { state, session_token: answer };
    expect((await continueWith(String(offer.continue_uri), fields)).searchParams.get("code")).toBeTruthy();
    const replay = await fetch(String(offer.continue_uri), {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    expect(replay.status).toBe(400);
  });
});
