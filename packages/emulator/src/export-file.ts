import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type { User } from "./seed.ts";

export interface ExportField {
  name: string;
  export_as?: string;
}

export interface ExportSpec {
  format: "json" | "csv";
  fields: ExportField[];
  limit?: number;
}

/**
 * The fields exported when a job names none. Auth0 documents only "a predefined set of fields"; these are the
 * profile attributes its docs' examples use, plus `identities` in JSON (CSV cannot hold an array).
 */
export function defaultExportFields(format: "json" | "csv"): ExportField[] {
  const base = [
    "user_id",
    "email",
    "email_verified",
    "name",
    "created_at",
    "updated_at",
    "last_login",
    "logins_count",
  ];
  return [...base, ...(format === "json" ? ["identities"] : [])].map((name) => ({ name }));
}

/** Reads `a.b`, `identities[0].connection` style paths, as Auth0's export `fields[].name` does. */
export function readPath(user: unknown, path: string): unknown {
  let node: unknown = user;
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== "")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

// Identity-provider tokens never leave the tenant in an export.
const stripTokens = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map((identity) => {
        if (identity === null || typeof identity !== "object") return identity;
        const { access_token, access_token_secret, refresh_token, ...rest } = identity as Record<
          string,
          unknown
        >;
        return rest;
      })
    : value;

const csvCell = (value: unknown): string => {
  if (value === undefined || value === null) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

/** The export's lines: JSON, one object per line; CSV, a header row then one row per user. */
export function* exportLines(users: Iterable<User>, spec: ExportSpec): Generator<string> {
  const columns = spec.fields.map((f) => ({ path: f.name, key: f.export_as ?? f.name }));
  if (spec.format === "csv") yield `${columns.map((c) => csvCell(c.key)).join(",")}\n`;
  let count = 0;
  for (const user of users) {
    if (spec.limit !== undefined && count >= spec.limit) return;
    count++;
    if (spec.format === "csv") {
      yield `${columns.map((c) => csvCell(stripTokens(readPath(user, c.path)))).join(",")}\n`;
    } else {
      const record: Record<string, unknown> = {};
      for (const c of columns) {
        const value = readPath(user, c.path);
        if (value !== undefined) record[c.key] = c.path === "identities" ? stripTokens(value) : value;
      }
      yield `${JSON.stringify(record)}\n`;
    }
  }
}

// Lines are batched into chunks of about 64 KiB: one stream write per line costs more than the gzip itself.
function* chunks(lines: Iterable<string>, onLine: () => void): Generator<string> {
  let chunk = "";
  for (const line of lines) {
    chunk += line;
    onLine();
    if (chunk.length >= 65_536) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk !== "") yield chunk;
}

/**
 * Streams an export to a gzipped file, line by line: memory stays flat whatever the number of users.
 * `onLine` is called per line written (CSV header included), for progress.
 */
export async function writeExportFile(
  path: string,
  users: Iterable<User>,
  spec: ExportSpec,
  onLine: () => void = () => {},
): Promise<void> {
  await pipeline(
    Readable.from(chunks(exportLines(users, spec), onLine)),
    createGzip(),
    createWriteStream(path, { mode: 0o600 }),
  );
}
