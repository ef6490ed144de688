import { describe, expect, test } from "vitest";
import { createManagementClient } from "../../src/http/client.ts";
import { type LinkArguments, parseLinkArguments, parseUnlinkArguments } from "../../src/ids/arguments.ts";
import {
  checkLink,
  holdsLinked,
  mergeMetadata,
  planLink,
  planUnlink,
  summarizeAccount,
  summarizeIdentity,
} from "../../src/linking/plan.ts";
import { ValidationError } from "../../src/present/errors.ts";
import { json, TOKEN } from "../fetch-recorder.ts";

/** What parseLinkArguments makes of a primary and a secondary, as every face hands it to the plan. */
function linkTarget(primary: string, secondary: Omit<LinkArguments, "primary">) {
  const parsed = parseLinkArguments({ primary, ...secondary });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

function unlinkTarget(primary: string, secondary: { provider: string; user_id: string }) {
  const parsed = parseUnlinkArguments({ primary, ...secondary });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

const users: Record<string, Record<string, unknown>> = {
  "auth0|1": {
    user_id: "auth0|1",
    email: "jane@example.com",
    email_verified: true,
    identities: [
      { provider: "auth0", user_id: "1", connection: "Username-Password-Authentication", isSocial: false },
    ],
    user_metadata: { theme: "dark" },
  },
  "google-oauth2|2": {
    user_id: "google-oauth2|2",
    email: "Jane@Example.com",
    email_verified: false,
    identities: [
      {
        provider: "google-oauth2",
        user_id: "2",
        connection: "google-oauth2",
        isSocial: true,
        access_token: "ya29.secret",
      },
    ],
    user_metadata: { theme: "light", locale: "fr" },
    app_metadata: { plan: "pro" },
  },
};

/**
 * A tiny in-memory tenant behind an injected fetch: GET and PATCH /users/{id}, and the one user search core sends
 * (`identities.user_id:"…" AND identities.provider:"…"`; the emulator answers the whole syntax, see owner.test.ts).
 */
function tenant(options: { searchStatus?: number } = {}) {
  const sent: string[] = [];
  const fetch = async (request: Request) => {
    const url = new URL(request.url);
    sent.push(`${request.method} ${url.pathname}`);
    if (url.pathname === "/api/v2/users") {
      if (options.searchStatus) return json(options.searchStatus, { statusCode: options.searchStatus });
      const [, userId, provider] =
        /identities\.user_id:"(.*)" AND identities\.provider:"(.*)"/.exec(url.searchParams.get("q") ?? "") ??
        [];
      const found = Object.values(users).filter((u) =>
        (u.identities as { provider: string; user_id: string }[]).some(
          (i) => i.user_id === userId && i.provider === provider,
        ),
      );
      return json(200, { start: 0, limit: 5, length: found.length, total: found.length, users: found });
    }
    const id = decodeURIComponent(url.pathname.replace("/api/v2/users/", ""));
    const user = users[id];
    if (!user)
      return json(404, {
        statusCode: 404,
        error: "Not Found",
        message: "The user does not exist.",
        errorCode: "inexistent_user",
      });
    if (request.method === "PATCH") {
      const patch = (await request.json()) as { user_metadata: Record<string, unknown> };
      return json(200, {
        ...user,
        user_metadata: { ...(user.user_metadata as object), ...patch.user_metadata },
      });
    }
    return json(200, user);
  };
  return { client: createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch }), sent };
}

