import { expect, test } from "vitest";
import { clientOverhead } from "../src/client-overhead.ts";
import { validation } from "../src/validation.ts";

const shared = process.env.IDLINK_SHARED ?? new URL("../../../shared/", import.meta.url).pathname;

// Tiny sizes: these prove the benchmarks still run and count correctly; speed is never asserted here.
test("the client-overhead benchmark links each pair once with every client", async () => {
  const section = await clientOverhead({ rounds: 1, callsPerRound: 3 });
  expect(section.figures.linked).toBe(section.figures.expectedLinks);
  expect(Number.isFinite(section.figures.coreVsFetchLink)).toBe(true);
  expect(section.table).toHaveLength(4);
});

test("the validation benchmark measures every body", () => {
  const section = validation(
    { iterations: 50, rounds: 1 },
    `${shared}/reference/auth0-management-api.linking.oas.json`,
  );
  expect(section.table).toHaveLength(5);
  for (const value of Object.values(section.figures)) expect(value).toBeGreaterThan(0);
});
