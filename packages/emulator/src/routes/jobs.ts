import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { authenticate, insufficientScope } from "../auth.ts";
import { ApiError, badRequest } from "../errors.ts";
import { defaultExportFields, type ExportField, type ExportSpec, writeExportFile } from "../export-file.ts";
import type { Router } from "../router.ts";
import type { Store } from "../store.ts";
import type { TokenContext } from "../tokens.ts";
import { asObject, parseRequestBody, typeName } from "./management.ts";

export interface ExportJobOptions {
  /**
   * Seconds after creation at which a job turns `expired` and its file stops downloading. Auth0: 24 hours
   * ("the completed job will transition to expired 24 hours after it was submitted", Auth0 community knowledge
   * base, "Sequence of Statuses for User Export Job Status").
   */
  ttlSeconds?: number;
  /** Milliseconds a job stays `pending` before it is processed (0: the next turn of the event loop). */
  startDelayMs?: number;
}

export interface JobsDeps {
  store: Store;
  tokens: TokenContext;
  options?: ExportJobOptions;
}

interface Job {
  id: string;
  created: number;
  status: "pending" | "processing" | "completed" | "failed";
  connection?: { id: string; name: string };
  spec: ExportSpec;
  fieldsGiven: boolean;
  file: string;
  total: number;
  written: number;
  error?: string;
}

// Auth0's validator names the property and adds its schema description (the official document's, without the
// final period), as it does for the link body.
const exportDescriptions: Record<string, string> = {
  connection_id: "connection_id of the connection from which users will be exported",
  format: "Format of the file. Must be `json` or `csv`",
  limit: "Limit the number of records",
  fields: "List of fields to be included in the CSV. Defaults to a predefined set of fields",
};
const invalidBody = (detail: string, property?: string) => {
  const description = property === undefined ? undefined : exportDescriptions[property];
  const on =
    property === undefined ? "" : ` on property ${property}${description ? ` (${description})` : ""}`;
  return badRequest(`Payload validation error: '${detail}'${on}.`, "invalid_body");
};

const jobIdPattern = /^job_[A-Za-z0-9]{16}$/;
const connectionIdPattern = /^con_[A-Za-z0-9]{16}$/;
const requestKeys = new Set(["connection_id", "format", "limit", "fields"]);
const fieldKeys = new Set(["name", "export_as"]);
const alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const randomId = (prefix: string) =>
  prefix + [...randomBytes(16)].map((b) => alphanumerics[b % alphanumerics.length]).join("");

// The location of a finished export is a pre-signed storage URL on Auth0; an expired one answers like S3 does.
const expiredPage =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';
const deniedPage =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';

