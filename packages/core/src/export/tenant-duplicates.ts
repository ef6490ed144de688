import type { ManagementClient } from "../http/client.ts";
import type { FetchLike } from "../http/transport.ts";
import { DuplicateFinder, type DuplicateOptions, type DuplicateReport } from "./duplicates.ts";
import { downloadExport, runUsersExport } from "./export-job.ts";
import { gunzip, readUserExport } from "./export-reader.ts";

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
  /** Job status as it is polled, then lines read. */
  onProgress?: (progress: { status: string; percentage?: number; lines?: number }) => void;
}

/**
 * Runs a user export job on the tenant, streams its file and groups the users by email: the tenant's duplicate
 * report. Malformed lines are skipped and counted. Changes nothing on the tenant.
 */
export async function findTenantDuplicates(
  client: ManagementClient,
  options: TenantDuplicatesOptions = {},
): Promise<DuplicateReport & { jobId: string; malformedLines: number }> {
  const finder = new DuplicateFinder(options);
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
  let malformedLines = 0;
  const bytes = downloadExport(job.location, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const users of readUserExport(gunzip(bytes), {
    malformed: "skip",
    onMalformed: () => {
      malformedLines++;
    },
    onProgress: ({ lines }) => options.onProgress?.({ status: "reading", lines }),
  })) {
    for (const user of users) finder.add(user);
  }
  return { ...finder.finish(), jobId: job.id, malformedLines };
}
