import { recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import {
  alice,
  aliceGoogle,
  answerToken,
  execute,
  noReadClient,
  resume,
  secretsFor,
  useEmulator,
} from "./helpers.ts";

const emulator = useEmulator();
recordSecrets("Zq8rT2vX9wLm4Kp7"); // the password of a LINK_PAGE_URL below
const misconfigured = "account linking is misconfigured: ";

const required = [
  "MANAGEMENT_API_DOMAIN",
  "MANAGEMENT_API_CLIENT_ID",
  "MANAGEMENT_API_CLIENT_SECRET",
  "SESSION_TOKEN_SECRET",
  "LINK_PAGE_URL",
] as const;

/** Both handlers with the same secrets: each must deny before doing anything else. */
async function bothDeny(secrets: Record<string, string | undefined>): Promise<string[]> {
  const em = emulator();
  const login = await execute(em, alice, { secrets });
  const token = await answerToken({ sub: alice, outcome: "not_mine", candidates: [aliceGoogle] });
  const back = await resume(em, alice, token, { secrets });
  for (const { calls } of [login, back]) {
    expect(calls.redirects).toEqual([]);
    expect(calls.appMetadata).toEqual([]);
    expect(calls.primaryUser).toEqual([]);
    expect(calls.denied).toHaveLength(1);
  }
  expect(login.fetched).toEqual([]);
  return [login.calls.denied[0] ?? "", back.calls.denied[0] ?? ""];
}

describe("a missing secret denies the login, naming it", () => {
  test.each(required)("%s", async (name) => {
    const em = emulator();
    for (const absent of [undefined, "", "   "]) {
      const reasons = await bothDeny(secretsFor(em, { [name]: absent }));
      for (const reason of reasons) expect(reason).toBe(`${misconfigured}secret ${name} is missing`);
    }
  });

  test("several at once: each named, in one reason", async () => {
    const [reason] = await bothDeny({ LINK_PAGE_URL: "https://link.example.com/" });
    expect(reason).toBe(
      `${misconfigured}secret MANAGEMENT_API_DOMAIN is missing; secret MANAGEMENT_API_CLIENT_ID is missing; secret MANAGEMENT_API_CLIENT_SECRET is missing; secret SESSION_TOKEN_SECRET is missing`,
    );
  });
});

describe("a malformed secret denies the login, naming it and never its value", () => {
  const cases: [string, string, RegExp][] = [
    ["MANAGEMENT_API_DOMAIN", "https://acme.eu.auth0.com/api/v2/", /not a tenant domain/],
    ["MANAGEMENT_API_DOMAIN", "http://acme.eu.auth0.com", /not a tenant domain/],
    ["MANAGEMENT_API_DOMAIN", "manage.auth0.com/dashboard/eu/acme/", /not a tenant domain/],
    ["MANAGEMENT_API_CLIENT_SECRET", '"Zq8rT2vX9wLm4Kp7Hs3Nd6Fb1Gc5Jy0A"', /quotes/],
    ["MANAGEMENT_API_CLIENT_SECRET", "Zq8rT2vX9wLm4Kp7Hs3Nd6Fb1Gc5Jy0A\n", /spaces or a line break/],
    ["MANAGEMENT_API_CLIENT_ID", " idlink-reader", /spaces or a line break/],
    ["SESSION_TOKEN_SECRET", "Kp7Hs3Nd6Fb1Gc5Jy", /too short.*at least 32/],
    ["LINK_PAGE_URL", "http://link.example.com/", /https/],
    ["LINK_PAGE_URL", "link.example.com/start", /not a URL/],
    ["LINK_PAGE_URL", "https://user:Zq8rT2vX9wLm4Kp7@link.example.com/", /password/],
    ["CONNECTIONS", "google-oauth2,,github", /empty name/],
    ["ALLOW_SKIP", "sometimes", /true or false/],
    ["SKIP_DAYS", "0", /whole number of days from 1 to 365/],
    ["SKIP_DAYS", "7d", /whole number of days/],
    ["SKIP_DAYS", "400", /whole number of days/],
  ];
  test.each(cases)("%s = %j", async (name, value, why) => {
    if (/SECRET/.test(name)) recordSecrets(value.trim());
    for (const reason of await bothDeny(secretsFor(emulator(), { [name]: value }))) {
      expect(reason.startsWith(`${misconfigured}secret ${name} `)).toBe(true);
      expect(reason).toMatch(why);
      expect(reason).not.toContain(value.trim());
    }
  });

  test("optional secrets as documented: CONNECTIONS unset means all; ALLOW_SKIP and SKIP_DAYS take their forms", async () => {
    const em = emulator();
    const fine = await execute(em, alice, {
      secrets: secretsFor(em, { CONNECTIONS: "", ALLOW_SKIP: "FALSE", SKIP_DAYS: "30" }),
    });
    expect(fine.calls.denied).toEqual([]);
    expect(fine.calls.redirects).toHaveLength(1);
  });

  test("http LINK_PAGE_URL on loopback is taken (a page under development)", async () => {
    const em = emulator();
    const { calls } = await execute(em, alice, {
      secrets: secretsFor(em, { LINK_PAGE_URL: "http://127.0.0.1:5173/link" }),
    });
    expect(calls.redirects[0]?.url).toBe("http://127.0.0.1:5173/link");
  });
});

describe("credentials the tenant refuses deny the login, naming the secrets to check", () => {
  test("a wrong client secret", async () => {
    const em = emulator();
    const wrong = "emulator-only-secret-not-this-one";
    recordSecrets(wrong);
    const { calls } = await execute(em, alice, {
      secrets: secretsFor(em, { MANAGEMENT_API_CLIENT_SECRET: wrong }),
    });
    expect(calls.redirects).toEqual([]);
    expect(calls.denied).toHaveLength(1);
    expect(calls.denied[0]).toMatch(
      /^account linking is misconfigured: the tenant refused the application of MANAGEMENT_API_CLIENT_ID \/ MANAGEMENT_API_CLIENT_SECRET \(401 /,
    );
    expect(calls.denied[0]).not.toContain(wrong);
  });

  test("an application without read:users", async () => {
    const em = emulator();
    const secrets = secretsFor(em, {
      MANAGEMENT_API_CLIENT_ID: noReadClient.clientId,
      MANAGEMENT_API_CLIENT_SECRET: noReadClient.clientSecret,
    });
    const { calls } = await execute(em, alice, { secrets });
    expect(calls.denied).toHaveLength(1);
    expect(calls.denied[0]).toMatch(/may not read users \(403 .*grant it read:users/);
    expect(calls.denied[0]).not.toContain(noReadClient.clientSecret);
  });

  test("the emulator's published secret given for a real tenant: refused before anything is sent", async () => {
    const em = emulator();
    const secrets = secretsFor(em, { MANAGEMENT_API_DOMAIN: "acme.eu.auth0.com" });
    const { calls, fetched } = await execute(em, alice, { secrets });
    expect(fetched).toEqual([]);
    expect(calls.denied).toEqual([
      "account linking is misconfigured: secret MANAGEMENT_API_CLIENT_SECRET is the local emulator's published secret, refused for a real tenant",
    ]);
  });
});