function parseFields(value: unknown): ExportField[] {
  if (!Array.isArray(value))
    throw invalidBody(`Expected type array but found type ${typeName(value)}`, "fields");
  return value.map((item, i) => {
    const where = `fields[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw invalidBody(`Expected type object but found type ${typeName(item)}`, where);
    }
    const field = item as Record<string, unknown>;
    const unknown = Object.keys(field).filter((key) => !fieldKeys.has(key));
    if (unknown.length > 0)
      throw invalidBody(`Additional properties not allowed: ${unknown.join(",")}`, where);
    const parsed: ExportField = { name: "" };
    for (const key of ["name", "export_as"] as const) {
      const v = field[key];
      if (v === undefined) {
        if (key === "name") throw invalidBody("Missing required property: name", where);
        continue;
      }
      if (typeof v !== "string")
        throw invalidBody(`Expected type string but found type ${typeName(v)}`, `${where}.${key}`);
      if (v.length > 100)
        throw invalidBody(`String is too long (${v.length} chars), maximum 100`, `${where}.${key}`);
      parsed[key] = v;
    }
    return parsed;
  });
}

/** The user export job: `POST /api/v2/jobs/users-exports`, `GET /api/v2/jobs/{id}` and the file's download. */
export function registerJobRoutes(router: Router, deps: JobsDeps): { close(): Promise<void> } {
  const { store, tokens } = deps;
  const ttlMs = (deps.options?.ttlSeconds ?? 86_400) * 1000;
  const startDelayMs = deps.options?.startDelayMs ?? 0;
  const jobs = new Map<string, Job>();
  const signingKey = randomBytes(32);
  let directory: Promise<string> | undefined;
  const exportDirectory = () => {
    directory ??= mkdtemp(join(tmpdir(), "idlink-emulator-exports-"));
    return directory;
  };
  const sign = (id: string, expires: number) =>
    createHmac("sha256", signingKey).update(`${id}.${expires}`).digest("hex");

  async function run(job: Job): Promise<void> {
    job.status = "processing";
    const connectionName = job.connection?.name;
    const users = function* () {
      for (const user of store.iterate()) {
        if (connectionName === undefined || user.identities[0]?.connection === connectionName) yield user;
      }
    };
    try {
      await writeExportFile(job.file, users(), job.spec, () => {
        job.written++;
      });
      job.status = "completed";
    } catch (error) {
      job.status = "failed";
      job.error = error instanceof Error ? error.message : String(error);
    }
  }

  function present(job: Job, withLocation: boolean): Record<string, unknown> {
    const expired = Date.now() >= job.created + ttlMs;
    const status = job.status === "completed" && expired ? "expired" : job.status;
    const users = job.spec.format === "csv" ? Math.max(0, job.written - 1) : job.written;
    const body: Record<string, unknown> = {
      type: "users_export",
      status,
      ...(job.connection ? { connection_id: job.connection.id, connection: job.connection.name } : {}),
      format: job.spec.format,
      ...(job.spec.limit === undefined ? {} : { limit: job.spec.limit }),
      ...(job.fieldsGiven ? { fields: job.spec.fields } : {}),
      created_at: new Date(job.created).toISOString(),
      id: job.id,
    };
    if (!withLocation) return body;
    if (status === "processing") {
      body.percentage_done = job.total === 0 ? 0 : Math.min(99, Math.floor((users / job.total) * 100));
    }
    if (status === "completed") {
      const expires = Math.floor((job.created + ttlMs) / 1000);
      body.location = `${tokens.issuer}emulator/exports/${job.id}.${job.spec.format}.gz?expires=${expires}&signature=${sign(job.id, expires)}`;
      body.percentage_done = 100;
    }
    if (status === "failed") body.status_details = job.error ?? "The export failed.";
    return body;
  }

  router.add("POST", "/api/v2/jobs/users-exports", async (req) => {
    const who = await authenticate(tokens, req.headers.authorization);
    if (!who.scopes.has("read:users")) throw insufficientScope(["read:users"]);
    const raw = parseRequestBody(req);
    const body = raw === undefined ? {} : asObject(raw);
    const unknownKeys = Object.keys(body).filter((key) => !requestKeys.has(key));
    if (unknownKeys.length > 0)
      throw invalidBody(`Additional properties not allowed: ${unknownKeys.join(",")}`);
    const { connection_id, format = "json", limit, fields } = body;
    if (format !== "json" && format !== "csv") {
      throw invalidBody(`No enum match for: ${JSON.stringify(format)}`, "format");
    }
    if (limit !== undefined) {
      if (typeof limit !== "number" || !Number.isInteger(limit)) {
        throw invalidBody(`Expected type integer but found type ${typeName(limit)}`, "limit");
      }
      if (limit < 1) throw invalidBody(`Value ${limit} is less than minimum 1`, "limit");
    }
    let connection: Job["connection"];
    if (connection_id !== undefined) {
      if (typeof connection_id !== "string" || !connectionIdPattern.test(connection_id)) {
        throw invalidBody(
          `String does not match pattern ^con_[A-Za-z0-9]{16}$: ${String(connection_id)}`,
          "connection_id",
        );
      }
      const found = store.connections.find((c) => c.id === connection_id);
      if (!found) throw badRequest("The connection does not exist.");
      connection = { id: found.id, name: found.name };
    }
    const spec: ExportSpec = {
      format,
      fields: fields === undefined ? defaultExportFields(format) : parseFields(fields),
      ...(limit === undefined ? {} : { limit }),
    };
    const id = randomId("job_");
    const job: Job = {
      id,
      created: Date.now(),
      status: "pending",
      ...(connection ? { connection } : {}),
      spec,
      fieldsGiven: fields !== undefined,
      file: join(await exportDirectory(), `${id}.${format}.gz`),
      total: Math.min(limit ?? Number.POSITIVE_INFINITY, store.size),
      written: 0,
    };
    jobs.set(id, job);
    setTimeout(() => void run(job), startDelayMs);
    return { status: 200, body: present(job, false) };
  });

  router.add("GET", "/api/v2/jobs/:id", async (req, { id = "" }) => {
    const who = await authenticate(tokens, req.headers.authorization);
    if (!who.scopes.has("create:users") && !who.scopes.has("read:users")) {
      throw insufficientScope(["create:users", "read:users"]);
    }
    if (!jobIdPattern.test(id)) {
      throw badRequest(
        `Path validation error: 'String does not match pattern ^job_[A-Za-z0-9]{16}$: ${id}' on property id.`,
        "invalid_uri",
      );
    }
    const job = jobs.get(id);
    if (!job) throw new ApiError(404, "Job not found.");
    return { status: 200, body: present(job, true) };
  });

  router.add("GET", "/emulator/exports/:file", async (req, { file = "" }) => {
    const match = /^(job_[A-Za-z0-9]{16})\.(json|csv)\.gz$/.exec(file);
    const job = match?.[1] ? jobs.get(match[1]) : undefined;
    const expires = Number(req.query.get("expires"));
    const signature = Buffer.from(req.query.get("signature") ?? "");
    const denied = { status: 403, raw: { contentType: "application/xml", body: deniedPage } };
    if (!job) return denied;
    if (job.status !== "completed" || !Number.isInteger(expires)) return denied;
    const expected = Buffer.from(sign(job.id, expires));
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return denied;
    if (Date.now() >= expires * 1000) {
      return { status: 403, raw: { contentType: "application/xml", body: expiredPage } };
    }
    return {
      status: 200,
      raw: { contentType: "application/gzip", body: createReadStream(job.file) },
    };
  });

  return {
    async close() {
      if (directory) await rm(await directory, { recursive: true, force: true });
    },
  };
}
