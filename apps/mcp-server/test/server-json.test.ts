// server.json is what the MCP registry publishes. test/fixtures/server.schema.json is the registry's 2025-12-11
// schema, https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json (modelcontextprotocol/static
// schemas/2025-12-11/server.schema.json @ a9ba437d9fbbe92076a24b20d56449ac7c7786ac), formatted by biome: the pin
// below is the SHA-256 of its canonical JSON, the same before and after formatting.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, test } from "vitest";
import pkg from "../package.json" with { type: "json" };
import serverJson from "../server.json" with { type: "json" };
import { usage } from "../src/env.ts";

const schemaFile = new URL("./fixtures/server.schema.json", import.meta.url);
const schema = JSON.parse(await readFile(schemaFile, "utf8")) as {
  $id: string;
  definitions: Record<string, unknown>;
};
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);
const errorsOf = (document: unknown) => (validate(document) ? [] : (validate.errors ?? []));

describe("server.json", () => {
  test("is checked against the registry schema it names, unchanged", () => {
    const canonical = createHash("sha256").update(JSON.stringify(schema)).digest("hex");
    expect(canonical).toBe("64cff5eeae54d30932207dfb38324e12eeaeb4abaa09f73dc42c9a9ca319f76e");
    expect(serverJson.$schema).toBe(schema.$id);
  });

  test("is valid against it", () => {
    expect(errorsOf(serverJson)).toEqual([]);
  });

  test.each([
    ["a description over 100 characters", { description: "x".repeat(101) }],
    ["a name without a namespace", { name: "idlink-mcp" }],
    ["a package at version latest", { packages: [{ ...serverJson.packages[0], version: "latest" }] }],
  ])("would be refused with %s (the schema bites)", (_, change) => {
    expect(errorsOf({ ...serverJson, ...change })).not.toEqual([]);
  });

  // The schema allows any other field, so a misspelt one would pass it silently.
  test("uses only fields the schema defines", () => {
    const defined = new Set<string>();
    JSON.stringify(schema, (key, value) => {
      if (key === "properties") for (const name of Object.keys(value)) defined.add(name);
      return value;
    });
    const used = new Set<string>();
    JSON.stringify(serverJson, (_key, value) => {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const name of Object.keys(value)) used.add(name);
      }
      return value;
    });
    expect([...used].filter((name) => !defined.has(name))).toEqual([]);
  });

  test("names the npm package, its version and its mcpName, as the registry checks them", () => {
    // modelcontextprotocol/registry docs/modelcontextprotocol-io/package-types.mdx: "The mcpName property MUST match
    // the server name from server.json".
    expect(serverJson.name).toBe(pkg.mcpName);
    expect(serverJson.version).toBe(pkg.version);
    expect(serverJson.packages).toMatchObject([
      { registryType: "npm", identifier: pkg.name, version: pkg.version, transport: { type: "stdio" } },
    ]);
  });

  test("lists variables the server reads, each secret marked as one", () => {
    const variables = serverJson.packages[0]?.environmentVariables ?? [];
    for (const { name } of variables) expect(usage).toContain(name);
    const secrets = variables.filter((v) => "isSecret" in v && v.isSecret).map((v) => v.name);
    expect(secrets).toEqual(["AUTH0_CLIENT_SECRET", "AUTH0_TOKEN"]);
  });
});
