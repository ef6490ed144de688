import { readFileSync } from "node:fs";
import { parseLinkRequest } from "@idlink/core";
import Ajv2020 from "ajv/dist/2020.js";
import { median, now, ratio, type Section } from "./stats.ts";

/** Auth0's official definition, as committed in `openapi/reference/`. */
const officialDefinition = new URL(
  "../../openapi/reference/auth0-management-api.linking.oas.json",
  import.meta.url,
);

const bodies = {
  "valid, identity variant": {
    provider: "google-oauth2",
    user_id: "108234567890123456789",
    connection_id: "con_0123456789abcdef",
  },
  "valid, token variant": { link_with: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJnaXRodWJ8MSJ9.c2ln" },
  "invalid: the seed page's body": { provider: "", connection_id: "", user_id: "", link_with: "" },
  "invalid: unknown provider": { provider: "gogle", user_id: "1" },
};

/** Operations per second of `fn` over `iterations` calls, median of `rounds`. */
function opsPerSecond(fn: () => unknown, iterations: number, rounds: number): number {
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = now();
    for (let i = 0; i < iterations; i++) fn();
    rates.push(iterations / ((now() - t) / 1000));
  }
  return median(rates);
}

/**
 * parseLinkRequest throughput on valid and invalid bodies, beside Ajv compiling Auth0's official JSON schema (which
 * checks less: no exclusivity, and gives no field-level advice).
 */
export function validation(size: { iterations: number; rounds: number }): Section {
  const official = JSON.parse(readFileSync(officialDefinition, "utf8"));
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema({ $id: "oas", components: official.components });
  const ajvValidate = ajv.compile({ $ref: "oas#/components/schemas/LinkUserIdentityRequestContent" });
  const rows: string[][] = [
    ["body", "parseLinkRequest ops/s", "Ajv (official schema) ops/s", "parseLinkRequest / Ajv"],
  ];
  const figures: Record<string, number> = {};
  for (const [name, body] of Object.entries(bodies)) {
    opsPerSecond(() => parseLinkRequest(body), 2_000, 1); // warm-up
    const ours = opsPerSecond(() => parseLinkRequest(body), size.iterations, size.rounds);
    const theirs = opsPerSecond(() => ajvValidate(body), size.iterations, size.rounds);
    rows.push([name, ours.toFixed(0), theirs.toFixed(0), ratio(ours / theirs)]);
    figures[name] = ours;
  }
  return {
    title: "4. Validation throughput",
    command: "pnpm bench",
    table: rows,
    notes: [
      `${size.iterations} calls per round, median of ${size.rounds} rounds.`,
      "Ajv validates the official schema only; parseLinkRequest also enforces the prose rules and writes field-level messages, so it is expected to be slower on invalid bodies.",
    ],
    figures,
  };
}
