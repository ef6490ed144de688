import { describe, expect, test } from "vitest";
import { actionScopes, preflightActions } from "../../src/actions/preflight.ts";
import { fakeToken } from "./fake-tenant.ts";

const token = (scope: string, exp = Math.floor(Date.now() / 1000) + 3600) =>
  fakeToken({ sub: "m2m@clients", scope, exp });

describe("preflightActions", () => {
  test("names every missing scope of the command, with what it is for", () => {
    const issues = preflightActions({ token: token("read:actions"), command: "deploy" });
    expect(issues.map((i) => i.message.split(" — ")[0])).toEqual([
      "the token lacks create:actions, needed to create the Action and deploy its versions",
      "the token lacks update:actions, needed to update the Action's code and secrets and to bind it to post-login",
    ]);
    expect(issues[0]?.message).toContain("APIs → Auth0 Management API → Machine to Machine Applications");
  });

  test("the bindings take update:triggers or read:triggers too; a token with neither is told both", () => {
    expect(
      preflightActions({ token: token("read:actions delete:actions update:triggers"), command: "remove" }),
    ).toEqual([]);
    const issues = preflightActions({ token: token("read:actions delete:actions"), command: "remove" });
    expect(issues.map((i) => i.message.split(" — ")[0])).toEqual([
      "the token lacks update:actions or update:triggers, needed to unbind it from post-login",
    ]);
    expect(preflightActions({ token: token(""), command: "status" })[0]?.message).toMatch(
      /^the token lacks read:actions, needed to find the Action and read its versions/,
    );
  });

  test("status needs read:actions; a token with every scope passes every command", () => {
    const all = token("read:actions create:actions update:actions delete:actions");
    for (const command of ["status", "deploy", "rollback", "remove"] as const) {
      expect(preflightActions({ token: all, command })).toEqual([]);
    }
    expect(actionScopes("status")).toEqual([["read:actions"], ["read:actions", "read:triggers"]]);
  });

  test("an expired token or one that is not a JWT is refused", () => {
    expect(preflightActions({ token: token("read:actions", 1), command: "status" })[0]?.message).toMatch(
      /expired at 1970/,
    );
    expect(preflightActions({ token: "opaque", command: "status" })[0]?.message).toMatch(/not a JWT/);
  });
});
