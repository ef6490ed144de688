import { assertContract } from "@idlink/test-kit";
import { ManagementClient, ManagementError } from "auth0";
import { describe, expect, test } from "vitest";
import type { Emulator } from "../src/index.ts";
import { alice, aliceGoogle, bob, bobGithub, frank, frankGithub, useEmulator } from "./helpers.ts";

const emulator = useEmulator();
const domain = "idlink-test.eu.auth0.com";

/** Auth0's own SDK, with every `https://<domain>` request sent to the emulator and its answer contract-checked. */
function sdk(
  em: Emulator,
  auth: { token: string } | { clientId: string; clientSecret: string },
): ManagementClient {
  const rewrite: typeof fetch = async (input, init) => {
    const original = input instanceof Request ? input.url : String(input);
    const url = original.replace(`https://${domain}`, em.url);
    const method = init?.method ?? (input instanceof Request ? input.method : "GET");
    const response = await fetch(url, init);
    if (new URL(url).pathname.startsWith("/api/v2/")) {
      const text = await response.clone().text();
      assertContract(
        method,
        url,
        response.status,
        text === "" ? undefined : JSON.parse(text),
        response.headers,
      );
    }
    return response;
  };
  return new ManagementClient({
    domain,
    audience: em.managementAudience,
    fetch: rewrite,
    maxRetries: 0,
    ...auth,
  });
}

async function caught(promise: Promise<unknown>): Promise<ManagementError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ManagementError) return error;
    throw error;
  }
  throw new Error("expected a ManagementError");
}

describe("Auth0's Node SDK", () => {
  test("gets a token with client credentials and reads a user", async () => {
    const em = emulator();
    const client = sdk(em, { clientId: "idlink-admin", clientSecret: "emulator-only-secret-admin" });
    const user = await client.users.get(alice);
    expect(user.user_id).toBe(alice);
    expect(user.identities?.[0]?.provider).toBe("auth0");
  });

  test("lists users by email", async () => {
    const em = emulator();
    const client = sdk(em, { token: await em.mintToken({ scopes: ["read:users"] }) });
    const users = await client.users.listUsersByEmail({ email: "alice.martin@example.com" });
    expect(users.map((u) => u.user_id).sort()).toEqual([alice, aliceGoogle].sort());
  });

  test("links and unlinks", async () => {
    const em = emulator();
    const client = sdk(em, { token: await em.mintToken({ scopes: ["update:users"] }) });
    const linked = await client.users.identities.link(bob, { provider: "github", user_id: "5812345" });
    expect(linked.map((i) => `${i.provider}|${i.user_id}`)).toEqual([bob, bobGithub]);
    const remaining = await client.users.identities.delete(bob, "github", "5812345");
    expect(remaining).toHaveLength(1);
    expect(em.state.getUser(bobGithub)).toBeDefined();
  });

  test("links with link_with using the user's own token", async () => {
    const em = emulator();
    const primary = await em.login(alice);
    const secondary = await em.login(aliceGoogle);
    const client = sdk(em, { token: primary.access_token });
    const linked = await client.users.identities.link(alice, { link_with: secondary.id_token });
    expect(linked).toHaveLength(2);
  });

  test.each([
    [
      "a missing primary",
      (c: ManagementClient) =>
        c.users.identities.link("auth0|nobody", { provider: "github", user_id: "5812345" }),
      404,
    ],
    [
      "a self link",
      (c: ManagementClient) =>
        c.users.identities.link(alice, { provider: "auth0", user_id: "64f1a2b3c4d5e6f708192a3b" }),
      400,
    ],
    [
      "an identity already linked",
      (c: ManagementClient) => c.users.identities.link(frank, { provider: "github", user_id: "7700123" }),
      409,
    ],
    [
      "unlinking the main identity",
      (c: ManagementClient) => c.users.identities.delete(frank, "auth0", "6600aa11bb22cc33dd44ee55"),
      400,
    ],
    ["a missing user", (c: ManagementClient) => c.users.get("auth0|nobody"), 404],
  ])("raises ManagementError for %s", async (_name, act, status) => {
    const em = emulator();
    const client = sdk(em, { token: await em.mintToken({ scopes: ["read:users", "update:users"] }) });
    const error = await caught(act(client));
    expect(error.statusCode).toBe(status);
    expect(error.body).toMatchObject({ statusCode: status, message: expect.any(String) });
    expect(em.state.getUser(frankGithub)).toBeUndefined();
  });

  test("raises ManagementError 401 and 403", async () => {
    const em = emulator();
    const expired = sdk(em, { token: await em.mintToken({ scopes: ["read:users"], expiresIn: -5 }) });
    expect((await caught(expired.users.get(alice))).statusCode).toBe(401);
    const reader = sdk(em, { token: await em.mintToken({ scopes: ["read:users"] }) });
    const forbidden = await caught(
      reader.users.identities.link(bob, { provider: "github", user_id: "5812345" }),
    );
    expect(forbidden.statusCode).toBe(403);
  });

  test("raises ManagementError 429 with Auth0's body", async () => {
    const em = emulator();
    em.setRateLimit({ burst: 1, perSecond: 0.001 });
    const client = sdk(em, { token: await em.mintToken({ scopes: ["read:users"] }) });
    await client.users.get(alice);
    const error = await caught(client.users.get(alice));
    expect(error.statusCode).toBe(429);
    expect(error.body).toMatchObject({ errorCode: "too_many_requests" });
    em.setRateLimit({ burst: 1_000_000, perSecond: 1_000_000 });
  });
});
