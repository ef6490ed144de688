import { describe, expect, test } from "vitest";
import {
  alice,
  aliceGoogle,
  carol,
  dave,
  execute,
  extra,
  frank,
  janeSaml,
  linkInTenant,
  linkPage,
  offerToken,
  readOffer,
  secretsFor,
  testSeed,
  useEmulator,
} from "./helpers.ts";

const emulator = useEmulator();
const marker = (value: unknown) => ({ idlink_account_linking: value });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe("onExecutePostLogin offers linking", () => {
  test("a verified same-email account: a redirect to LINK_PAGE_URL with a signed session token listing it", async () => {
    const em = emulator();
    const { calls } = await execute(em, alice);
    expect(calls.denied).toEqual([]);
    expect(calls.redirects).toHaveLength(1);
    const redirect = calls.redirects[0];
    expect(redirect?.url).toBe(linkPage);
    const { payload, protectedHeader } = await readOffer(offerToken(calls));
    expect(protectedHeader.alg).toBe("HS256");
    expect(payload).toMatchObject({
      sub: alice,
      current_identity: { user_id: alice, provider: "auth0", connection: "Username-Password-Authentication" },
      candidate_identities: [
        {
          user_id: aliceGoogle,
          provider: "google-oauth2",
          connection: "google-oauth2",
          email: "alice.martin@example.com",
        },
      ],
      continue_uri: `${em.url}/continue`,
      allow_skip: true,
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
  });

  test("the offer names only what Auth0's documented shape and the email hold: no tokens, no metadata", async () => {
    const { calls } = await execute(emulator(), alice);
    const { payload } = await readOffer(offerToken(calls));
    const candidate = (payload.candidate_identities as Record<string, unknown>[])[0];
    expect(Object.keys(candidate ?? {}).sort()).toEqual(["connection", "email", "provider", "user_id"]);
    expect(JSON.stringify(payload)).not.toMatch(/access_token|refresh_token|user_metadata|app_metadata/);
  });

  test("an unverified same-email account is never offered", async () => {
    const { calls } = await execute(emulator(), alice);
    const { payload } = await readOffer(offerToken(calls));
    const ids = (payload.candidate_identities as { user_id: string }[]).map((c) => c.user_id);
    expect(ids).toEqual([aliceGoogle]);
    expect(ids).not.toContain(extra.aliceGithubUnverified);
  });

  test("only unverified accounts share the email (carol's): no offer", async () => {
    const em = emulator();
    const event = await execute(em, carol);
    expect(event.calls.redirects).toEqual([]);
    expect(event.fetched).toEqual([]); // her own email is unverified: nothing to ask the tenant
  });

  test("an account linked into this user already is not offered", async () => {
    const em = emulator();
    await linkInTenant(em, alice, aliceGoogle);
    const { calls } = await execute(em, alice);
    expect(calls.redirects).toEqual([]);
    expect(calls.denied).toEqual([]);
    // frank holds his GitHub identity since the seed: nothing to offer either.
    expect((await execute(em, frank)).calls.redirects).toEqual([]);
  });

  test("an enterprise id is carried intact, as candidate and as the login's own identity", async () => {
    const em = emulator();
    const fromDb = await execute(em, extra.janeDb);
    const offered = (await readOffer(offerToken(fromDb.calls))).payload;
    expect(offered.candidate_identities).toEqual([
      { user_id: extra.janeAcme, provider: "samlp", connection: "acme", email: "jane@acme.example" },
    ]);
    const fromSaml = await execute(em, extra.janeAcme);
    const own = (await readOffer(offerToken(fromSaml.calls))).payload;
    expect(own.current_identity).toEqual({ user_id: extra.janeAcme, provider: "samlp", connection: "acme" });
    expect(own.candidate_identities).toEqual([
      {
        user_id: extra.janeDb,
        provider: "auth0",
        connection: "Username-Password-Authentication",
        email: "jane@acme.example",
      },
    ]);
    // The seed's own SAML account (rest `acme-saml|jdoe@acme.example`) too.
    const jdoe = await readOffer(offerToken((await execute(em, janeSaml)).calls));
    expect(jdoe.payload.current_identity).toMatchObject({ user_id: janeSaml, connection: "acme-saml" });
  });
});

describe("onExecutePostLogin lets the login go on untouched", () => {
  test("no other account shares the email: no redirect", async () => {
    const { calls, logs } = await execute(emulator(), dave);
    expect(calls).toEqual({ denied: [], primaryUser: [], appMetadata: [], redirects: [] });
    expect(logs).toEqual([]);
  });

  test("declined ids are not offered again; a new candidate is", async () => {
    const em = emulator();
    const declined = { appMetadata: marker({ declined: [aliceGoogle] }) };
    expect((await execute(em, alice, declined)).calls.redirects).toEqual([]);

    em.state.reset(testSeed({ newCandidate: true }));
    const { calls } = await execute(em, alice, declined);
    const { payload } = await readOffer(offerToken(calls));
    expect((payload.candidate_identities as { user_id: string }[]).map((c) => c.user_id)).toEqual([
      extra.aliceGithub,
    ]);
  });

  test("skip is honoured until skipped_until, then the offer comes back; logins_count plays no part", async () => {
    const em = emulator();
    const skipped = await execute(em, alice, {
      appMetadata: marker({ declined: [], skipped_until: inDays(2) }),
    });
    expect(skipped.calls.redirects).toEqual([]);
    expect(skipped.fetched).toEqual([]);
    const over = await execute(em, alice, {
      appMetadata: marker({ declined: [], skipped_until: inDays(-1) }),
    });
    expect(over.calls.redirects).toHaveLength(1);
  });

  test("a hand-edited, malformed record is ignored rather than trusted", async () => {
    const em = emulator();
    const { calls } = await execute(em, alice, {
      appMetadata: marker({ declined: "google-oauth2|108234567890123456789", skipped_until: "soon" }),
    });
    expect(calls.redirects).toHaveLength(1);
  });

  test("a connection that does not take part (CONNECTIONS): no lookup, no redirect", async () => {
    const em = emulator();
    const secrets = (connections: string) => ({ ...secretsFor(em), CONNECTIONS: connections });
    const out = await execute(em, alice, { secrets: secrets("google-oauth2, github") });
    expect(out.calls.redirects).toEqual([]);
    expect(out.fetched).toEqual([]);
    const inside = await execute(em, alice, {
      secrets: secrets("google-oauth2,Username-Password-Authentication"),
    });
    expect(inside.calls.redirects).toHaveLength(1);
  });

  test("prompt=none: no lookup, no redirect (it would fail with interaction_required)", async () => {
    const em = emulator();
    const { calls, fetched } = await execute(em, alice, { prompt: ["none"] });
    expect(calls.redirects).toEqual([]);
    expect(calls.denied).toEqual([]);
    expect(fetched).toEqual([]);
  });

  test("the linking page's proof sign-in (idlink_link_proof=1) is not offered linking itself", async () => {
    const em = emulator();
    const proof = await execute(em, alice, { query: { idlink_link_proof: "1" } });
    expect(proof.calls.redirects).toEqual([]);
    expect(proof.fetched).toEqual([]);
    const other = await execute(em, alice, { query: { idlink_link_proof: "yes" } });
    expect(other.calls.redirects).toHaveLength(1);
  });

  test("a refresh-token exchange cannot follow a redirect: nothing happens", async () => {
    const { calls, fetched } = await execute(emulator(), alice, { protocol: "oauth2-refresh-token" });
    expect(calls.redirects).toEqual([]);
    expect(fetched).toEqual([]);
  });

  test("the tenant cannot be reached: the login goes on, with one log line and no secret in it", async () => {
    const em = emulator();
    const secrets = { ...secretsFor(em), MANAGEMENT_API_DOMAIN: "http://127.0.0.1:9" };
    const { calls, logs } = await execute(em, alice, { secrets });
    expect(calls).toEqual({ denied: [], primaryUser: [], appMetadata: [], redirects: [] });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^account linking skipped: /);
    expect(logs[0]?.length).toBeLessThanOrEqual(256);
  });
});