describe("planLink", () => {
  test("blocks an unverified email by default, naming the account", async () => {
    const { client } = tenant();
    const target = linkTarget("auth0|1", { provider: "google-oauth2", user_id: "2" });
    const plan = await planLink(client, target);
    expect(plan.blockers).toEqual([
      { path: "secondary", message: expect.stringContaining("Jane@Example.com is not verified") },
    ]);
    expect(plan.request).toBe(target);
    expect(plan.request).toMatchObject({
      primary: "auth0|1",
      body: { provider: "google-oauth2", user_id: "2" },
    });
  });

  test("describes identities after, discarded metadata and unverified emails", async () => {
    const { client, sent } = tenant();
    const plan = await planLink(client, linkTarget("auth0|1", { provider: "google-oauth2", user_id: "2" }), {
      emailVerification: "warn",
    });
    expect(plan.identitiesAfter.map((i) => i.id)).toEqual(["auth0|1", "google-oauth2|2"]);
    expect(plan.discarded).toEqual({
      user_metadata: { theme: "light", locale: "fr" },
      app_metadata: { plan: "pro" },
    });
    expect(plan.mergeableKeys).toEqual(["locale"]);
    expect(plan.blockers).toEqual([]);
    expect(plan.warnings.join("\n")).toContain("the secondary's email Jane@Example.com is not verified");
    expect(plan.warnings.join("\n")).toContain(
      "will be discarded (user_metadata: theme, locale; app_metadata: plan)",
    );
    expect(JSON.stringify(plan)).not.toContain("ya29.secret");
    expect(sent.every((s) => s.startsWith("GET"))).toBe(true);
  });

  test("blocks a secondary that does not exist, after a search found no user holding it", async () => {
    const { client, sent } = tenant();
    const plan = await planLink(client, linkTarget("auth0|1", { provider: "github", user_id: "404" }));
    expect(plan.blockers).toEqual([
      {
        path: "secondary",
        message:
          "github|404 does not exist and no user holds it as a linked identity — check the id (provider|id); an identity linked seconds ago may not be searchable yet",
      },
    ]);
    expect(plan.secondarySource).toBe("none");
    expect(plan.secondaryLinkedInto).toBeUndefined();
    expect(sent).toContain("GET /api/v2/users");
  });

  test("names the user a secondary is linked into, and the two ways on", async () => {
    users["auth0|9"] = {
      user_id: "auth0|9",
      email: "holder@example.com",
      email_verified: true,
      identities: [
        { provider: "auth0", user_id: "9", connection: "Username-Password-Authentication", isSocial: false },
        { provider: "github", user_id: "77", connection: "github", isSocial: true },
      ],
    };
    const { client } = tenant();
    const plan = await planLink(client, linkTarget("auth0|1", { provider: "github", user_id: "77" }));
    expect(plan.secondaryLinkedInto).toEqual({ user_id: "auth0|9", email: "holder@example.com" });
    expect(plan.blockers).toEqual([
      {
        path: "secondary",
        message:
          "github|77 is not a user of its own: it is linked into auth0|9 (holder@example.com) — unlink it from auth0|9 first (then link it here), or link auth0|9 itself into auth0|1 (all its identities move)",
      },
    ]);
  });

  test("says what it cannot know when the token may not search (403)", async () => {
    const { client } = tenant({ searchStatus: 403 });
    const plan = await planLink(client, linkTarget("auth0|1", { provider: "github", user_id: "404" }));
    expect(plan.blockers[0]?.message).toBe(
      "github|404 does not exist as a user — check the id (provider|id); if it is an identity linked into another user (a token with read:users can say which), unlink it there first",
    );
  });

  test("a missing primary names the user it is linked into", async () => {
    const { client } = tenant();
    const error = await planLink(client, linkTarget("github|77", { provider: "auth0", user_id: "1" })).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      status: 404,
      subject: { role: "primary", id: "github|77", linkedInto: { user_id: "auth0|9" } },
    });
    expect(String(error)).toContain("(primary github|77, linked into auth0|9 (holder@example.com))");
  });

  test("a search that fails leaves the 404 as it was, saying less", async () => {
    const { client } = tenant({ searchStatus: 400 });
    const plan = await planLink(client, linkTarget("auth0|1", { provider: "github", user_id: "77" }));
    expect(plan.secondaryLinkedInto).toBeUndefined();
    expect(plan.blockers[0]?.message).toContain("github|77 does not exist as a user");
  });

  test("rejects a link_with that has no subject", async () => {
    const { client } = tenant();
    await expect(planLink(client, linkTarget("auth0|1", { link_with: "not-a-jwt" }))).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe("checkLink", () => {
  const holder = {
    user_id: "auth0|9",
    email: "holder@example.com",
    email_verified: true,
    identities: [
      { provider: "auth0", user_id: "9", connection: "Username-Password-Authentication", isSocial: false },
      { provider: "github", user_id: "77", connection: "github", isSocial: true },
    ],
  };
  const verified = { ...users["google-oauth2|2"], email_verified: true };

  test("reads the secondary only, and lets a lone verified secondary be linked", async () => {
    users["google-oauth2|3"] = { ...verified, user_id: "google-oauth2|3" };
    const { client, sent } = tenant();
    expect(await checkLink(client, "auth0|1", "google-oauth2|3")).toEqual({ verdict: "link" });
    expect(sent).toEqual(["GET /api/v2/users/google-oauth2%7C3"]);
  });

  test("blocks a secondary that holds linked identities: they would all move", async () => {
    users["auth0|9"] = holder;
    const { client, sent } = tenant();
    expect(await checkLink(client, "auth0|1", "auth0|9")).toEqual({
      verdict: "blocked",
      blockers: [
        { path: "secondary", message: expect.stringContaining("holds linked identities (github|77)") },
      ],
    });
    expect(sent).toHaveLength(1);
  });

  test("blocks a secondary that is no user of its own, reading the primary to tell a pair already linked", async () => {
    users["auth0|9"] = holder;
    const { client, sent } = tenant();
    expect(await checkLink(client, "auth0|1", "github|77")).toEqual({
      verdict: "blocked",
      blockers: [
        {
          path: "secondary",
          message: expect.stringContaining("it is linked into auth0|9 (holder@example.com)"),
        },
      ],
    });
    expect(sent).toEqual([
      "GET /api/v2/users/github%7C77",
      "GET /api/v2/users/auth0%7C1",
      "GET /api/v2/users",
    ]);
    expect(await checkLink(client, "auth0|9", "github|77")).toEqual({ verdict: "already_linked" });
  });

  test("blocks an unverified secondary email under the default policy, not under warn", async () => {
    const { client } = tenant();
    expect(await checkLink(client, "auth0|1", "google-oauth2|2")).toMatchObject({
      verdict: "blocked",
      blockers: [{ path: "secondary", message: expect.stringContaining("not verified") }],
    });
    expect(await checkLink(client, "auth0|1", "google-oauth2|2", { emailVerification: "warn" })).toEqual({
      verdict: "link",
    });
  });

  test("blocks the primary as its own secondary without a request; a missing primary throws", async () => {
    const { client, sent } = tenant();
    expect(await checkLink(client, "auth0|1", "auth0|1")).toMatchObject({ verdict: "blocked" });
    expect(sent).toEqual([]);
    const error = await checkLink(client, "auth0|gone", "github|404").catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 404, subject: { role: "primary", id: "auth0|gone" } });
  });
});

