import {
  createManagementClient,
  describeError,
  type FetchLike,
  findLinkCandidates,
  ManagementApiError,
  mergeMetadata,
  OutcomeUnknownError,
  parseLinkArguments,
  planLink,
  preflightLink,
  ValidationError,
} from "@idlink/core";
import { clientCredentialsToken } from "@idlink/core/node";
import { defaultSeed, type Emulator } from "@idlink/emulator";
import { assertContract, recordOutput, recordSecrets } from "@idlink/test-kit";
import { afterEach, describe, expect, test } from "vitest";
import {
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  frank,
  frankGithub,
  jane,
  janeSaml,
  useEmulator,
} from "./helpers.ts";

/** fetch that checks every answer against the fragment before core sees it. */
const checkedFetch: FetchLike = async (request) => {
  const response = await fetch(request);
  const text = await response.clone().text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    return response; // fault injection sends broken bodies on purpose
  }
  if (response.status < 500)
    assertContract(request.method, request.url, response.status, body, response.headers);
  return response;
};

const adminSecret = defaultSeed().clients.find((c) => c.client_id === "idlink-admin")?.client_secret ?? "";
const readerSecret = defaultSeed().clients.find((c) => c.client_id === "idlink-reader")?.client_secret ?? "";

recordSecrets(adminSecret, readerSecret);
const seen: unknown[] = [];
/** Every error core raised, as a person or a model would be shown it, goes to the cross-suite secret scan. */
afterEach(() => {
  for (const e of seen.splice(0))
    recordOutput("emulator: core client errors", JSON.stringify(describeError(e)));
});
const caught = (e: unknown) => {
  seen.push(e);
  return e;
};

function admin(em: Emulator, extra: Partial<Parameters<typeof createManagementClient>[0]> = {}) {
  return createManagementClient({
    domain: em.url,
    getToken: clientCredentialsToken({ clientId: "idlink-admin", clientSecret: adminSecret }),
    fetch: checkedFetch,
    ...extra,
  });
}

