import type { ExportUsersRequest, Job, ManagementClient } from "../http/client.ts";
import { type DebugSink, observeFetch } from "../http/debug.ts";
import { abortableSleep } from "../http/rate-limit-headers.ts";
import type { FetchLike } from "../http/transport.ts";
import { ExportError } from "../present/errors.ts";

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
  const created = await client.exportUsers(body);
  options.onProgress?.(created);
  const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
  let wait = options.pollMs ?? 1000;
  for (;;) {
    options.signal?.throwIfAborted();
    if (Date.now() > deadline) throw new ExportError(`Export job ${created.id} did not finish in time`);
    await sleep(wait, options.signal);
    wait = Math.min(wait * 2, options.maxPollMs ?? 10_000);
    const job = await client.getJob(created.id);
    options.onProgress?.(job);
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

/**
 * Downloads an export file from a job's `location` as a stream of (gzipped) bytes. The URL is pre-signed: no
 * Authorization header is sent (the storage would refuse it, and the token has no business there).
 */
export async function* downloadExport(
  location: string,
  options: { fetch?: FetchLike; signal?: AbortSignal; onEvent?: DebugSink } = {},
): AsyncGenerator<Uint8Array> {
  const request = new Request(location, options.signal ? { signal: options.signal } : {});
  const fetchImpl = options.fetch ?? ((r: Request) => fetch(r));
  // The trail shows the download's path, never its query: that is the pre-signed URL's credential.
  const response = await observeFetch(fetchImpl, options.onEvent, "Download export")(request);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new ExportError(
      response.status === 403
        ? "The export's download link was refused (it expires): start a new export"
        : `Downloading the export failed (${response.status})`,
    );
  }
  const reader = response.body.getReader();
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
