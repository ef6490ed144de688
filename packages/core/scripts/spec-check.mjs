#!/usr/bin/env node
// Compares the operations and schemas that openapi/management-api.yaml covers with an official Auth0 Management API
// OAS document, and lists every difference: operations, status codes, parameters, request bodies and success
// response schemas (enum values, patterns, types, required and added/removed fields). Differences the fragment
// documents under `x-idlink-intentional-differences` are listed as documented; any other makes the exit code 1.
// Usage: spec-check.mjs [official-oas.json] [--fragment <management-api.yaml>] [--json]
// Without a document it checks the committed snapshot, openapi/reference/auth0-management-api.linking.oas.json.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";

const ignoredKeys = new Set([
  "description",
  "default",
  "example",
  "examples",
  "title",
  "summary",
  "deprecated",
]);
const methods = ["get", "put", "post", "delete", "patch"];

/** Resolves local $refs and drops prose, so that two documents compare on their constraints alone. */
function normalize(doc, node, seen = new Set()) {
  if (Array.isArray(node)) return node.map((n) => normalize(doc, n, seen));
  if (typeof node !== "object" || node === null) return node;
  if (typeof node.$ref === "string") {
    if (seen.has(node.$ref)) return { $recursive: node.$ref };
    const target = node.$ref
      .replace(/^#\//, "")
      .split("/")
      .reduce((n, part) => n?.[part.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
    return normalize(doc, target, new Set([...seen, node.$ref]));
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (ignoredKeys.has(key) || key.startsWith("x-")) continue;
    if (key === "properties" && Object.keys(value).length === 0) continue;
    out[key] = normalize(doc, value, seen);
  }
  return out;
}

/** Lists the differences between two normalized schemas, each as "where: what". */
function diff(where, official, fragment, out) {
  if (official === undefined && fragment === undefined) return out;
  if (official === undefined || fragment === undefined) {
    out.push(`${where}: ${official === undefined ? "added in the fragment" : "missing from the fragment"}`);
    return out;
  }
  if (Array.isArray(official) && Array.isArray(fragment)) {
    const a = new Set(official.map((v) => JSON.stringify(v)));
    const b = new Set(fragment.map((v) => JSON.stringify(v)));
    for (const v of a) if (!b.has(v)) out.push(`${where}: ${v} removed`);
    for (const v of b) if (!a.has(v)) out.push(`${where}: ${v} added`);
    return out;
  }
  if (
    typeof official === "object" &&
    official !== null &&
    typeof fragment === "object" &&
    fragment !== null
  ) {
    for (const key of new Set([...Object.keys(official), ...Object.keys(fragment)])) {
      diff(`${where}.${key}`, official[key], fragment[key], out);
    }
    return out;
  }
  if (JSON.stringify(official) !== JSON.stringify(fragment)) {
    out.push(
      `${where}: ${JSON.stringify(official)} in the official document, ${JSON.stringify(fragment)} in the fragment`,
    );
  }
  return out;
}

function successSchema(doc, op, status) {
  const response = normalize(doc, op.responses?.[status]);
  return response?.content?.["application/json"]?.schema;
}

/** Every difference between the official document and the fragment, over the operations the fragment covers. */
export function compare(officialDoc, fragmentDoc) {
  const out = [];
  for (const [path, item] of Object.entries(fragmentDoc.paths ?? {})) {
    for (const method of methods) {
      const mine = item[method];
      if (!mine) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const theirs = officialDoc.paths?.[path]?.[method];
      if (!theirs) {
        out.push(`${where}: not in the official document`);
        continue;
      }
      const statusesA = Object.keys(theirs.responses ?? {});
      const statusesB = Object.keys(mine.responses ?? {});
      for (const s of statusesA) if (!statusesB.includes(s)) out.push(`${where} responses: ${s} removed`);
      for (const s of statusesB) if (!statusesA.includes(s)) out.push(`${where} responses: ${s} added`);
      const params = (doc, op) =>
        Object.fromEntries(
          (op.parameters ?? []).map((p) => normalize(doc, p)).map((p) => [`${p.in}:${p.name}`, p]),
        );
      diff(`${where} parameters`, params(officialDoc, theirs), params(fragmentDoc, mine), out);
      const bodyA = normalize(officialDoc, theirs.requestBody)?.content ?? {};
      const bodyB = normalize(fragmentDoc, mine.requestBody)?.content ?? {};
      for (const type of new Set([...Object.keys(bodyA), ...Object.keys(bodyB)])) {
        diff(`${where} requestBody ${type}`, bodyA[type]?.schema, bodyB[type]?.schema, out);
      }
      for (const status of statusesA.filter((s) => s.startsWith("2") && statusesB.includes(s))) {
        diff(
          `${where} ${status}`,
          successSchema(officialDoc, theirs, status),
          successSchema(fragmentDoc, mine, status),
          out,
        );
      }
    }
  }
  return out;
}

function main(argv) {
  const args = argv.slice(2);
  const json = args.includes("--json");
  const fragmentAt = args.indexOf("--fragment");
  const base = process.env.INIT_CWD ?? process.cwd();
  const officialPath =
    args.find((a, i) => !a.startsWith("--") && (fragmentAt < 0 || i !== fragmentAt + 1)) ??
    new URL("../../../openapi/reference/auth0-management-api.linking.oas.json", import.meta.url).pathname;
  const fragmentPath =
    fragmentAt >= 0
      ? resolve(base, args[fragmentAt + 1])
      : new URL("../../../openapi/management-api.yaml", import.meta.url).pathname;
  const officialDoc = JSON.parse(readFileSync(resolve(base, officialPath), "utf8"));
  const fragmentDoc = parse(readFileSync(fragmentPath, "utf8"));
  const documented = new Set(fragmentDoc["x-idlink-intentional-differences"] ?? []);
  const differences = compare(officialDoc, fragmentDoc);
  const undocumented = differences.filter((d) => !documented.has(d));
  const known = differences.filter((d) => documented.has(d));
  const stale = [...documented].filter((d) => !differences.includes(d));
  if (json) {
    console.log(JSON.stringify({ undocumented, documented: known, staleDocumentation: stale }, null, 2));
  } else {
    for (const d of undocumented) console.log(`DIFF  ${d}`);
    for (const d of known) console.log(`ok    ${d} (documented as intentional)`);
    for (const d of stale) console.log(`stale ${d} (documented, but no longer a difference)`);
    console.log(
      `${undocumented.length} undocumented difference(s), ${known.length} documented, ${stale.length} stale`,
    );
  }
  return undocumented.length > 0 || stale.length > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main(process.argv));
