import { describe, expect, test } from "vitest";
import { choosePrimary, DuplicateFinder, normalizeEmail, pairsJsonl } from "../../src/export/duplicates.ts";
import type { ExportedUser } from "../../src/export/export-reader.ts";

const user = (id: string, email: string | undefined, extra: Partial<ExportedUser> = {}): ExportedUser => ({
  user_id: id,
  ...(email === undefined ? {} : { email }),
  email_verified: true,
  ...extra,
});

function report(users: ExportedUser[], options = {}) {
  const finder = new DuplicateFinder(options);
  for (const u of users) finder.add(u);
  return finder.finish();
}

describe("normalizeEmail", () => {
  test("trims and lower-cases the whole address, nothing else", () => {
    expect(normalizeEmail("  Alice.Martin+news@Example.COM ")).toBe("alice.martin+news@example.com");
  });
});

describe("DuplicateFinder", () => {
  test("groups verified accounts by normalised email and proposes pairs to the chosen primary", () => {
    const r = report([
      user("google-oauth2|1", "Alice@Example.com", { created_at: "2020-01-01T00:00:00Z" }),
      user("auth0|2", "alice@example.com", { created_at: "2022-01-01T00:00:00Z" }),
      user("facebook|3", "alice@example.com", { created_at: "2019-01-01T00:00:00Z" }),
      user("auth0|4", "bob@example.com"),
    ]);
    expect(r).toMatchObject({ users: 4, distinctEmails: 2, pairs: 2, skipped: [] });
    expect(r.groups).toHaveLength(1);
    const [group] = r.groups;
    expect(group?.primary.user_id).toBe("auth0|2");
    expect(group?.criterion).toBe("database");
    expect(group?.reason).toBe("the only database identity");
    expect(group?.secondaries.map((s) => s.user_id)).toEqual(["google-oauth2|1", "facebook|3"]);
    expect([...pairsJsonl(r)]).toEqual([
      '{"primary":"auth0|2","secondary":"google-oauth2|1"}\n',
      '{"primary":"auth0|2","secondary":"facebook|3"}\n',
    ]);
  });

  test("never pairs an unverified account: reported apart, or the group skipped", () => {
    const r = report([
      user("auth0|1", "a@example.com"),
      user("google-oauth2|2", "a@example.com"),
      user("github|3", "a@example.com", { email_verified: false }),
      user("auth0|4", "b@example.com"),
      user("github|5", "b@example.com", { email_verified: false }),
    ]);
    expect(r.pairs).toBe(1);
    expect(r.groups[0]?.unverified.map((u) => u.user_id)).toEqual(["github|3"]);
    expect(r.skipped).toEqual([expect.objectContaining({ email: "b@example.com", reason: "unverified" })]);
    expect(r.skippedCounts.unverified).toBe(1);
  });

  test("keeps the account that already holds linked identities as primary; two such accounts conflict", () => {
    const linked = [
      { provider: "google-oauth2", user_id: "9" },
      { provider: "github", user_id: "8" },
    ];
    const r = report([
      user("auth0|1", "a@example.com"),
      user("samlp|acme|2", "a@example.com", {
        identities: [{ provider: "samlp", user_id: "acme|2" }, ...linked],
      }),
      user("auth0|3", "c@example.com", { identities: [{ provider: "auth0", user_id: "3" }, ...linked] }),
      user("auth0|4", "c@example.com", { identities: [{ provider: "auth0", user_id: "4" }, ...linked] }),
      user("auth0|5", "d@example.com", { identities: [{ provider: "auth0", user_id: "5" }, ...linked] }),
    ]);
    expect(r.alreadyLinked).toBe(4);
    expect(r.groups[0]?.primary.user_id).toBe("samlp|acme|2");
    expect(r.groups[0]?.reason).toBe("already holds 2 linked identities");
    expect(r.skipped).toEqual([
      expect.objectContaining({ email: "c@example.com", reason: "conflicting_primaries" }),
    ]);
  });

  test("skips groups larger than maxGroupSize", () => {
    const users = Array.from({ length: 4 }, (_, i) => user(`auth0|${i}`, "shared@example.com"));
    const r = report(users, { maxGroupSize: 3 });
    expect(r.groups).toEqual([]);
    expect(r.skipped[0]).toMatchObject({
      reason: "too_many_accounts",
      detail: "4 accounts share this email (more than 3)",
    });
  });

  test("addAccount takes fields already read: times in seconds, linked identities counted", () => {
    const finder = new DuplicateFinder();
    finder.addAccount({
      userId: "auth0|1",
      email: "A@example.com",
      verified: true,
      created: Date.UTC(2020, 0, 1) / 1000,
      logins: 3,
      lastLogin: -1,
      linked: 2,
    });
    finder.add(user("auth0|2", "a@example.com"));
    const r = finder.finish();
    expect(r.alreadyLinked).toBe(1);
    expect(r.groups[0]).toMatchObject({
      primary: {
        user_id: "auth0|1",
        email: "A@example.com",
        created_at: "2020-01-01T00:00:00Z",
        logins_count: 3,
        linked: 2,
      },
      criterion: "already_primary",
    });
  });

  test("results() gives the counts now and the groups as they are read, the same each time", () => {
    const finder = new DuplicateFinder({ maxGroupSize: 2 });
    for (const u of [
      user("auth0|1", "a@example.com", { created_at: "2021-03-04T05:06:07.890Z" }),
      user("auth0|2", "a@example.com"),
      user("auth0|3", "b@example.com"),
      user("auth0|4", "b@example.com"),
      user("auth0|5", "b@example.com"),
      user("auth0|6", "c@example.com"),
    ])
      finder.add(u);
    const results = finder.results();
    expect(results.summary).toMatchObject({ users: 6, distinctEmails: 3, groups: 1, pairs: 1 });
    expect(results.summary.skippedCounts.too_many_accounts).toBe(1);
    expect([...results.groups()]).toEqual([...results.groups()]);
    expect([...results.groups()][0]?.secondaries[0]).toMatchObject({
      user_id: "auth0|2",
    });
    // Times are kept to the second, written back as ISO 8601.
    expect([...results.groups()][0]?.primary.created_at).toBe("2021-03-04T05:06:07Z");
    expect([...results.skipped()].map((s) => s.email)).toEqual(["b@example.com"]);
  });

  test("counts users without email and never groups them", () => {
    const r = report([user("sms|1", undefined), user("sms|2", undefined), user("auth0|3", " ")]);
    expect(r).toMatchObject({ users: 3, usersWithoutEmail: 3, distinctEmails: 0, groups: [] });
  });

  test.each([
    [{ policy: ["newest" as never] }, 'Unknown primary criterion "newest"'],
    [{ maxGroupSize: 1 }, "maxGroupSize must be a whole number ≥ 2"],
  ])("refuses %j", (options, message) => {
    expect(() => new DuplicateFinder(options)).toThrow(message);
  });
});

describe("choosePrimary", () => {
  const at = (iso: string) => Date.parse(iso) / 1000;
  const base = { linked: 0, lastLogin: -1 };
  const a = { ...base, id: "google-oauth2|1", created: at("2020-01-01T00:00:00Z"), logins: 50 };
  const b = { ...base, id: "facebook|2", created: at("2019-01-01T00:00:00Z"), logins: 3 };
  const c = { ...base, id: "github|3", created: at("2019-01-01T00:00:00Z"), logins: 9 };

  test("applies the criteria in order and says which decided", () => {
    expect(choosePrimary([a, b])).toMatchObject({ primary: b, criterion: "oldest" });
    expect(choosePrimary([a, b, c])).toMatchObject({
      primary: c,
      criterion: "most_logins",
      reason: "the most logins (9)",
    });
    expect(choosePrimary([a, b], ["most_logins"])).toMatchObject({ primary: a, criterion: "most_logins" });
  });

  test("breaks a full tie on the smallest user_id", () => {
    expect(
      choosePrimary([
        { ...b, id: "x|2" },
        { ...b, id: "x|1" },
      ]),
    ).toMatchObject({
      primary: { id: "x|1" },
      criterion: "user_id",
    });
  });
});
