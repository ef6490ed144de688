import { createEmulator, defaultSeed, type Emulator, withSpaOrigins } from "@idlink/emulator";
import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type DemoServer, startDemoServer } from "../server/demo-server.ts";
import {
  checkProof,
  checkSessionToken,
  createLinkSecret,
  decidePrimary,
  handleLinkAtLogin,
  type LinkAtLoginSetup,
  LinkRefusal,
  linkAtLoginSetup,
  outcomeTtlSeconds,
  signOutcome,
} from "../server/link-at-login.ts";
import { emulatorSetup } from "../server/start-demo.ts";
import { proofHeader } from "../src/lib/api-types.ts";
import type { LinkErrorResponse, LinkOutcomeResponse, LinkSessionResponse } from "../src/link/link-types.ts";
import {
  alice,
  aliceEmail,
  aliceGoogle,
  bob,
  fakeTenantKeys,
  jane,
  janeEmail,
  janeSaml,
  signSession,
  tamper,
} from "./helpers/link-tokens.ts";

const secret = createLinkSecret();
const tenant = "https://acme.eu.auth0.com";
const spaClientId = "idlink-spa";
const pageOrigin = "https://link.example.com";
let keys: Awaited<ReturnType<typeof fakeTenantKeys>>;
let link: LinkAtLoginSetup;
recordSecrets(secret);

beforeAll(async () => {
  keys = await fakeTenantKeys();
  link = linkAtLoginSetup({ secret, tenant, spaClientId, pageOrigin, getKey: keys.getKey });
});

/** The refusal a check throws: its status, code and message. */
async function refusal(
  promise: Promise<unknown>,
): Promise<{ status: number; code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LinkRefusal);
  const { status, code, message } = error as LinkRefusal;
  recordOutput("web-demo: link-at-login refusal", message);
  return { status, code, message };
}

