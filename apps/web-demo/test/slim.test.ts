import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { z as classic } from "zod";
import {
  AnonymousSessionApiClient,
  AuthClient,
  CacheKeyManifest,
  Dpop,
  Fetcher,
  LocalStorageCache,
  MfaApiClient,
  NotInThisPage,
} from "../src/slim/auth0-features.ts";
import * as cookies from "../src/slim/cookies.ts";
import Required from "../src/slim/required.ts";
import { z as mini } from "../src/slim/zod.ts";

describe("the features left out of the page's build of Auth0's SPA SDK", () => {
  it("answer as the SDK expects when they are not in use", async () => {
    const anonymous = new AnonymousSessionApiClient() as {
      hasSession(): boolean;
      mintTransferToken(): unknown;
    };
    expect(anonymous.hasSession()).toBe(false);
    await expect(anonymous.mintTransferToken()).resolves.toBeNull();
    const mfa = new MfaApiClient() as { setMFAAuthDetails(...args: unknown[]): unknown };
    expect(mfa.setMFAAuthDetails("token", "openid", "aud", {})).toBeUndefined();
  });

  it("throw an error that names the feature from anything else", () => {
    const auth = new AuthClient() as { mfa: () => unknown };
    expect(() => auth.mfa()).toThrow(NotInThisPage);
    const dpop = new Dpop() as { getNonce(): unknown };
    expect(() => dpop.getNonce()).toThrow(
      "DPoP (getNonce) is not part of this page's build of Auth0's SPA SDK.",
    );
    const fetcher = new Fetcher({}, {}) as { fetchWithAuth(url: string): unknown };
    expect(() => fetcher.fetchWithAuth("/me")).toThrow("fetchWithAuth (fetchWithAuth) is not part of");
    expect(() => (new LocalStorageCache() as { get(key: string): unknown }).get("k")).toThrow(NotInThisPage);
    expect(() => (new CacheKeyManifest() as { add(key: string): unknown }).add("k")).toThrow(NotInThisPage);
    // Not a thenable: awaiting one must not call a left-out method.
    expect((new MfaApiClient() as { then?: unknown }).then).toBeUndefined();
  });

  it("the inlined token worker and browser-tabs-lock say what the page needs instead", () => {
    expect(() => Required()).toThrow(/needs workerUrl and the Web Locks API/);
  });
});

describe("es-cookie's functions as the page's own module", () => {
  // es-cookie itself, as Auth0's SDK resolves it.
  const sdk = realpathSync(
    fileURLToPath(new URL("../node_modules/@auth0/auth0-spa-js/package.json", import.meta.url)),
  );
  const esCookie = createRequire(sdk)("es-cookie") as typeof cookies;
  const expires = new Date("2031-05-06T07:08:09Z");

  it.each([
    ["auth0.idlink-spa.is.authenticated", "true", { path: "/" }],
    [
      "_legacy_auth0.idlink-spa.is.authenticated",
      "true",
      { path: "/", expires, secure: true, sameSite: "none" },
    ],
    ["auth0.spa.organization_hint", '"org_123"', { path: "/", domain: "example.com", expires }],
    ["a name (with) #$&+^`| and ü", 'a value; with = , " ü #$&+:<>=/?@[]^`{}|', { path: "/" }],
    ["empty", "", { path: "/", expires: new Date(0) }],
  ] as const)("encodes %s as es-cookie does", (name, value, attributes) => {
    expect(cookies.encode(name, value, { ...attributes })).toBe(
      esCookie.encode(name, value, { ...attributes }),
    );
  });

  it.each([
    "",
    "a=1",
    "auth0.spa.is.authenticated=true; _legacy_auth0.spa.is.authenticated=true",
    'quoted="%22org_1%22"; eq=a=b=c; spaced=%20x%20',
    "bad=%E0%A4%A; good=%C3%BC; %C3%BC=name",
  ])("parses %j as es-cookie does", (text) => {
    expect(cookies.parse(text)).toEqual(esCookie.parse(text));
  });

  afterEach(() => {
    Reflect.deleteProperty(globalThis, "document");
  });

  it("gets, sets and removes through document.cookie as es-cookie does", () => {
    const written: string[] = [];
    const jar = { cookie: "x=1; auth0.spa.is.authenticated=true" };
    Object.defineProperty(globalThis, "document", {
      configurable: true,
      value: {
        get cookie() {
          return jar.cookie;
        },
        set cookie(line: string) {
          written.push(line.replace(/Expires=[^;]+/, "Expires=…"));
        },
      },
    });
    for (const lib of [cookies, esCookie]) {
      expect(lib.get("auth0.spa.is.authenticated")).toBe("true");
      expect(lib.get("missing")).toBeUndefined();
      lib.set("auth0.spa.is.authenticated", "true", { expires: 1, secure: true, sameSite: "none" });
      lib.remove("auth0.spa.is.authenticated", { domain: "example.com" });
    }
    expect(written.slice(0, 2)).toEqual(written.slice(2));
    expect(written[0]).toBe("auth0.spa.is.authenticated=true; Expires=…; Path=/; Secure; SameSite=none");
  });
});

describe("zod's mini build behind the classic builders core's rules use", () => {
  // The same schema through both, as packages/core/src/ids/rules.ts writes it (typed as the stand-in's builders, which
  // are the classic ones this schema calls).
  const build = (z: typeof mini) =>
    z
      .strictObject({
        provider: z.enum(["auth0", "github"] as const, { error: () => "provider must be auth0 or github" }),
        user_id: z.union(
          [z.string().min(1, "user_id must not be empty"), z.number().refine(Number.isInteger, "whole")],
          {
            error: () => "user_id must be a string or an integer",
          },
        ),
        connection_id: z
          .string({ error: "connection_id must be a string" })
          .refine((v: string) => v.length > 0, { message: "connection_id must not be empty", abort: true })
          .refine((v: string) => v.startsWith("con_"), { message: "connection_id must start with con_" })
          .optional(),
      })
      .superRefine((body: { user_id: unknown }, ctx) => {
        if (typeof body.user_id === "string" && body.user_id.length > 5) {
          ctx.addIssue({ code: "custom", path: ["user_id"], message: "user_id is too long" });
        }
      });
  const classicSchema = build(classic as unknown as typeof mini);
  const miniSchema = build(mini);

  it.each([
    { provider: "auth0", user_id: "abc" },
    { provider: "auth0", user_id: "abcdefgh" },
    { provider: "github", user_id: 12, connection_id: "con_x" },
    { provider: "nope", user_id: "" },
    { provider: "auth0", user_id: 1.5, connection_id: "" },
    { provider: "auth0", user_id: "a", connection_id: "x" },
    { provider: "auth0", user_id: null, connection_id: 3, extra: true },
    {},
  ])("answers as zod's classic build does for %j", (input) => {
    const expected = classicSchema.safeParse(input, { reportInput: true });
    const actual = miniSchema.safeParse(input, { reportInput: true });
    expect(actual.success).toBe(expected.success);
    const issues = (r: typeof expected) =>
      r.error?.issues.map((i) => ({ path: i.path, message: i.message, input: i.input }));
    expect(issues(actual)).toEqual(issues(expected));
    if (expected.success) expect(actual.data).toEqual(expected.data);
  });
});
