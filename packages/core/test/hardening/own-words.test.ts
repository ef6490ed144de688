import fc from "fast-check";
import { expect, test } from "vitest";
import { z } from "zod";
import { parseLinkRequest, providers } from "../../src/index.ts";

// Every message parseLinkRequest gives is core's own: none is left to zod's locale. The web page relies on it — it
// ships zod without its English messages (apps/web-demo/src/slim/zod.ts) — so a schema added without its own
// message fails here, not in a user's browser. Zod's locale is replaced in this file's worker only.
const zodWords = "ZOD WORDED THIS";
z.config({ localeError: () => zodWords });

const field = fc.constantFrom("link_with", "provider", "user_id", "connection_id", "extra", "__proto__", "");
const value = fc.oneof(
  fc.anything(),
  fc.constantFrom(
    ...providers,
    "",
    " ",
    "con_",
    "con_Kq3vX8mT2pL9wR4z",
    "a.b.c",
    1.5,
    -1,
    2 ** 60,
    Number.NaN,
  ),
  fc.string({ maxLength: 600 }),
);

test("zod's locale says nothing a user sees, over 20,000 bodies", () => {
  expect(z.string().safeParse(1).error?.issues[0]?.message).toBe(zodWords);
  fc.assert(
    fc.property(fc.oneof(fc.dictionary(field, value, { maxKeys: 5 }), fc.anything()), (body) => {
      const result = parseLinkRequest(body, { primary: "auth0|1" });
      if (!result.ok) for (const issue of result.issues) expect(issue.message).not.toContain(zodWords);
    }),
    { numRuns: 20_000, seed: 20261201 },
  );
});
