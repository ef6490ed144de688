import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import { parseTenantDomain, requireTenantDomain, type TenantDomain } from "../../src/ids/domain.ts";
import { ValidationError } from "../../src/present/errors.ts";

function value(domain: unknown): TenantDomain {
  const parsed = parseTenantDomain(domain);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

describe("parseTenantDomain", () => {
  test.each([
    ["tenant.eu.auth0.com", "https://tenant.eu.auth0.com"],
    ["  tenant.eu.auth0.com\n", "https://tenant.eu.auth0.com"],
    ["https://tenant.eu.auth0.com/", "https://tenant.eu.auth0.com"],
    ["HTTPS://Tenant.EU.Auth0.com", "https://tenant.eu.auth0.com"],
    ["login.example.com:8443", "https://login.example.com:8443"],
    ["http://127.0.0.1:4010", "http://127.0.0.1:4010"],
    ["http://localhost:4010/", "http://localhost:4010"],
    ["http://[::1]:4010", "http://[::1]:4010"],
  ])("reads %j as the origin %s, with the Management API's audience beside it", (domain, origin) => {
    expect(parseTenantDomain(domain)).toEqual({
      ok: true,
      value: { origin, host: new URL(origin).host, managementAudience: `${origin}/api/v2/` },
    });
  });

  // Each refusal names the field and what to give instead.
  test.each([
    ["", "domain must not be empty — e.g. your-tenant.eu.auth0.com"],
    ["   ", "domain must not be empty — e.g. your-tenant.eu.auth0.com"],
    [undefined, "domain must not be empty — e.g. your-tenant.eu.auth0.com"],
    [
      42,
      "domain must be a host name as text, e.g. your-tenant.eu.auth0.com (or what parseTenantDomain made)",
    ],
    ["'tenant.auth0.com'", "domain is wrapped in quotes — give the host without them"],
    ["“tenant.auth0.com”", "domain is wrapped in quotes — give the host without them"],
    ["https://", 'domain "https://" is not a host name — e.g. your-tenant.eu.auth0.com'],
    [
      "ftp://tenant.auth0.com",
      "domain must be an https host name, e.g. your-tenant.eu.auth0.com: ftp://tenant.auth0.com",
    ],
    [
      "http://tenant.auth0.com",
      "domain must use https (plain http is only for the local emulator on 127.0.0.1): http://tenant.auth0.com",
    ],
    [
      "https://me:pw@tenant.auth0.com",
      "domain must not carry a user or password — give the host only: tenant.auth0.com",
    ],
    [
      "https://tenant.auth0.com/api/v2/",
      "domain has a path, which idlink would ignore — give the host only: tenant.auth0.com",
    ],
    [
      "tenant.auth0.com/?x=1#top",
      "domain has a query and a fragment, which idlink would ignore — give the host only: tenant.auth0.com",
    ],
    [
      "tenant.auth0.com?",
      "domain has a query, which idlink would ignore — give the host only: tenant.auth0.com",
    ],
    [
      "https://manage.auth0.com/dashboard/us/acme/users",
      "domain is the Auth0 dashboard's address — give the tenant's domain, e.g. acme.us.auth0.com (Dashboard → Settings → Domain)",
    ],
    [
      "manage.auth0.com",
      "domain is the Auth0 dashboard's address — give the tenant's domain (Dashboard → Settings → Domain)",
    ],
  ])("refuses %j: %s", (domain, message) => {
    expect(parseTenantDomain(domain)).toEqual({ ok: false, issues: [{ path: "domain", message }] });
  });

  // Attacks: what would send the token to another host than the one meant, or echo a secret.
  test.each([
    ["tenant.eu.аuth0.com", "tenant.eu.xn--uth0-43d.com"], // Cyrillic а
    ["tеnant.eu.auth0.com", "xn--tnant-zwe.eu.auth0.com"], // Cyrillic е
    ["https://xn--tnant-zwe.eu.auth0.com", "xn--tnant-zwe.eu.auth0.com"],
  ])("refuses %j, a host outside ASCII, naming the host it would reach (%s)", (domain, punycode) => {
    const parsed = parseTenantDomain(domain, "AUTH0_DOMAIN");
    expect(parsed.ok).toBe(false);
    const message = !parsed.ok ? (parsed.issues[0]?.message ?? "") : "";
    expect(message).toMatch(/^AUTH0_DOMAIN is not plain ASCII: it would reach the host /);
    expect(message).toContain(punycode);
  });

  test.each([
    "tenant.eu.auth0.com.evil.net",
    "tenant.auth0.co",
    "tenant.eu.auth-0.com",
    "tenant.eu.autho.com",
    "tenant.eu.auth0com.net",
    "auth0.com.evil.net",
  ])("refuses %j, an Auth0 look-alike", (domain) => {
    const parsed = parseTenantDomain(domain);
    expect(!parsed.ok && parsed.issues[0]?.message).toMatch(
      /looks like an Auth0 domain but is not one \(tenant domains end in \.auth0\.com\)/,
    );
  });

  test.each(["login.example.com", "authority.example.gov", "my-auth0-tenant.eu.auth0.com", "auth0.com"])(
    "takes %j, which is no look-alike",
    (domain) => {
      expect(parseTenantDomain(domain).ok).toBe(true);
    },
  );

  test.each([
    "tenant.eu.\tauth0.com",
    "tenant.eu.auth0.com\u0000.evil.net",
    "tenant.eu. auth0.com",
    "tenant\u200b.eu.auth0.com",
    "ten\nant.eu.auth0.com",
  ])("refuses %j, with a control character, space or invisible character inside", (domain) => {
    const parsed = parseTenantDomain(domain);
    expect(!parsed.ok && parsed.issues[0]?.message).toBe(
      "domain has a control character, a space or an invisible character inside — give the host only, e.g. your-tenant.eu.auth0.com",
    );
  });

  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHwxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
  const clientSecret = "Xk3vQ9pL2mN8rT5wY7zA1bC4dE6fG0hJ_-sUuVvWwXxYyZz0123456789abcdEFGH";
  recordSecrets(jwt, clientSecret);
  test.each([
    ["a JWT", jwt],
    ["a client secret", clientSecret],
    ["a Bearer header", `Bearer ${jwt}`],
    ["a JWT behind a scheme", `https://${jwt}`],
  ])("refuses %s pasted as the domain, and never echoes it", (_, domain) => {
    const parsed = parseTenantDomain(domain, "AUTH0_DOMAIN");
    expect(parsed.ok).toBe(false);
    const message = !parsed.ok ? (parsed.issues[0]?.message ?? "") : "";
    recordOutput("core: domain refusal", message);
    expect(message).toMatch(/^AUTH0_DOMAIN holds a value shaped like a token or secret \(not shown\)/);
    expect(message).not.toContain(domain.slice(0, 12).replace("Bearer ", "").slice(0, 10));
  });

  test("never echoes a password given in the URL, whatever else is wrong with it", () => {
    for (const domain of ["http://admin:hunter2@evil.example", "ftp://admin:hunter2@tenant.auth0.com"]) {
      const parsed = parseTenantDomain(domain);
      expect(!parsed.ok && parsed.issues[0]?.message).not.toContain("hunter2");
    }
  });

  test("names the field as the face calls it", () => {
    expect(parseTenantDomain("http://tenant.auth0.com", "AUTH0_DOMAIN")).toEqual({
      ok: false,
      issues: [{ path: "AUTH0_DOMAIN", message: expect.stringMatching(/^AUTH0_DOMAIN must use https/) }],
    });
  });

  test.each([
    `https://${"a".repeat(5000)}.auth0.com/path`,
    `https://me@${"a".repeat(5000)}.auth0.com`,
    `http://${"a".repeat(5000)}.auth0.com`,
    `https://manage.auth0.com/dashboard/eu/${"a".repeat(5000)}`,
  ])("echoes a long pasted value cut short (%#)", (domain) => {
    const parsed = parseTenantDomain(domain);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues[0]?.message.length).toBeLessThan(300);
  });

  test("answers a frozen TenantDomain, and takes one it made again as it is", () => {
    const tenant = value("tenant.eu.auth0.com");
    expect(Object.isFrozen(tenant)).toBe(true);
    expect(() => {
      (tenant as { origin: string }).origin = "https://evil.example";
    }).toThrow(TypeError);
    const again = parseTenantDomain(tenant);
    expect(again.ok && again.value).toBe(tenant);
    // Parsing the same text twice makes two values: only the one passed back is taken as it is.
    expect(value("tenant.eu.auth0.com")).not.toBe(tenant);
  });

  test("parses an object of the same shape that it did not make, instead of trusting it", () => {
    const lookAlike = {
      origin: "https://tenant.eu.auth0.com",
      host: "tenant.eu.auth0.com",
      managementAudience: "https://tenant.eu.auth0.com/api/v2/",
    };
    const parsed = parseTenantDomain(lookAlike);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.issues).toEqual([
      {
        path: "domain",
        message:
          "domain must be a host name as text, e.g. your-tenant.eu.auth0.com (or what parseTenantDomain made)",
      },
    ]);
    // A copy of a real one is no more trusted than a forgery.
    expect(parseTenantDomain({ ...value("tenant.eu.auth0.com") }).ok).toBe(false);
    expect(parseTenantDomain(JSON.parse(JSON.stringify(value("tenant.eu.auth0.com")))).ok).toBe(false);
  });
});

describe("requireTenantDomain", () => {
  test("answers the tenant, a TenantDomain as it is", () => {
    const tenant = requireTenantDomain("tenant.eu.auth0.com");
    expect(tenant.origin).toBe("https://tenant.eu.auth0.com");
    expect(requireTenantDomain(tenant)).toBe(tenant);
  });

  test("throws a ValidationError naming the domain", () => {
    const error = (() => {
      try {
        requireTenantDomain("http://tenant.auth0.com");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: "domain", message: expect.stringContaining("must use https") },
    ]);
    expect((error as Error).message).toMatch(/^Invalid domain: domain must use https/);
  });
});
