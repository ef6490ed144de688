// @idlink/core/export — tenant-wide work from Auth0's user export: the export job and its download, the reader of its
// JSON lines, and the duplicates found in them. Every name here is public API, listed by `test/public-surface.test.ts`.

export {
  DuplicateFinder,
  type DuplicateGroup,
  type DuplicateOptions,
  type DuplicateReport,
  type DuplicateResults,
  type DuplicateSummary,
  defaultPrimaryPolicy,
  type GroupAccount,
  type PrimaryCriterion,
  pairsJsonl,
  primaryCriteria,
  type SkippedGroup,
  type SkipReason,
} from "./export/duplicates.ts";
export {
  type ExportDuplicates,
  type ExportDuplicatesOptions,
  findExportDuplicates,
  type OpenExport,
} from "./export/export-duplicates.ts";
export {
  downloadExport,
  downloadJobExport,
  getJob,
  type RunExportOptions,
  runUsersExport,
  startUsersExport,
} from "./export/export-job.ts";
export {
  type ExportedUser,
  gunzip,
  type MalformedLine,
  type ReadExportOptions,
  readUserExport,
} from "./export/export-reader.ts";
export {
  duplicateExportFields,
  findTenantDuplicates,
  type TenantDuplicatesOptions,
} from "./export/tenant-duplicates.ts";
export type { ExportUsersJob, ExportUsersRequest, Job } from "./http/client.ts";
export { ExportError } from "./present/errors.ts";
