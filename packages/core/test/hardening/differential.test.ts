import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import fc from "fast-check";
import { expect, test } from "vitest";
import { maxIdLength, parseLinkRequest, providers } from "../../src/index.ts";
import { officialDefinition } from "../reference.ts";

// Auth0's official definition, read at test time: the oracle is their schema, not a copy of ours.
const official = JSON.parse(readFileSync(officialDefinition, "utf8")) as {
  components: { schemas: Record<string, unknown> };
};
const ajv = new Ajv2020({ strict: false, allErrors: false });
ajv.addSchema({ $id: "oas", components: official.components });
const officialValid = ajv.compile({ $ref: "oas#/components/schemas/LinkUserIdentityRequestContent" });

/**
 * What Auth0 accepts: the official schema, plus the rules it states in prose, plus the documented stricter rules of
 * core (README: "Stricter than the official schema, on purpose").
 */
function oracle(body: unknown): boolean {
  if (!officialValid(body)) return false;
  const b = body as Record<string, unknown>;
  const has = (k: string) => Object.hasOwn(b, k);
  if (has("link_with")) {
    // prose: "If sending this parameter, provider, user_id, and connection_id must not be sent."
    return !has("provider") && !has("user_id") && !has("connection_id") && b.link_with !== "";
  }
  // prose: "you need to send provider and user_id" (a full id as user_id is accepted, as recorded Auth0 answers show);
  // core: an id has a length bound.
  return (
    has("provider") && has("user_id") && !(typeof b.user_id === "string" && b.user_id.length > maxIdLength)
  );
}

const connectionId = fc.stringMatching(/^con_[A-Za-z0-9]{16}$/);
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 50 }),
  fc.string({ unit: "binary", maxLength: 50 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "__proto__",
    "constructor",
    "con_",
    "con_0123456789abcdeF",
    "auth0|1",
    "%7C",
  ),
  fc.string({ minLength: 5_000, maxLength: 20_000 }),
);
const anyValue = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const providerValue = fc.oneof(
  fc.constantFrom(...providers),
  fc.constantFrom("", "Google-oauth2", "gogle", "auth0 "),
  anyValue,
);
const userIdValue = fc.oneof(
  fc.string({ minLength: 1 }),
  fc.integer(),
  fc.constant(""),
  fc.constant("github|1"),
  anyValue,
);
const connectionValue = fc.oneof(connectionId, fc.constant(""), fc.string({ maxLength: 25 }), anyValue);
const key = fc.constantFrom(
  "link_with",
  "provider",
  "user_id",
  "connection_id",
  "__proto__",
  "constructor",
  "prototype",
  "extra",
  "LINK_WITH",
);

const valid = fc.oneof(
  fc.record({ link_with: fc.string({ minLength: 1 }) }),
  fc.record(
    {
      provider: fc.constantFrom(...providers),
      user_id: fc.oneof(fc.string({ minLength: 1 }), fc.integer()),
      connection_id: connectionId,
    },
    { requiredKeys: ["provider", "user_id"] },
  ),
);
const nearValid = fc.record(
  {
    link_with: fc.oneof(fc.string(), anyValue),
    provider: providerValue,
    user_id: userIdValue,
    connection_id: connectionValue,
  },
  { requiredKeys: [] },
);
// Keys set with defineProperty, as JSON.parse does: "__proto__" becomes an own property, not the prototype.
const hostile = fc
  .array(fc.tuple(key, fc.oneof(anyValue, providerValue, userIdValue, connectionValue)), { maxLength: 5 })
  .map((entries) => {
    const body: Record<string, unknown> = {};
    for (const [k, v] of entries)
      Object.defineProperty(body, k, { value: v, enumerable: true, configurable: true, writable: true });
    return body;
  });
const notObjects = anyValue;

test("parseLinkRequest accepts exactly what Auth0's schema and prose accept, over 12,000 generated bodies", () => {
  const bodies = fc.sample(
    fc.oneof(
      { arbitrary: valid, weight: 3 },
      { arbitrary: nearValid, weight: 4 },
      { arbitrary: hostile, weight: 4 },
      { arbitrary: notObjects, weight: 1 },
    ),
    { numRuns: 12_000, seed: 20261125 },
  );
  let accepted = 0;
  const disagreements: unknown[] = [];
  for (const body of bodies) {
    const result = parseLinkRequest(body);
    if (result.ok !== oracle(body)) disagreements.push(body);
    if (result.ok) accepted++;
    else {
      expect(result.issues.length).toBeGreaterThan(0);
      for (const issue of result.issues) {
        expect(issue.path).not.toBe("");
        expect(issue.message).toContain(
          issue.path === "body" || issue.path === "secondary" ? "" : issue.path,
        );
      }
    }
  }
  console.log(
    `differential validation: ${bodies.length} bodies, ${accepted} accepted, ${bodies.length - accepted} rejected, ${disagreements.length} disagreements`,
  );
  expect(disagreements.slice(0, 5)).toEqual([]);
  expect(accepted).toBeGreaterThan(2_000);
  expect(bodies.length - accepted).toBeGreaterThan(5_000);
});

test("parseLinkRequest never throws, whatever the input", () => {
  fc.assert(
    fc.property(
      fc.anything({ withObjectString: true, withNullPrototype: true, withBigInt: true }),
      (input) => {
        const result = parseLinkRequest(input);
        expect(typeof result.ok).toBe("boolean");
      },
    ),
    { numRuns: 2_000, seed: 7 },
  );
});
