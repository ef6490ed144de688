import { describe, expect, test } from "vitest";
import { REDACTED, redact, redactText } from "../../src/present/redact.ts";

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";

describe("redact", () => {
  test("replaces secret fields at any depth", () => {
    const user = {
      user_id: "github|1",
      identities: [
        {
          provider: "github",
          user_id: "1",
          access_token: "gho_abc",
          refresh_token: "r1",
          connection: "github",
        },
      ],
      nested: { client_secret: "cs", link_with: "lw", Authorization: "Bearer x" },
    };
    expect(redact(user)).toEqual({
      user_id: "github|1",
      identities: [
        {
          provider: "github",
          user_id: "1",
          access_token: REDACTED,
          refresh_token: REDACTED,
          connection: "github",
        },
      ],
      nested: { client_secret: REDACTED, link_with: REDACTED, Authorization: REDACTED },
    });
  });

  test("removes JWT-shaped strings and bearer credentials from text", () => {
    expect(redactText(`token ${jwt} and Bearer abc.def`)).toBe(`token ${REDACTED} and Bearer ${REDACTED}`);
    expect(redactText("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")).toBe(REDACTED);
  });

  test("turns errors into their name and redacted message", () => {
    expect(redact({ error: new Error(`bad ${jwt}`) })).toEqual({
      error: { name: "Error", message: `bad ${REDACTED}` },
    });
  });

  test("copies an object shared by two fields instead of calling it circular", () => {
    const identity = { provider: "github", user_id: "1", access_token: "gho_x" };
    expect(redact({ before: [identity], after: [identity] })).toEqual({
      before: [{ provider: "github", user_id: "1", access_token: REDACTED }],
      after: [{ provider: "github", user_id: "1", access_token: REDACTED }],
    });
  });

  test("writes dates as ISO strings, as JSON would", () => {
    expect(redact({ at: new Date(0) })).toEqual({ at: "1970-01-01T00:00:00.000Z" });
  });

  test("leaves the input untouched and survives cycles", () => {
    const input: Record<string, unknown> = { token: "t" };
    input.self = input;
    const out = redact(input);
    expect(input.token).toBe("t");
    expect(out).toEqual({ token: REDACTED, self: "[circular]" });
  });

  test("keeps Auth0's own words readable", () => {
    expect(redactText("User to be acted on does not match subject in bearer token.")).toBe(
      "User to be acted on does not match subject in bearer token.",
    );
    expect(redactText("Authorization: Bearer 9f8e7d6c5b4a")).toBe("Authorization: Bearer [redacted]");
  });

  test("matches secret keys whatever their case, and leaves an absent one absent", () => {
    expect(redact({ Client_Secret: "cs", TOKEN: "t", password: undefined, id_token: null })).toEqual({
      Client_Secret: REDACTED,
      TOKEN: REDACTED,
      password: undefined,
      id_token: REDACTED,
    });
  });
});
