import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { officialDefinition as reference } from "../reference.ts";

const script = fileURLToPath(new URL("../../scripts/spec-check.mjs", import.meta.url));
const work = fileURLToPath(new URL("../../test-results/spec-check/", import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: an OAS document the tests edit in place, path by path
type Doc = any;

interface Report {
  undocumented: string[];
  documented: string[];
  staleDocumentation: string[];
}

function check(officialPath: string): { code: number; report: Report } {
  try {
    return {
      code: 0,
      report: JSON.parse(execFileSync("node", [script, officialPath, "--json"], { encoding: "utf8" })),
    };
  } catch (error) {
    const e = error as { status: number; stdout: string };
    return { code: e.status, report: JSON.parse(e.stdout) };
  }
}

function altered(name: string, change: (doc: Doc) => void): string {
  const doc = JSON.parse(readFileSync(reference, "utf8"));
  change(doc);
  mkdirSync(work, { recursive: true });
  const path = `${work}${name}.json`;
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

test("finds only the documented differences against Auth0's official document", () => {
  const { code, report } = check(reference);
  console.log(
    `spec drift vs the reference: ${report.undocumented.length} undocumented, ${report.documented.length} documented`,
  );
  expect(report.undocumented).toEqual([]);
  expect(report.staleDocumentation).toEqual([]);
  expect(report.documented).toHaveLength(13);
  expect(code).toBe(0);
});

test.each([
  [
    "a provider removed",
    (doc: Doc) => {
      const e = doc.components.schemas.UserIdentityProviderEnum.enum as string[];
      e.splice(e.indexOf("github"), 1);
    },
    'requestBody application/json.properties.provider.enum: "github" added',
  ],
  [
    "a provider added",
    (doc: Doc) => doc.components.schemas.UserIdentityProviderEnum.enum.push("passkey"),
    'requestBody application/json.properties.provider.enum: "passkey" removed',
  ],
  [
    "a changed connection_id pattern",
    (doc: Doc) => {
      doc.components.schemas.LinkUserIdentityRequestContent.properties.connection_id.pattern =
        "^con_[A-Za-z0-9]{20}$";
    },
    'properties.connection_id.pattern: "^con_[A-Za-z0-9]{20}$" in the official document, "^con_[A-Za-z0-9]{16}$" in the fragment',
  ],
  [
    "a new body field",
    (doc: Doc) => {
      doc.components.schemas.LinkUserIdentityRequestContent.properties.organization_id = { type: "string" };
    },
    "properties.organization_id: missing from the fragment",
  ],
  [
    "a new status code",
    (doc: Doc) => {
      doc.paths["/users/{id}/identities"].post.responses["422"] = { description: "Unprocessable" };
    },
    "POST /users/{id}/identities responses: 422 removed",
  ],
  [
    "a removed status code",
    (doc: Doc) => {
      delete doc.paths["/users/{id}/identities"].post.responses["409"];
    },
    "POST /users/{id}/identities responses: 409 added",
  ],
])("reports %s", (name, change, expected) => {
  const { code, report } = check(altered(name.replaceAll(" ", "-"), change));
  expect(code).toBe(1);
  expect(report.undocumented.some((d) => d.includes(expected))).toBe(true);
});
