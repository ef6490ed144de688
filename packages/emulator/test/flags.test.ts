import { describe, expect, test } from "vitest";
import { EmulatorFlagError, parseEmulatorFlags, parseRateLimitFlag } from "../src/index.ts";

describe("parseEmulatorFlags (idlink-emulator and idlink emulator)", () => {
  test.each([
    [{}, {}],
    [{ users: "500" }, { generate: { users: 500, duplicateRate: 0.1 } }],
    [
      { users: "500", duplicateRate: "0.25", seed: "7" },
      { generate: { users: 500, duplicateRate: 0.25, seed: 7 } },
    ],
    [{ users: "3", duplicateRate: "0" }, { generate: { users: 3, duplicateRate: 0 } }],
    [
      { users: "3", seed: "tenant.json" },
      { generate: { users: 3, duplicateRate: 0.1 }, seedFile: "tenant.json" },
    ],
    [{ seed: "42" }, { seedFile: "42" }],
    [{ rateLimit: "10/2" }, { rateLimit: { burst: 10, perSecond: 2 } }],
    [{ rateLimit: "50/16.7" }, { rateLimit: { burst: 50, perSecond: 16.7 } }],
    [{ rateLimit: "off" }, { rateLimit: false }],
    [{ actions: ["a.js", "b.js"] }, { actionFiles: ["a.js", "b.js"] }],
    [
      { actions: ["link.js"], actionSecrets: ["DOMAIN=http://127.0.0.1:8787", "EMPTY=", "EQ=a=b"] },
      {
        actionFiles: ["link.js"],
        actionSecrets: { DOMAIN: "http://127.0.0.1:8787", EMPTY: "", EQ: "a=b" },
      },
    ],
    [
      { users: "3", actions: ["a.js"] },
      { generate: { users: 3, duplicateRate: 0.1 }, actionFiles: ["a.js"] },
    ],
  ])("%j → %j", (flags, values) => {
    expect(parseEmulatorFlags(flags)).toEqual(values);
  });

  test.each([
    [{ users: "-1" }, "--users", "--users -1: not a whole number ≥ 1."],
    [{ users: "abc" }, "--users", "--users abc: not a whole number ≥ 1."],
    [{ users: "0" }, "--users", "--users 0: not a whole number ≥ 1."],
    [{ users: "1.5" }, "--users", "--users 1.5: not a whole number ≥ 1."],
    [
      { users: "10", duplicateRate: "2" },
      "--duplicate-rate",
      "--duplicate-rate 2: not a number between 0 and 1.",
    ],
    [
      { users: "10", duplicateRate: "" },
      "--duplicate-rate",
      "--duplicate-rate : not a number between 0 and 1.",
    ],
    [{ duplicateRate: "0.1" }, "--duplicate-rate", "--duplicate-rate 0.1: applies to generated users"],
    [{ rateLimit: "10" }, "--rate-limit", "--rate-limit 10: not BURST/RATE or off."],
    [{ rateLimit: "0/5" }, "--rate-limit", "--rate-limit 0/5: the burst must be at least 1."],
    [{ rateLimit: "10/0" }, "--rate-limit", "--rate-limit 10/0: the rate must be above 0."],
  ])("refuses %j, naming %s", (flags, flag, message) => {
    const error = (() => {
      try {
        parseEmulatorFlags(flags);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(EmulatorFlagError);
    expect(error).toMatchObject({ flag });
    expect((error as EmulatorFlagError).message).toContain(message);
    expect((error as EmulatorFlagError).fix).toContain(`${flag} `);
  });

  test("parseRateLimitFlag is the --rate-limit part alone", () => {
    expect(parseRateLimitFlag("5/1")).toEqual({ burst: 5, perSecond: 1 });
    expect(() => parseRateLimitFlag("fast")).toThrow("--rate-limit fast");
  });
});

describe("--action and --action-secret", () => {
  const secretValue = "emulator-only-flag-secret-value";
  test.each([
    [{ actionSecrets: [`KEY=${secretValue}`] }, "--action-secret: there is no --action to give it to."],
    [{ actions: ["a.js"], actionSecrets: [secretValue] }, "--action-secret: an argument is not KEY=VALUE"],
    [
      { actions: ["a.js"], actionSecrets: [`=${secretValue}`] },
      "--action-secret: an argument is not KEY=VALUE",
    ],
    [
      { actions: ["a.js"], actionSecrets: [`KEY=${secretValue}`, `KEY=${secretValue}`] },
      "--action-secret KEY: given twice.",
    ],
    [
      { actions: ["a.js"], actionSecrets: [`KEY=${secretValue.repeat(200)}`] },
      "--action-secret KEY: the value is longer than 4096 characters.",
    ],
    [
      { actions: ["a.js"], actionSecrets: [`${"K".repeat(129)}=${secretValue}`] },
      "the key is longer than 128 characters.",
    ],
    [{ actions: [""] }, "--action: no file given."],
  ])("refuses %j without showing the value", (flags, message) => {
    const error = (() => {
      try {
        parseEmulatorFlags(flags);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(EmulatorFlagError);
    const { message: text, fix } = error as EmulatorFlagError;
    expect(text).toContain(message);
    expect(`${text} ${fix}`).not.toContain(secretValue);
  });
});
