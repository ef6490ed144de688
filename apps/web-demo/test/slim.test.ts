import { describe, expect, it } from "vitest";
import { z as classic } from "zod";
import {
  AnonymousSessionApiClient,
  AuthClient,
  Dpop,
  MfaApiClient,
  NotInThisPage,
} from "../src/slim/auth0-features.ts";
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
    // Not a thenable: awaiting one must not call a left-out method.
    expect((new MfaApiClient() as { then?: unknown }).then).toBeUndefined();
  });

  it("the inlined token worker and browser-tabs-lock say what the page needs instead", () => {
    expect(() => Required()).toThrow(/needs workerUrl and the Web Locks API/);
  });
});

describe("zod's mini build behind the classic builders core's rules use", () => {
  // The same schema through both, as packages/core/src/rules.ts writes it (typed as the stand-in's builders, which
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
