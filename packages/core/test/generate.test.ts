import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const core = fileURLToPath(new URL("..", import.meta.url));
const fragment = fileURLToPath(new URL("../../../openapi/management-api.yaml", import.meta.url));

test("regenerating from a fragment with a new provider changes the accepted providers, with no other edit", async () => {
  // A copy of core's sources inside the package (so its dependencies resolve), regenerated from an edited fragment.
  const work = `${core}test-results/regenerate`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(`${core}src`, `${work}/src`, { recursive: true });
  const yaml = readFileSync(fragment, "utf8").replace(
    "enum: [ad, adfs,",
    "enum: [idlink-test-idp, ad, adfs,",
  );
  expect(yaml).toContain("idlink-test-idp");
  writeFileSync(`${work}/management-api.yaml`, yaml);
  const bin = `${core}node_modules/.bin/openapi-typescript`;
  execFileSync(
    bin,
    [`${work}/management-api.yaml`, "-o", `${work}/src/generated/management-api.ts`, "--enum-values"],
    {
      stdio: "pipe",
    },
  );

  const before = await import("../src/ids/rules.ts");
  const after = (await import(`${work}/src/ids/rules.ts`)) as typeof before;
  const body = { provider: "idlink-test-idp", user_id: "1" };
  expect(before.parseLinkRequest(body).ok).toBe(false);
  expect(after.parseLinkRequest(body)).toEqual({ ok: true, value: { variant: "identity", body, notes: [] } });
});