describe("mergeMetadata", () => {
  test("adds only the keys the primary lacks", async () => {
    const { client, sent } = tenant();
    expect(await mergeMetadata(client, "auth0|1", "google-oauth2|2")).toEqual(["locale"]);
    expect(sent).toContain("PATCH /api/v2/users/auth0%7C1");
  });

  test("sends nothing when there is nothing to add", async () => {
    const { client, sent } = tenant();
    expect(await mergeMetadata(client, "google-oauth2|2", "auth0|1")).toEqual([]);
    expect(sent.some((s) => s.startsWith("PATCH"))).toBe(false);
  });
});

describe("planUnlink", () => {
  const linked = {
    user_id: "auth0|9",
    identities: [
      { provider: "auth0", user_id: "9", connection: "db" },
      { provider: "github", user_id: "5", connection: "github" },
    ],
  };
  function holder() {
    const fetch = async () => json(200, linked);
    return createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch });
  }

  test("describes the identities after and the metadata the recreated user lacks", async () => {
    const plan = await planUnlink(holder(), unlinkTarget("auth0|9", { provider: "github", user_id: "5" }));
    expect(plan.blockers).toEqual([]);
    expect(plan.identitiesAfter.map((i) => i.id)).toEqual(["auth0|9"]);
    expect(plan.warnings[0]).toContain("becomes a separate user again");
  });

  test("blocks the main identity", async () => {
    // The arguments parser refuses the primary's own id; a target naming the first identity by its parts is caught
    // by the plan, with the same wording.
    const plan = await planUnlink(holder(), {
      primary: "auth0|9",
      secondary: { provider: "auth0", user_id: "9" },
    });
    expect(plan.blockers).toEqual([
      {
        path: "secondary",
        message: "auth0|9 is the main identity of auth0|9 — Auth0 cannot remove it; name a linked secondary",
      },
    ]);
  });

  test("blocks an identity the primary does not hold, naming the ones it does", async () => {
    const plan = await planUnlink(holder(), unlinkTarget("auth0|9", { provider: "github", user_id: "6" }));
    expect(plan.blockers[0]?.message).toBe(
      "github|6 is not linked to auth0|9 — its linked identities are: github|5",
    );
  });

  test("says where an identity the primary does not hold lives", async () => {
    const { client } = tenant();
    const elsewhere = await planUnlink(
      client,
      unlinkTarget("auth0|1", { provider: "github", user_id: "77" }),
    );
    expect(elsewhere.blockers[0]?.message).toBe(
      "github|77 is not linked to auth0|1 — its linked identities are: none; it is linked into auth0|9 (holder@example.com) — unlink it there",
    );
    const own = await planUnlink(
      client,
      unlinkTarget("auth0|9", { provider: "google-oauth2", user_id: "2" }),
    );
    expect(own.blockers[0]?.message).toContain("; google-oauth2|2 is a user of its own");
  });
});