describe("the session token", () => {
  test("is taken when HS256 with the shared secret, unexpired, from the tenant, with the Action's claims", async () => {
    const claims = await checkSessionToken(link, await signSession({ secret, tenant }));
    expect(claims.sub).toBe(aliceGoogle);
    expect(claims.iss).toBe("acme.eu.auth0.com");
    expect(claims.candidate_identities.map((c) => c.user_id)).toEqual([alice]);
    expect(claims.continue_uri).toBe(`${tenant}/continue`);
    expect(claims.allow_skip).toBe(true);
  });

  test.each([
    [
      "a changed payload",
      async () => tamper(await signSession({ secret, tenant }), (p) => (p.sub = bob)),
      403,
      "session_signature",
      "signature does not verify",
    ],
    [
      "another secret",
      () => signSession({ secret: createLinkSecret(), tenant }),
      403,
      "session_signature",
      "signed with another secret",
    ],
    [
      "an expired token",
      () => signSession({ secret, tenant, expiresIn: -30 }),
      403,
      "session_expired",
      "has expired",
    ],
    [
      "another tenant's",
      () => signSession({ secret, tenant, iss: "evil.eu.auth0.com" }),
      403,
      "session_issuer",
      "not issued by this demo's tenant (acme.eu.auth0.com)",
    ],
    [
      "a continue_uri elsewhere",
      () => signSession({ secret, tenant, continueUri: "https://evil.example/continue" }),
      403,
      "session_continue_uri",
      "not this tenant's /continue",
    ],
    ["not a JWT", async () => "not-a-token", 400, "session_malformed", "not a signed JWT"],
    [
      "no candidates",
      () => signSession({ secret, tenant, candidates: [] }),
      400,
      "session_claims",
      "candidate_identities",
    ],
    [
      "a sub that is not the current identity",
      () => signSession({ secret, tenant, sub: bob }),
      400,
      "session_claims",
      "sub is not its current_identity.user_id",
    ],
    [
      "a candidate that is not a user id",
      () =>
        signSession({
          secret,
          tenant,
          candidates: [{ user_id: "alice", provider: "auth0", connection: "db", email: aliceEmail }],
        }),
      400,
      "session_claims",
      "not a user id",
    ],
    [
      "the current account as a candidate",
      () =>
        signSession({
          secret,
          tenant,
          candidates: [
            {
              user_id: aliceGoogle,
              provider: "google-oauth2",
              connection: "google-oauth2",
              email: aliceEmail,
            },
          ],
        }),
      400,
      "session_claims",
      "names an account twice",
    ],
    [
      "no allow_skip",
      () => signSession({ secret, tenant, claims: { allow_skip: "yes" } }),
      400,
      "session_claims",
      "allow_skip",
    ],
  ])("is refused: %s", async (_, make, status, code, words) => {
    const refused = await refusal(checkSessionToken(link, await make()));
    expect(refused).toMatchObject({ status, code });
    expect(refused.message).toContain(words);
  });

  test("is refused when signed with another algorithm, even with the right secret", async () => {
    const hs512 = await new SignJWT({})
      .setProtectedHeader({ alg: "HS512" })
      .setSubject(aliceGoogle)
      .setIssuer("acme.eu.auth0.com")
      .setIssuedAt()
      .setExpirationTime("2m")
      .sign(new TextEncoder().encode(secret));
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${(await signSession({ secret, tenant })).split(".")[1]}.`;
    for (const token of [hs512, unsigned]) {
      expect((await refusal(checkSessionToken(link, token))).code).toMatch(
        /session_algorithm|session_malformed/,
      );
    }
    expect((await refusal(checkSessionToken(link, hs512))).code).toBe("session_algorithm");
  });

  test("is refused when missing", async () => {
    expect(await refusal(checkSessionToken(link, ""))).toMatchObject({
      status: 400,
      code: "session_missing",
    });
  });
});

describe("the proof of ownership (the fresh sign-in's ID token)", () => {
  const issuer = `${tenant}/`;
  const good = { sub: alice, issuer, audience: spaClientId };

  async function session() {
    return checkSessionToken(link, await signSession({ secret, tenant }));
  }

  test("is taken: the tenant's signature, iss, aud = the SPA client, unexpired, a recent auth_time, sub = the candidate", async () => {
    await expect(checkProof(link, await keys.idToken(good), await session(), alice)).resolves.toBeUndefined();
  });

  test.each([
    [
      "signed in as someone else",
      () => keys.idToken({ ...good, sub: bob }),
      "proof_subject",
      `the sign-in was to ${bob}, not to ${alice}`,
    ],
    [
      "a stale sign-in (auth_time 10 minutes ago)",
      () => keys.idToken({ ...good, authTime: Math.floor(Date.now() / 1000) - 600 }),
      "proof_stale",
      "older than 5 minutes",
    ],
    ["no auth_time", () => keys.idToken(good, { auth_time: undefined }), "proof_stale", "auth_time"],
    [
      "another application's",
      () => keys.idToken({ ...good, audience: "another-app" }),
      "proof_audience",
      "not for this page's application",
    ],
    [
      "another tenant's",
      () => keys.idToken({ ...good, issuer: "https://evil.eu.auth0.com/" }),
      "proof_issuer",
      "not issued by",
    ],
    [
      "a key the tenant does not hold",
      () => keys.idToken(good, {}, "other"),
      "proof_signature",
      "not signed by this tenant's keys",
    ],
    ["an expired one", () => keys.idToken({ ...good, expiresIn: -60 }), "proof_expired", "expired"],
  ])("is refused: %s", async (_, make, code, words) => {
    const refused = await refusal(checkProof(link, await make(), await session(), alice));
    expect(refused).toMatchObject({ status: 403, code });
    expect(refused.message).toContain(words);
  });

  test("is refused when the sign-in happened before the linking session began", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = await checkSessionToken(link, await signSession({ secret, tenant, iat: now }));
    const refused = await refusal(
      checkProof(link, await keys.idToken({ ...good, authTime: now - 120 }), claims, alice),
    );
    expect(refused).toMatchObject({ status: 403, code: "proof_stale" });
    expect(refused.message).toContain("before this linking session began");
  });
});

describe("the outcome token", () => {
  test("carries sub, iss, state, exp (2 minutes), iat, outcome, primary_user_id and the candidates, HS256", async () => {
    const claims = await checkSessionToken(link, await signSession({ secret, tenant }));
    const token = await signOutcome(link, claims, "state-123", "linked", alice);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT" });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"] });
    expect(Object.keys(payload).sort()).toEqual(
      ["candidates", "exp", "iat", "iss", "outcome", "primary_user_id", "state", "sub"].sort(),
    );
    expect(payload).toMatchObject({
      sub: aliceGoogle,
      iss: pageOrigin,
      state: "state-123",
      outcome: "linked",
      primary_user_id: alice,
      candidates: [alice],
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(outcomeTtlSeconds);
    expect(outcomeTtlSeconds).toBeLessThanOrEqual(300);
    const skipped = await jwtVerify(
      await signOutcome(link, claims, "s", "skipped"),
      new TextEncoder().encode(secret),
    );
    expect(skipped.payload).not.toHaveProperty("primary_user_id");
  });
});

describe("the primary", () => {
  const user = (id: string, extra: Record<string, unknown> = {}) => ({
    user_id: id,
    email: aliceEmail,
    email_verified: true,
    identities: [{ provider: id.split("|")[0] ?? "", user_id: id.split("|")[1] ?? "", connection: "c" }],
    ...extra,
  });

  test("is chosen by core's policy: a database identity over a social one, in either direction", () => {
    expect(decidePrimary(user(aliceGoogle) as never, user(alice) as never)).toEqual({
      primary: "candidate",
      criterion: "database",
    });
    expect(decidePrimary(user(alice) as never, user(aliceGoogle) as never)).toEqual({
      primary: "current",
      criterion: "database",
    });
  });

  test("is the existing account when the policy makes no choice (emails differ or unverified)", () => {
    const other = user(bob, { email: "bob.chen@example.com" });
    expect(decidePrimary(user(aliceGoogle) as never, other as never)).toEqual({
      primary: "candidate",
      criterion: "kept_existing",
    });
    expect(
      decidePrimary(user(aliceGoogle, { email_verified: false }) as never, user(alice) as never).criterion,
    ).toBe("kept_existing");
  });
});

describe("the linking page's endpoints (demo server and emulator)", () => {
  let server: DemoServer;
  let emulator: Emulator;
  let endpoints: LinkAtLoginSetup;
  const seen: string[] = [];

  beforeAll(async () => {
    server = await startDemoServer({});
    const seed = withSpaOrigins(defaultSeed(), server.origins);
    emulator = await createEmulator({ seed, corsOrigins: server.origins });
    // The emulator's Management API and users; the proofs are signed by a stand-in key the test shapes.
    endpoints = linkAtLoginSetup({
      secret,
      tenant: emulator.url,
      spaClientId,
      pageOrigin: server.origin,
      getKey: keys.getKey,
    });
    server.attach({
      ...emulatorSetup(emulator, seed, { linkSecret: secret, pageOrigin: server.origin }),
      linkAtLogin: endpoints,
    });
  });
  afterAll(async () => {
    for (const text of seen) recordOutput("web-demo: link-at-login answers", text);
    await Promise.allSettled([server.stop(), emulator.stop()]);
  });
  beforeEach(() => {
    emulator.state.reset();
    endpoints.answered.clear();
  });

  const session = (options: Partial<Parameters<typeof signSession>[0]> = {}) =>
    signSession({ secret, tenant: emulator.url, ...options });
  const proofOf = (sub: string, authTime?: number) =>
    keys.idToken({
      sub,
      issuer: `${emulator.url}/`,
      audience: spaClientId,
      ...(authTime ? { authTime } : {}),
    });

  async function post<T>(
    path: string,
    body: unknown,
    headers: Record<string, string> = { [proofHeader]: server.proof },
  ) {
    const response = await fetch(`${server.origin}/api/link-at-login/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    seen.push(text);
    return { status: response.status, body: JSON.parse(text) as T };
  }

  const identities = (id: string) =>
    emulator.state.getUser(id)?.identities.map((i) => `${i.provider}|${i.user_id}`);

  test("session: the current login and each candidate with core's plan (primary chosen, metadata discarded)", async () => {
    const { status, body } = await post<LinkSessionResponse>("session", {
      session_token: await session(),
      state: "st",
    });
    expect(status).toBe(200);
    expect(body.current).toMatchObject({ user_id: aliceGoogle, email: aliceEmail, email_verified: true });
    expect(body.allowSkip).toBe(true);
    const [candidate] = body.candidates;
    expect(candidate).toMatchObject({ user_id: alice, primary: "candidate", criterion: "database" });
    expect(candidate?.plan.request.primary).toBe(alice);
    expect(candidate?.plan.identitiesAfter.map((i) => i.id)).toEqual([alice, aliceGoogle]);
    expect(candidate?.plan.discarded.user_metadata).toEqual({ newsletter: true, theme: "light" });
    expect(candidate?.plan.mergeableKeys).toEqual(["newsletter"]);
  });

  test("every endpoint needs the page's proof, as the other writes", async () => {
    for (const path of ["session", "link", "decline"]) {
      const { status, body } = await post<LinkErrorResponse>(
        path,
        { session_token: await session(), state: "s" },
        {},
      );
      expect(status).toBe(403);
      expect(body.error.message).toContain("x-idlink-csrf");
    }
  });

  test("link: with a proof of the candidate, links through core's workflow (with the metadata merge) and answers the outcome token", async () => {
    const token = await session();
    const { status, body } = await post<LinkOutcomeResponse>("link", {
      session_token: token,
      state: "st-1",
      candidate: alice,
      id_token: await proofOf(alice),
      merge_metadata: true,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      outcome: "linked",
      primaryUserId: alice,
      continueUri: `${emulator.url}/continue`,
    });
    expect(body.merged).toEqual(["newsletter"]);
    expect(identities(alice)).toEqual([`auth0|${alice.slice(6)}`, aliceGoogle]);
    expect(emulator.state.getUser(alice)?.user_metadata).toMatchObject({ newsletter: true, theme: "dark" });
    const { payload } = await jwtVerify(body.token, new TextEncoder().encode(secret));
    expect(payload).toMatchObject({
      sub: aliceGoogle,
      state: "st-1",
      outcome: "linked",
      primary_user_id: alice,
    });
    // One answer per login: the same session token and state are refused from now on.
    const again = await post<LinkErrorResponse>("session", { session_token: token, state: "st-1" });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("already_answered");
  });

  test("link: an enterprise id with | in its user_id is linked into the current login", async () => {
    const token = await session({
      current: { user_id: jane, provider: "auth0", connection: "Username-Password-Authentication" },
      candidates: [{ user_id: janeSaml, provider: "samlp", connection: "acme-saml", email: janeEmail }],
    });
    const { status, body } = await post<LinkOutcomeResponse>("link", {
      session_token: token,
      state: "st-2",
      candidate: janeSaml,
      id_token: await proofOf(janeSaml),
    });
    expect(status).toBe(200);
    expect(body.primaryUserId).toBe(jane);
    expect(emulator.state.getUser(jane)?.identities.at(-1)).toMatchObject({
      provider: "samlp",
      user_id: "acme-saml|jdoe@acme.example",
    });
    expect(emulator.state.getUser(janeSaml)).toBeUndefined();
  });

  test.each([
    ["a proof of someone else", () => proofOf(bob), "proof_subject"],
    ["a stale proof", () => proofOf(alice, Math.floor(Date.now() / 1000) - 900), "proof_stale"],
    [
      "a proof with a bad signature",
      async () => tamper(await proofOf(alice), (p) => (p.email = "x@example.com")),
      "proof_signature",
    ],
  ])("link: %s is refused with 403 and nothing is linked", async (_, make, code) => {
    const before = JSON.stringify(emulator.state.listUsers());
    const { status, body } = await post<LinkErrorResponse>("link", {
      session_token: await session(),
      state: "st-3",
      candidate: alice,
      id_token: await make(),
    });
    expect(status).toBe(403);
    expect(body.error.code).toBe(code);
    expect(JSON.stringify(emulator.state.listUsers())).toBe(before);
    expect(
      emulator.state.requests.filter((r) => r.method === "POST" && r.path.includes("/identities")),
    ).toEqual([]);
  });

  test("link: a candidate the token does not offer is refused", async () => {
    const { status, body } = await post<LinkErrorResponse>("link", {
      session_token: await session(),
      state: "st",
      candidate: bob,
      id_token: await proofOf(bob),
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe("candidate_unknown");
  });

  test("decline: skipped and not_mine answer their outcome tokens and link nothing; skip only when allowed", async () => {
    const before = JSON.stringify(emulator.state.listUsers());
    for (const outcome of ["skipped", "not_mine"] as const) {
      const { status, body } = await post<LinkOutcomeResponse>("decline", {
        session_token: await session(),
        state: `st-${outcome}`,
        outcome,
      });
      expect(status).toBe(200);
      const { payload } = await jwtVerify(body.token, new TextEncoder().encode(secret));
      expect(payload).toMatchObject({
        sub: aliceGoogle,
        state: `st-${outcome}`,
        outcome,
        candidates: [alice],
      });
      expect(payload).not.toHaveProperty("primary_user_id");
    }
    const refused = await post<LinkErrorResponse>("decline", {
      session_token: await session({ allowSkip: false }),
      state: "st-x",
      outcome: "skipped",
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("skip_not_allowed");
    expect(JSON.stringify(emulator.state.listUsers())).toBe(before);
  });

  test.each([
    [
      "tampered",
      async () => tamper(await session(), (p) => (p.allow_skip = false)),
      403,
      "session_signature",
    ],
    ["expired", () => session({ expiresIn: -10 }), 403, "session_expired"],
    ["foreign", () => session({ iss: "acme.eu.auth0.com" }), 403, "session_issuer"],
  ])("a %s session token is refused by every endpoint, naming why", async (_, make, status, code) => {
    const token = await make();
    for (const [path, extra] of [
      ["session", {}],
      ["link", { candidate: alice, id_token: await proofOf(alice) }],
      ["decline", { outcome: "not_mine" }],
    ] as const) {
      const { status: got, body } = await post<LinkErrorResponse>(path, {
        session_token: token,
        state: "s",
        ...extra,
      });
      expect(got).toBe(status);
      expect(body.error.code).toBe(code);
    }
    expect(identities(alice)).toHaveLength(1);
  });

  test("a state that is not a printable value is refused", async () => {
    const { status, body } = await post<LinkErrorResponse>("session", {
      session_token: await session(),
      state: "a b",
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe("state_invalid");
  });

  test("without a secret (a tenant with no IDLINK_LINK_SESSION_SECRET) the endpoints say it is not set up", async () => {
    const reply = await handleLinkAtLogin(
      undefined,
      {} as never,
      "/api/link-at-login/session",
      async () => ({}),
    );
    expect(reply.status).toBe(503);
    expect((reply.body as LinkErrorResponse).error.message).toContain("IDLINK_LINK_SESSION_SECRET");
  });
});
