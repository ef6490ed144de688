import type { ManagementClient } from "../http/client.ts";
import type { FetchLike } from "../http/transport.ts";
import { collectReport, DuplicateFinder, type DuplicateOptions, type DuplicateReport } from "./duplicates.ts";
import { findExportDuplicates } from "./export-duplicates.ts";
import { downloadJobExport, runUsersExport } from "./export-job.ts";
import { gunzip } from "./export-reader.ts";

/** The fields an export job needs for duplicate grouping and the primary policy, and nothing more. */
export const duplicateExportFields: { name: string }[] = [
  "user_id",
  "email",
  "email_verified",
  "created_at",
  "last_login",
  "logins_count",
  "identities",
].map((name) => ({ name }));

export interface TenantDuplicatesOptions extends DuplicateOptions {
  /** Export one connection only (`con_` + 16 characters). */
  connectionId?: string;
  /** Fetch for the file's download (the client's own is used for the API calls). */
  fetch?: FetchLike;
  pollMs?: number;
  signal?: AbortSignal;
  /** Job status as it is polled, then lines read in each of the two reads of its file. */
  onProgress?: (progress: { status: string; percentage?: number; lines?: number; pass?: 1 | 2 }) => void;
}

/**
 * Runs a user export job on the tenant, streams its file and groups the users by email: the tenant's duplicate
 * report. The file is downloaded twice (`findExportDuplicates` reads it twice; the job gives a fresh link each
 * time), so memory grows with the shared emails only. Malformed lines are skipped and counted. Changes nothing on
 * the tenant.
 */
export async function findTenantDuplicates(
  client: ManagementClient,
  options: TenantDuplicatesOptions = {},
): Promise<DuplicateReport & { jobId: string; malformedLines: number }> {
  // The policy and group size are checked before a job is started.
  new DuplicateFinder(options);
  const job = await runUsersExport(
    client,
    {
      format: "json",
      fields: duplicateExportFields,
      ...(options.connectionId === undefined ? {} : { connection_id: options.connectionId }),
    },
    {
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (j) =>
        options.onProgress?.({
          status: j.status,
          ...(typeof j.percentage_done === "number" ? { percentage: j.percentage_done } : {}),
        }),
    },
  );
  const download = {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const found = await findExportDuplicates(
    (pass) => gunzip(downloadJobExport(client, pass === 1 ? job : { id: job.id }, download)),
    {
      ...(options.policy === undefined ? {} : { policy: options.policy }),
      ...(options.maxGroupSize === undefined ? {} : { maxGroupSize: options.maxGroupSize }),
      malformed: "skip",
      onProgress: ({ pass, lines }) => options.onProgress?.({ status: "reading", pass, lines }),
    },
  );
  return { ...collectReport(found), jobId: job.id, malformedLines: found.malformedLines };
}
