import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { parse } from "yaml";

/**
 * Validates emulator responses against the OpenAPI fragment (openapi/*.yaml), loaded as is: the schema for an
 * operation and status comes from the document, never from a copy. Reusable by every package's tests.
 */

type Json = Record<string, unknown>;

const specs = {
  management: { file: "management-api.yaml", prefix: "/api/v2" },
  authentication: { file: "authentication-api.yaml", prefix: "" },
} as const;
type SpecName = keyof typeof specs;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

const documents = Object.fromEntries(
  Object.entries(specs).map(([name, { file }]) => {
    const path = fileURLToPath(new URL(`../../../openapi/${file}`, import.meta.url));
    const document = parse(readFileSync(path, "utf8")) as Json;
    ajv.addSchema(document, name);
    return [name, document];
  }),
) as Record<SpecName, Json>;

const escapePointer = (part: string) => part.replaceAll("~", "~0").replaceAll("/", "~1");

function resolve(document: Json, pointer: string): unknown {
  return pointer
    .slice(2)
    .split("/")
    .reduce<unknown>(
      (node, part) =>
        node && typeof node === "object"
          ? (node as Json)[part.replaceAll("~1", "/").replaceAll("~0", "~")]
          : undefined,
      document,
    );
}

/** The operation a request went to: the fragment's path template matching the raw path segment by segment. */
export function findOperation(
  method: string,
  pathname: string,
): { spec: SpecName; template: string; method: string } | undefined {
  for (const [spec, { prefix }] of Object.entries(specs) as [SpecName, (typeof specs)[SpecName]][]) {
    if (!pathname.startsWith(`${prefix}/`)) continue;
    const rest = pathname.slice(prefix.length).split("/");
    const paths = (documents[spec].paths ?? {}) as Json;
    for (const [template, item] of Object.entries(paths)) {
      const parts = template.split("/");
      const matches =
        parts.length === rest.length &&
        parts.every((part, i) => part.startsWith("{") || part === rest[i]) &&
        rest.slice(1).every((segment) => segment !== "");
      if (matches && (item as Json)[method.toLowerCase()])
        return { spec, template, method: method.toLowerCase() };
    }
  }
  return undefined;
}

const cache = new Map<string, ValidateFunction>();

/** The validator of one operation's response body for a status; throws when the fragment does not list it. */
export function responseValidator(
  spec: SpecName,
  template: string,
  method: string,
  status: number,
): ValidateFunction {
  const key = `${spec} ${method} ${template} ${status}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const document = documents[spec];
  let pointer = `#/paths/${escapePointer(template)}/${method}/responses/${status}`;
  let response = resolve(document, pointer) as Json | undefined;
  if (!response)
    throw new Error(`The fragment lists no ${status} answer for ${method.toUpperCase()} ${template}`);
  if (typeof response.$ref === "string") {
    pointer = response.$ref;
    response = resolve(document, pointer) as Json;
  }
  const content = response.content as Json | undefined;
  if (!content?.["application/json"]) {
    throw new Error(`The fragment lists no JSON body for ${status} of ${method.toUpperCase()} ${template}`);
  }
  const validate = ajv.compile({ $ref: `${spec}${pointer}/content/application~1json/schema` });
  cache.set(key, validate);
  return validate;
}

/** Validates a component schema by name, e.g. `validateSchema("management", "Error", body)`. */
export function validateSchema(spec: SpecName, name: string, value: unknown): string[] {
  const validate = ajv.getSchema(`${spec}#/components/schemas/${name}`);
  if (!validate) throw new Error(`No schema ${name} in ${spec}`);
  return validate(value) ? [] : ajv.errorsText(validate.errors).split(", ");
}

/**
 * Throws unless `body` is what the fragment promises for this method, URL and status (rate-limit headers
 * included on the Management API's successes and 429s).
 */
export function assertContract(
  method: string,
  url: string,
  status: number,
  body: unknown,
  headers?: Headers,
): void {
  const pathname = new URL(url).pathname;
  const operation = findOperation(method, pathname);
  if (!operation) throw new Error(`No operation in the fragment for ${method} ${pathname}`);
  const validate = responseValidator(operation.spec, operation.template, operation.method, status);
  if (!validate(body)) {
    throw new Error(
      `${method} ${operation.template} ${status}: body breaks the contract: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
  }
  // Auth0 sends the rate-limit headers on successes and 429s, not on other errors (fidelity corpus).
  if (headers && operation.spec === "management" && (status < 400 || status === 429)) {
    for (const name of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
      if (!/^\d+$/.test(headers.get(name) ?? ""))
        throw new Error(`${method} ${pathname} ${status}: no integer ${name}`);
    }
  }
}

/** Like `fetch`, then checks the answer against the fragment; answers the parsed body alongside the response. */
export async function fetchChecked(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  const body: unknown = text === "" ? undefined : JSON.parse(text);
  assertContract(init.method ?? "GET", url, response.status, body, response.headers);
  return { status: response.status, body, headers: response.headers };
}
