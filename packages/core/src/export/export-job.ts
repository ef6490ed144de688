import type { ExportUsersJob, ExportUsersRequest, Job, ManagementClient } from "../http/client.ts";
import { type DebugSink, observeFetch } from "../http/debug.ts";
import { abortableSleep } from "../http/rate-limit-headers.ts";
import type { FetchLike } from "../http/transport.ts";
import { ExportError, type Issue, ValidationError } from "../present/errors.ts";

const exportsPath = "/jobs/users-exports";
const jobPath = "/jobs/{id}";
const connectionIdPattern = /^con_[A-Za-z0-9]{16}$/;
const jobIdPattern = /^job_[A-Za-z0-9]+$/;

/** Starts a user export job (`read:users`); answers the job, `pending`. Validated first: nothing sent when invalid. */
export function startUsersExport(
  client: ManagementClient,
  body: ExportUsersRequest,
): Promise<ExportUsersJob> {
  const issues: Issue[] = [];
  if (body.connection_id !== undefined && !connectionIdPattern.test(body.connection_id)) {
    issues.push({
      path: "connection_id",
      message: "connection_id must be con_ followed by 16 letters or digits",
    });
  }
  if (body.format !== undefined && body.format !== "json" && body.format !== "csv") {
    issues.push({ path: "format", message: "format must be json or csv" });
  }
  if (body.limit !== undefined && !(Number.isInteger(body.limit) && body.limit >= 1)) {
    issues.push({
      path: "limit",
      message: "limit must be a whole number ≥ 1 (leave it out to export everyone)",
    });
  }
  for (const [i, field] of (body.fields ?? []).entries()) {
    if (typeof field.name !== "string" || field.name === "" || field.name.length > 100) {
      issues.push({ path: `fields[${i}].name`, message: "each field needs a name of 1 to 100 characters" });
    }
  }
  if (issues.length > 0) return Promise.reject(new ValidationError(issues, "export request"));
  return client.send({ operation: "Export users", method: "POST", path: exportsPath }, (api, fetch) =>
    api.POST(exportsPath, { body, fetch }),
  );
}

/** Reads a job: its status and, once `completed`, the file's `location`. */
export function getJob(client: ManagementClient, id: string): Promise<Job> {
  if (typeof id !== "string" || !jobIdPattern.test(id)) {
    const issue = { path: "id", message: "a job id looks like job_ followed by letters and digits" };
    return Promise.reject(new ValidationError([issue], "job id"));
  }
  return client.send({ operation: "Get job", method: "GET", path: jobPath }, (api, fetch) =>
    api.GET(jobPath, { params: { path: { id } }, fetch }),
  );
}

export interface RunExportOptions {
  /** Called after every poll with the job as Auth0 answered it (status, percentage_done…). */
  onProgress?: (job: Job) => void;
  /** First wait between polls, in ms; doubled up to `maxPollMs`. Default 1000. */
  pollMs?: number;
  /** Default 10 000: an export job of a large tenant takes minutes; each poll costs a Management API call. */
  maxPollMs?: number;
  /** Gives up after this long, in ms. Default one hour. */
  timeoutMs?: number;
  /** Stops the polling at once, waits included. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Starts a user export job and polls it (`pending` → `processing` → `completed`) until its file is ready; answers
 * the completed job, whose `location` is a short-lived download URL. A `failed` or `expired` job throws `ExportError`.
 */
export async function runUsersExport(
  client: ManagementClient,
  body: ExportUsersRequest,
  options: RunExportOptions = {},
): Promise<Job & { location: string }> {
  const sleep = options.sleep ?? abortableSleep;
  const created = await startUsersExport(client, body);
  options.onProgress?.(created);
  const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
  const firstWait = options.pollMs ?? 1000;
  const maxWait = options.maxPollMs ?? 10_000;
  let wait = firstWait;
  for (;;) {
    options.signal?.throwIfAborted();
    if (Date.now() > deadline) throw new ExportError(`Export job ${created.id} did not finish in time`);
    await sleep(wait, options.signal);
    const job = await getJob(client, created.id);
    options.onProgress?.(job);
    // The job says how long it still needs (`time_left_seconds`, the Job schema of Auth0's Management API): the next
    // poll comes then, within [pollMs, maxPollMs]; without it the wait doubles. Each poll is a Management API call,
    // drawn from the tenant's rate limit like any other.
    wait =
      typeof job.time_left_seconds === "number" && job.time_left_seconds >= 0
        ? Math.min(Math.max(job.time_left_seconds * 1000, firstWait), maxWait)
        : Math.min(wait * 2, maxWait);
    if (job.status === "completed") {
      if (typeof job.location !== "string")
        throw new ExportError(`Export job ${job.id} completed without a location`);
      return { ...job, location: job.location };
    }
    if (job.status === "failed" || job.status === "expired") {
      throw new ExportError(
        `Export job ${job.id} ${job.status}${job.status_details ? `: ${job.status_details}` : ""} — start a new export`,
      );
    }
  }
}

export interface DownloadOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
  onEvent?: DebugSink;
  /** Called with the file's size in bytes when the storage sends it (`Content-Length`), before the first chunk. */
  onSize?: (bytes: number) => void;
}

class LinkRefused extends ExportError {}

async function openDownload(location: string, options: DownloadOptions): Promise<Response> {
  const request = new Request(location, options.signal ? { signal: options.signal } : {});
  const fetchImpl = options.fetch ?? ((r: Request) => fetch(r));
  // The trail shows the download's path, never its query: that is the pre-signed URL's credential.
  const response = await observeFetch(fetchImpl, options.onEvent, "Download export")(request);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    if (response.status === 403) {
      throw new LinkRefused("The export's download link was refused (it expires): start a new export");
    }
    throw new ExportError(`Downloading the export failed (${response.status})`);
  }
  const size = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isSafeInteger(size) && size >= 0) options.onSize?.(size);
  return response;
}

async function* bodyOf(response: Response): AsyncGenerator<Uint8Array> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Downloads an export file from a job's `location` as a stream of (gzipped) bytes. The URL is pre-signed: no
 * Authorization header is sent (the storage would refuse it, and the token has no business there).
 */
export async function* downloadExport(
  location: string,
  options: DownloadOptions = {},
): AsyncGenerator<Uint8Array> {
  yield* bodyOf(await openDownload(location, options));
}

/**
 * Downloads a completed job's file, asking the job for a fresh `location` first unless one is given, and again when
 * the one given is refused: "The download link is valid for 60 seconds. If this time period expires, you have 24
 * hours to call it again before the job expires" (Auth0, auth0/docs-v2
 * main/docs/manage-users/user-migration/bulk-user-exports.mdx). So a file can be read twice, minutes apart.
 */
export async function* downloadJobExport(
  client: ManagementClient,
  job: { id: string; location?: string },
  options: DownloadOptions = {},
): AsyncGenerator<Uint8Array> {
  const fresh = async () => {
    const again = await getJob(client, job.id);
    if (again.status !== "completed" || typeof again.location !== "string") {
      throw new ExportError(
        `Export job ${job.id} is ${again.status} and has no file any more (a job's files last 24 hours) — start a new export`,
      );
    }
    return again.location;
  };
  let response: Response;
  try {
    response = await openDownload(job.location ?? (await fresh()), options);
  } catch (error) {
    if (!(error instanceof LinkRefused) || job.location === undefined) throw error;
    response = await openDownload(await fresh(), options);
  }
  yield* bodyOf(response);
}