describe("planLink's reads", () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const idToken = (claims: Record<string, unknown>) => `${b64({ alg: "RS256" })}.${b64(claims)}.c2ln`;

  test("reads the secondary with secondaryClient when one is given, the primary with the plan's client", async () => {
    const primarySide = tenant();
    const secondarySide = tenant();
    const plan = await planLink(
      primarySide.client,
      linkTarget("auth0|1", { provider: "google-oauth2", user_id: "2" }),
      { secondaryClient: secondarySide.client },
    );
    expect(primarySide.sent).toEqual(["GET /api/v2/users/auth0%7C1"]);
    expect(secondarySide.sent).toEqual(["GET /api/v2/users/google-oauth2%7C2"]);
    expect(plan.secondary.user_id).toBe("google-oauth2|2");
  });

  test("shows the secondary from link_with's claims when the caller may not read it (403)", async () => {
    const fetch = async (request: Request) =>
      new URL(request.url).pathname.endsWith("auth0%7C1")
        ? json(200, users["auth0|1"])
        : json(403, { statusCode: 403, error: "Forbidden", message: "Insufficient scope" });
    const client = createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch });
    const linkWith = idToken({ sub: "github|7", email: "jane@example.com", email_verified: true });
    const plan = await planLink(client, linkTarget("auth0|1", { link_with: linkWith }));
    expect(plan.secondary).toEqual({
      user_id: "github|7",
      email: "jane@example.com",
      email_verified: true,
      identities: [{ id: "github|7", provider: "github", connection: "" }],
    });
    expect(plan.blockers).toEqual([]);
    expect(plan.discarded).toEqual({ user_metadata: {}, app_metadata: {} });
    expect(plan.secondarySource).toBe("id-token");
    expect(plan.warnings).toContainEqual(
      expect.stringContaining("the secondary could not be read with this token (403), so its metadata"),
    );
  });

  test("says where the secondary's view comes from: the tenant, or nowhere for a missing one", async () => {
    const read = await planLink(
      tenant().client,
      linkTarget("auth0|1", { provider: "google-oauth2", user_id: "2" }),
    );
    expect(read.secondarySource).toBe("user");
    expect(read.warnings.join(" ")).not.toContain("could not be read");
    const fetch = async (request: Request) =>
      new URL(request.url).pathname.endsWith("auth0%7C1")
        ? json(200, users["auth0|1"])
        : json(404, {
            statusCode: 404,
            error: "Not Found",
            message: "The user does not exist.",
            errorCode: "inexistent_user",
          });
    const client = createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch });
    const missing = await planLink(client, linkTarget("auth0|1", { provider: "github", user_id: "404" }));
    expect(missing.secondarySource).toBe("none");
    expect(missing.blockers).toHaveLength(1);
  });

  test("a 403 on the primary is not hidden", async () => {
    const fetch = async () =>
      json(403, { statusCode: 403, error: "Forbidden", message: "Insufficient scope" });
    const client = createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch });
    await expect(
      planLink(client, linkTarget("auth0|1", { provider: "github", user_id: "7" })),
    ).rejects.toMatchObject({
      status: 403,
    });
  });
});

describe("summaries", () => {
  const user = users["google-oauth2|2"] as Parameters<typeof summarizeAccount>[0];

  test("an account keeps its id, email state and identities, and no token", () => {
    expect(summarizeAccount(user)).toEqual({
      user_id: "google-oauth2|2",
      email: "Jane@Example.com",
      email_verified: false,
      identities: [{ id: "google-oauth2|2", provider: "google-oauth2", connection: "google-oauth2" }],
    });
    expect(JSON.stringify(summarizeAccount(user))).not.toContain("ya29.secret");
    expect(summarizeAccount({}, "auth0|fallback")).toEqual({
      user_id: "auth0|fallback",
      email: undefined,
      email_verified: undefined,
      identities: [],
    });
  });

  test("an identity is its full id, provider and connection", () => {
    expect(
      summarizeIdentity({ provider: "github", user_id: "7", connection: "github", isSocial: true }),
    ).toEqual({
      id: "github|7",
      provider: "github",
      connection: "github",
    });
  });

  test("holdsLinked looks at the linked identities, not the main one", () => {
    const holder = {
      user_id: "auth0|9",
      identities: [
        { provider: "auth0", user_id: "9", connection: "db", isSocial: false },
        { provider: "github", user_id: "5", connection: "github", isSocial: true },
      ],
    } as Parameters<typeof holdsLinked>[0];
    expect(holdsLinked(holder, "github|5")).toBe(true);
    expect(holdsLinked(holder, "auth0|9")).toBe(false);
    expect(holdsLinked({ user_id: "auth0|1" } as Parameters<typeof holdsLinked>[0], "github|5")).toBe(false);
  });
});
