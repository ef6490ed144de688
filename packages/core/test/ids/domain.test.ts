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
      value: { origin, managementAudience: `${origin}/api/v2/` },
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