describe("core's client against the emulator", () => {
  const emulator = useEmulator();

  test("links, reads and unlinks with a client-credentials token", async () => {
    const em = emulator();
    const client = admin(em);
    const identities = await client.link(alice, {
      provider: "google-oauth2",
      user_id: "108234567890123456789",
    });
    expect(identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual([alice, aliceGoogle]);
    expect(em.state.getUser(aliceGoogle)).toBeUndefined();
    const user = await client.getUser(alice);
    expect(user.identities?.map((i) => `${i.provider}|${i.user_id}`)).toEqual([alice, aliceGoogle]);
    const remaining = await client.unlink(alice, aliceGoogle);
    expect(remaining.map((i) => `${i.provider}|${i.user_id}`)).toEqual([alice]);
    expect(em.state.getUser(aliceGoogle)?.user_metadata ?? {}).toEqual({});
    expect(client.rateLimit?.limit).toBeGreaterThan(0);
  });

  test("links an enterprise id split on its first |", async () => {
    const em = emulator();
    const identities = await admin(em).link(jane, {
      provider: "samlp",
      user_id: janeSaml.slice("samlp|".length),
    });
    expect(identities.map((i) => `${i.provider}|${i.user_id}`)).toContain(janeSaml);
  });

  test("links with link_with and the primary's own token", async () => {
    const em = emulator();
    const primary = await em.login(alice);
    const secondary = await em.login(aliceGoogle);
    recordSecrets(primary.access_token, primary.id_token, secondary.id_token, secondary.access_token);
    const body = { link_with: secondary.id_token };
    expect(preflightLink({ token: primary.access_token, primary: alice, body }).issues).toEqual([]);
    const client = createManagementClient({
      domain: em.url,
      token: primary.access_token,
      fetch: checkedFetch,
    });
    const identities = await client.link(alice, body);
    expect(identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual([alice, aliceGoogle]);
  });

  test("plans, merges metadata and finds candidates", async () => {
    const em = emulator();
    const client = admin(em);
    const target = parseLinkArguments({ primary: alice, secondary: aliceGoogle });
    if (!target.ok) throw new Error("a valid target");
    const plan = await planLink(client, target.value);
    expect(plan.identitiesAfter.map((i) => i.id)).toEqual([alice, aliceGoogle]);
    expect(plan.blockers).toEqual([]);
    const added = await mergeMetadata(client, alice, aliceGoogle);
    for (const key of added) expect(em.state.getUser(alice)?.user_metadata).toHaveProperty(key);
    const found = await findLinkCandidates(client, alice);
    expect(found.candidates.map((c) => c.user_id)).toContain(aliceGoogle);
  });

  test.each([
    ["a missing primary", "auth0|000000000000000000000000", bobGithub, 404, "The user does not exist."],
    ["a missing secondary", alice, "github|1", 400, "Provided secondary account not found."],
    ["an identity already linked", frank, frankGithub, 409, "Specified identity already exists."],
  ])("surfaces %s as Auth0's error", async (_name, primary, secondary, status, message) => {
    const em = emulator();
    const [provider, ...rest] = secondary.split("|");
    const error = await admin(em)
      .link(primary, { provider: provider ?? "", user_id: rest.join("|") })
      .catch(caught);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as ManagementApiError).status).toBe(status);
    expect((error as ManagementApiError).apiMessage).toBe(message);
  });

  test("surfaces a missing scope as 403", async () => {
    const em = emulator();
    const reader = createManagementClient({
      domain: em.url,
      getToken: clientCredentialsToken({ clientId: "idlink-reader", clientSecret: readerSecret }),
      fetch: checkedFetch,
    });
    const error = await reader.link(bob, { provider: "github", user_id: "5812345" }).catch(caught);
    expect((error as ManagementApiError).status).toBe(403);
    expect((error as ManagementApiError).apiMessage).toContain("Insufficient scope");
  });

  test("sends nothing for the seed page's body or a self-link", async () => {
    const em = emulator();
    const client = admin(em);
    await client.getUser(alice); // token fetched, so only link requests could follow
    const before = em.state.requests.length;
    await expect(
      client.link(alice, { provider: "", connection_id: "", user_id: "", link_with: "" }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(client.link(alice, { provider: "auth0", user_id: alice.slice(6) })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(client.unlink(alice, alice)).rejects.toBeInstanceOf(ValidationError);
    expect(em.state.requests.length).toBe(before);
  });

  test("reports a dropped connection after the write as an unknown outcome, and the link did happen", async () => {
    const em = emulator();
    const client = admin(em);
    await client.getUser(bob);
    em.setFaults({ dropAfterRate: 1 });
    const error = await client.link(bob, { provider: "github", user_id: "5812345" }).catch(caught);
    em.setFaults({});
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    const posts = em.state.requests.filter((r) => r.method === "POST" && r.path.endsWith("/identities"));
    expect(posts).toHaveLength(1);
    const user = await client.getUser(bob);
    expect(user.identities?.map((i) => `${i.provider}|${i.user_id}`)).toContain(bobGithub);
  });

  test("never repeats a link after a 5xx", async () => {
    const em = emulator();
    const client = admin(em);
    await client.getUser(frank);
    em.setFaults({ errorRate: 1 });
    await expect(client.link(bob, { provider: "github", user_id: "5812345" })).rejects.toBeInstanceOf(
      OutcomeUnknownError,
    );
    em.setFaults({});
    expect(
      em.state.requests.filter((r) => r.method === "POST" && r.path.includes("/identities")),
    ).toHaveLength(1);
  });
});

describe("core's client under the emulator's rate limit", () => {
  const emulator = useEmulator({ rateLimit: { burst: 3, perSecond: 20 } });

  test("waits out 429s and completes every call", async () => {
    const em = emulator();
    const client = admin(em);
    const ids = [alice, bob, jane, frank, alice, bob, jane, frank, alice, bob];
    const users = await Promise.all(ids.map((id) => client.getUser(id)));
    expect(users.map((u) => u.user_id)).toEqual(ids);
    // The pacer usually keeps this burst under the limit; whatever 429s still come are waited out, and each read
    // succeeds exactly once (core's own tests force the 429 path with an injected fetch).
    const reads = em.state.requests.filter((r) => r.method === "GET" && r.path.startsWith("/api/v2/users/"));
    expect(reads.filter((r) => r.status === 200)).toHaveLength(ids.length);
    expect(reads.every((r) => r.status === 200 || r.status === 429)).toBe(true);
  });
});
