import { describe, expect, test } from "vitest";
import { ConfigError, readEnv } from "../server/env.ts";

const tenant = {
  AUTH0_DOMAIN: "example.eu.auth0.com",
  AUTH0_CLIENT_ID: "m2m-id",
  AUTH0_CLIENT_SECRET: "m2m-secret",
  AUTH0_SPA_CLIENT_ID: "spa-id",
};

describe("readEnv", () => {
  test("starts the emulator when nothing is configured", () => {
    expect(readEnv({})).toEqual({ mode: "emulator", port: 0 });
    expect(readEnv({ AUTH0_DOMAIN: " ", PORT: "8080" })).toEqual({ mode: "emulator", port: 8080 });
  });

  test("points at a tenant when all four variables are set", () => {
    expect(readEnv(tenant)).toEqual({
      mode: "tenant",
      port: 5173,
      domain: "example.eu.auth0.com",
      clientId: "m2m-id",
      clientSecret: "m2m-secret",
      spaClientId: "spa-id",
    });
  });

  test("names the missing variables of a half-configured tenant", () => {
    const { AUTH0_CLIENT_SECRET: _, ...partial } = tenant;
    expect(() => readEnv(partial)).toThrow(ConfigError);
    expect(() => readEnv(partial)).toThrow("missing: AUTH0_CLIENT_SECRET");
  });

  test("IDLINK_DEBUG turns the debug trail on, and refuses what it cannot read", () => {
    expect(readEnv({ IDLINK_DEBUG: "true" })).toEqual({ mode: "emulator", port: 0, debug: true });
    expect(readEnv({ IDLINK_DEBUG: "0" })).toEqual({ mode: "emulator", port: 0 });
    expect(() => readEnv({ IDLINK_DEBUG: "loud" })).toThrow("IDLINK_DEBUG must be 1/true/yes or 0/false/no");
  });

  test.each(["abc", "70000", "-1"])("refuses PORT=%s", (port) => {
    expect(() => readEnv({ PORT: port })).toThrow("PORT must be a number between 0 and 65535");
  });
});
