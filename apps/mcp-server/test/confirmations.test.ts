import { redactText } from "@idlink/core";
import { expect, test } from "vitest";
import { type Binding, createConfirmations, forSubject } from "../src/confirmations.ts";

const link: Binding = { action: "link", primary: "auth0|1", secondary: "github|2" };

test("a token redeems once for exactly what it was issued for", () => {
  const store = createConfirmations();
  const { token } = store.issue("preview", link);
  expect(store.redeem("preview", token, link)).toEqual({ ok: true });
  expect(store.redeem("preview", token, link)).toEqual({
    ok: false,
    message: expect.stringContaining("already used"),
  });
});

test("a token for linking does not unlink the same accounts", () => {
  const store = createConfirmations();
  const { token } = store.issue("preview", link);
  const result = store.redeem("preview", token, { ...link, action: "unlink" });
  expect(result).toEqual({
    ok: false,
    message: expect.stringContaining(
      "was issued to link github|2 into auth0|1, not to unlink github|2 from auth0|1",
    ),
  });
  expect(store.redeem("preview", token, link)).toEqual({ ok: true });
});

test("a preview token is no elicitation state, and the other way round", () => {
  const store = createConfirmations();
  const preview = store.issue("preview", link).token;
  const state = store.issue("elicitation", link).token;
  expect(store.redeem("elicitation", preview, link).ok).toBe(false);
  expect(store.redeem("preview", state, link).ok).toBe(false);
});

test("another process's tokens are refused (each store has its own key)", () => {
  const { token } = createConfirmations().issue("preview", link);
  expect(createConfirmations().redeem("preview", token, link)).toEqual({
    ok: false,
    message: expect.stringContaining("not issued by this server or was altered"),
  });
});

test("a token expires after its lifetime", () => {
  let now = 1_700_000_000_000;
  const store = createConfirmations({ ttlSeconds: 60, now: () => now });
  const { token, expiresAt } = store.issue("preview", link);
  expect(expiresAt.getTime()).toBe(now + 60_000);
  now += 60_000;
  expect(store.redeem("preview", token, link)).toEqual({
    ok: false,
    message: expect.stringContaining(`expired at ${expiresAt.toISOString()}`),
  });
});

test("a token is not JWT-shaped, so core's redaction leaves it readable", () => {
  const { token } = createConfirmations().issue("preview", link);
  expect(redactText(`confirmation_token: ${token}`)).toBe(`confirmation_token: ${token}`);
  expect(token).not.toContain("eyJ");
});

test("a token issued to one user is refused to another, without naming what it was for", () => {
  const store = createConfirmations();
  const asAlice = forSubject(store, "auth0|alice");
  const asBob = forSubject(store, "auth0|bob");
  const { token } = asAlice.issue("preview", link);
  for (const caller of [asBob, store]) {
    const refused = caller.redeem("preview", token, link);
    expect(refused).toEqual({
      ok: false,
      message:
        "confirmation_token was issued to another user: a confirmation is spent only by the user it was shown to",
    });
  }
  expect(asAlice.redeem("preview", token, link)).toEqual({ ok: true });
});

test("without a subject (stdio, the static bearer) the store is unchanged", () => {
  const store = createConfirmations();
  expect(forSubject(store, undefined)).toBe(store);
});
