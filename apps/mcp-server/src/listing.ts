import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { z } from "zod";

/**
 * What tools/list says about a schema, kept small: an agent pays for every character on every session.
 * Validation is zod's, unchanged — an input's is left to createServer, which words the refusal as every other one
 * (the argument at fault, then what to do next) instead of the SDK's protocol message; only the advertised JSON
 * Schema is trimmed. Inputs lose the `$schema` URI only
 * (the arguments an agent writes keep every type, pattern, bound and description). Outputs keep their top-level
 * fields with types and descriptions (no `required`: every answer is the tool's own); a nested object is said in
 * words — by its title if it has one (`account`, `[identity]`: the server's instructions define both once), else
 * its field names two levels deep, e.g. `[{email, primary, secondaries}]` — instead of a schema repeated in every
 * tool; an array of plain strings is `[string]`.
 */
export function listed<S extends z.ZodType>(schema: S, io: "input" | "output"): S {
  const std = schema["~standard"] as StandardSchemaWithJSON<unknown, unknown>["~standard"];
  const json = (options: { target: string }) => {
    const full = std.jsonSchema[io](options as Parameters<typeof std.jsonSchema.input>[0]);
    const { $schema: _uri, ...rest } = full;
    return io === "input" ? rest : slimObject(rest);
  };
  const trimmed: StandardSchemaWithJSON<unknown, unknown>["~standard"] = {
    ...std,
    ...(io === "input" ? { validate: (value: unknown) => ({ value }) } : {}),
    jsonSchema: { input: json, output: json },
  };
  // The SDK reads only `~standard` (validate and jsonSchema); the zod schema stays whole for the handler's types.
  return new Proxy(schema, {
    get: (target, key, receiver) => (key === "~standard" ? trimmed : Reflect.get(target, key, receiver)),
  });
}

type Json = Record<string, unknown>;

function slimObject(schema: Json): Json {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const out: Json = { type: "object", properties: {} };
  for (const [key, value] of Object.entries(properties)) (out.properties as Json)[key] = slimField(value);
  return out;
}

function slimField(field: Json): Json {
  const description = typeof field.description === "string" ? field.description : undefined;
  const shape = isStrings(field) ? "[string]" : shapeOf(field);
  if (shape === undefined) return field;
  const type = field.type === "array" ? "array" : "object";
  return { type, description: description ? `${shape}: ${description}` : shape };
}

/**
 * A nested object or array of objects, in words: `{a, b: {c}, d: [{e}]}`, or by its title (`account`, `[identity]`:
 * shapes the server's instructions define once); undefined for a plain field.
 */
function shapeOf(field: Json, depth = true): string | undefined {
  if (typeof field.title === "string") return field.title;
  if (field.type === "array" && isJson(field.items) && typeof field.items.title === "string") {
    return `[${field.items.title}]`;
  }
  if (field.type === "object" && field.properties) return keysOf(field, depth);
  if (
    field.type === "array" &&
    isJson(field.items) &&
    field.items.type === "object" &&
    field.items.properties
  ) {
    return `[${keysOf(field.items, depth)}]`;
  }
  return undefined;
}

function keysOf(schema: Json, depth: boolean): string {
  const properties = schema.properties as Record<string, Json>;
  const keys = Object.entries(properties).map(([key, value]) => {
    if (!depth) return key;
    const nested = shapeOf(value, false);
    return nested && nested !== key ? `${key}: ${nested}` : key;
  });
  return `{${keys.join(", ")}}`;
}

/** An array of plain strings: said `[string]`. */
function isStrings(field: Json): boolean {
  return (
    field.type === "array" &&
    isJson(field.items) &&
    Object.keys(field.items).length === 1 &&
    field.items.type === "string"
  );
}

function isJson(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
