import { describe, expect, test } from "vitest";
import { generatedTenant } from "../src/index.ts";
import { adminToken, call, enc, useEmulator } from "./helpers.ts";

describe("generated tenant", () => {
  test("is the same for the same seed and differs for another", () => {
    const a = generatedTenant({ users: 500, duplicateRate: 0.2, seed: 7 });
    const b = generatedTenant({ users: 500, duplicateRate: 0.2, seed: 7 });
    const c = generatedTenant({ users: 500, duplicateRate: 0.2, seed: 8 });
    expect(a.at(321)).toEqual(b.at(321));
    const emails = (t: typeof a) => Array.from({ length: 500 }, (_, i) => t.at(i).email);
    expect(emails(a)).toEqual(emails(b));
    expect(emails(a)).not.toEqual(emails(c));
  });

  test("mixes database, social and enterprise users; verified and not; already linked; email case", () => {
    const tenant = generatedTenant({ users: 5000, duplicateRate: 0.2, seed: 3 });
    const users = Array.from({ length: tenant.size }, (_, i) => tenant.at(i));
    const providers = new Set(users.map((u) => u.identities[0]?.provider));
    expect(providers).toEqual(new Set(["auth0", "google-oauth2", "facebook", "apple", "samlp", "waad"]));
    expect(users.some((u) => u.email_verified === false)).toBe(true);
    expect(users.some((u) => u.identities.length > 1)).toBe(true);
    const byLower = new Map<string, Set<string>>();
    for (const u of users) {
      const key = (u.email ?? "").toLowerCase();
      byLower.set(key, (byLower.get(key) ?? new Set()).add(u.email ?? ""));
    }
    const duplicates = users.length - byLower.size;
    expect(duplicates / users.length).toBeGreaterThan(0.15);
    expect(duplicates / users.length).toBeLessThan(0.25);
    expect([...byLower.values()].some((variants) => variants.size > 1)).toBe(true);
  });

  test("knows whose each account is: accounts of one person share an email, case aside, and only they", () => {
    const tenant = generatedTenant({ users: 3000, duplicateRate: 0.2, seed: 4 });
    const emailOf = new Map<number, string>();
    const personOfEmail = new Map<string, number>();
    for (let i = 0; i < tenant.size; i++) {
      const person = tenant.personOf(i);
      expect(person).toBeLessThanOrEqual(i);
      const email = (tenant.at(i).email ?? "").toLowerCase();
      expect(emailOf.get(person) ?? email).toBe(email);
      emailOf.set(person, email);
      expect(personOfEmail.get(email) ?? person).toBe(person);
      personOfEmail.set(email, person);
    }
    expect(emailOf.size).toBeLessThan(tenant.size);
  });

  test("finds a user from its id and nothing from an id it did not make", () => {
    const tenant = generatedTenant({ users: 100, seed: 1 });
    for (let i = 0; i < 100; i++) {
      const user = tenant.at(i);
      expect(tenant.get(user.user_id)).toEqual(user);
    }
    expect(tenant.get("auth0|6a0000000000000000000fff")).toBeUndefined();
    expect(tenant.get("auth0|nobody")).toBeUndefined();
  });

  test.each([
    [{ users: -1 }, "users must be a whole number ≥ 0"],
    [{ users: 10, duplicateRate: 2 }, "duplicateRate must be between 0 and 1"],
  ])("refuses %j", (options, message) => {
    expect(() => generatedTenant(options)).toThrow(message);
  });
});

describe("emulator with generated users", () => {
  const emulator = useEmulator({ generate: { users: 300, duplicateRate: 0.3, seed: 5 } });
  const tenant = generatedTenant({ users: 300, duplicateRate: 0.3, seed: 5 });

  test("serves, links and unlinks generated users; reset brings them back", async () => {
    const em = emulator();
    const token = await adminToken(em);
    const primary = tenant.at(10);
    const secondary = tenant.at(11);
    const got = await call(em, "GET", `/api/v2/users/${enc(primary.user_id)}`, { token });
    expect(got.body).toMatchObject({ user_id: primary.user_id, email: primary.email });
    const [provider, ...rest] = secondary.user_id.split("|");
    const link = await call(em, "POST", `/api/v2/users/${enc(primary.user_id)}/identities`, {
      token,
      body: { provider, user_id: rest.join("|") },
    });
    expect(link.status).toBe(201);
    expect(em.state.getUser(secondary.user_id)).toBeUndefined();
    expect(em.state.listUsers()).toHaveLength(12 + 299);
    const unlink = await call(
      em,
      "DELETE",
      `/api/v2/users/${enc(primary.user_id)}/identities/${provider}/${enc(rest.join("|"))}`,
      { token },
    );
    expect(unlink.status).toBe(200);
    expect(em.state.getUser(secondary.user_id)).toMatchObject({ email: secondary.email });
    em.state.reset();
    expect(em.state.getUser(primary.user_id)?.identities).toHaveLength(primary.identities.length);
  });

  test("searches generated users by email", async () => {
    const em = emulator();
    const user = tenant.at(42);
    const res = await call(em, "GET", `/api/v2/users-by-email?email=${enc(user.email ?? "")}`, {
      token: await adminToken(em),
    });
    expect((res.body as { user_id: string }[]).map((u) => u.user_id)).toContain(user.user_id);
  });
});
