import { createHash } from "node:crypto";
import {
  describeError,
  ManagementApiError,
  type ManagementClient,
  type Metadata,
  type User,
} from "@idlink/core";
import { type KeptMetadata, keptMetadataBytes } from "./journal.ts";

/** What undo gave back of a pair's metadata, and what it could not, each with why. */
export interface RestoreReport {
  /** Keys written back onto the user Auth0 recreated (or found there already as kept): `user_metadata.theme`. */
  restored: string[];
  /** Keys --merge-metadata added to the primary, removed from it: `user_metadata.theme`. */
  removed: string[];
  notRestored: { what: string; why: string }[];
}

/** A pair's metadata as the bulk journal kept it (see `KeptMetadata`), and what its run merged into the primary. */
export interface KeptForPair {
  primary: string;
  secondary: string;
  /** Undefined: a journal of an earlier idlink, which kept none. */
  kept?: KeptMetadata;
  /** The keys --merge-metadata added to the primary, each with the `digest` of the value written. */
  merged?: Record<string, string>;
}

/** A failure that trying again may mend (a 5xx, a dropped connection, a 429 past the client's patience). */
export class TransientRestoreError extends Error {
  override name = "TransientRestoreError" as const;
}

const fields = ["user_metadata", "app_metadata"] as const;

/**
 * Gives back, after its unlink, what linking took from a pair: the secondary's metadata the journal kept, written
 * onto the user Auth0 recreated for it (its id is the unlinked identity's — unlink-user-accounts.mdx in
 * auth0/docs-v2: "A new secondary user account is created… with no metadata"), and the keys --merge-metadata added
 * to the primary, removed. Only what is as the run left it is touched: a key the recreated user has since been
 * given another value, or a merged key the primary now holds with another value, is left and said. Safe to run
 * again (a resume): what is already back is counted as restored, what is already gone as removed. `primary`: the
 * primary as read just before the unlink, if it was (its metadata is not changed by the unlink). Transient
 * failures throw `TransientRestoreError`; Auth0's refusals (a 400 for a profile too large, say) are reported.
 */
export async function restoreMetadata(
  client: ManagementClient,
  pair: KeptForPair,
  primary?: User,
): Promise<RestoreReport> {
  const report: RestoreReport = { restored: [], removed: [], notRestored: [] };
  await restoreSecondary(client, pair, report);
  await removeMerged(client, pair, primary, report);
  return report;
}

async function restoreSecondary(
  client: ManagementClient,
  pair: KeptForPair,
  report: RestoreReport,
): Promise<void> {
  const { kept } = pair;
  if (kept === undefined) {
    report.notRestored.push({
      what: "metadata",
      why: "not kept: the run's journal was written by an earlier idlink",
    });
    return;
  }
  if ("omitted" in kept) {
    report.notRestored.push({
      what: "metadata",
      why:
        kept.omitted === "not_kept"
          ? "not kept: the run had --no-keep-metadata"
          : `not kept: ${kib(kept.bytes ?? 0)} KiB, over the ${kib(keptMetadataBytes)} KiB a pair the journal keeps`,
    });
    return;
  }
  const keys = fields.flatMap((field) => Object.keys(kept[field] ?? {}).map((k) => `${field}.${k}`));
  if (keys.length === 0) return;
  const user = await read(client, pair.secondary);
  if (typeof user === "string") {
    for (const what of keys) report.notRestored.push({ what, why: user });
    return;
  }
  const patch: { user_metadata?: Metadata; app_metadata?: Metadata } = {};
  const written: string[] = [];
  for (const field of fields) {
    const now = user[field] ?? {};
    for (const [k, value] of Object.entries(kept[field] ?? {})) {
      if (!Object.hasOwn(now, k)) {
        patch[field] = { ...patch[field], [k]: value };
        written.push(`${field}.${k}`);
      } else if (same(now[k], value)) {
        report.restored.push(`${field}.${k}`);
      } else {
        report.notRestored.push({
          what: `${field}.${k}`,
          why: "changed since: the user holds another value now, kept",
        });
      }
    }
  }
  if (written.length === 0) return;
  const refused = await write(client, pair.secondary, patch);
  if (refused === undefined) report.restored.push(...written);
  else for (const what of written) report.notRestored.push({ what, why: refused });
}

async function removeMerged(
  client: ManagementClient,
  pair: KeptForPair,
  primary: User | undefined,
  report: RestoreReport,
): Promise<void> {
  const merged = Object.entries(pair.merged ?? {});
  if (merged.length === 0) return;
  const user = primary ?? (await read(client, pair.primary));
  if (typeof user === "string") {
    for (const [k] of merged)
      report.notRestored.push({ what: `user_metadata.${k} on ${pair.primary}`, why: user });
    return;
  }
  const now = user.user_metadata ?? {};
  const nulls: Metadata = {};
  const removing: string[] = [];
  for (const [k, written] of merged) {
    if (!Object.hasOwn(now, k)) report.removed.push(`user_metadata.${k}`);
    else if (digest(now[k]) === written) {
      // Auth0 merges a PATCH's metadata keys into the user's; a key set to null is removed.
      nulls[k] = null;
      removing.push(`user_metadata.${k}`);
    } else {
      report.notRestored.push({
        what: `user_metadata.${k} on ${pair.primary}`,
        why: "changed since the run merged it: the primary's value now is kept",
      });
    }
  }
  if (removing.length === 0) return;
  const refused = await write(client, pair.primary, { user_metadata: nulls });
  if (refused === undefined) report.removed.push(...removing);
  else
    for (const what of removing)
      report.notRestored.push({ what: `${what} on ${pair.primary}`, why: refused });
}

/** The user; else why not, when Auth0's answer is definite (a 404: no such user any more; a 403…). */
async function read(client: ManagementClient, id: string): Promise<User | string> {
  try {
    return await client.getUser(id);
  } catch (error) {
    const why = refusedOr(id, error);
    if (typeof why === "string") return why;
    throw why;
  }
}

/** Undefined when written; else why not, when Auth0's answer is definite (a 400 for a profile too large, a 404…). */
async function write(
  client: ManagementClient,
  id: string,
  metadata: { user_metadata?: Metadata; app_metadata?: Metadata },
): Promise<string | undefined> {
  try {
    await client.updateMetadata(id, metadata);
    return undefined;
  } catch (error) {
    // A PATCH of metadata is safe to send again (the same keys, the same values): a transient failure is retried.
    const why = refusedOr(id, error);
    if (typeof why === "string") return why;
    throw why;
  }
}

/** Why Auth0 definitely refused, as a string to report; else the `TransientRestoreError` to try again after. */
function refusedOr(id: string, error: unknown): string | TransientRestoreError {
  if (error instanceof ManagementApiError && error.status === 404)
    return `${id} no longer exists (deleted since?)`;
  if (error instanceof ManagementApiError && error.status !== 429 && error.status < 500) {
    return `Auth0 refused it: ${error.status} ${error.apiMessage}`;
  }
  return new TransientRestoreError(describeError(error).message, { cause: error });
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1).replace(/\.0$/, "");

/** The same JSON value (metadata comes back from Auth0 as JSON: key order aside, equal values print the same). */
function same(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/**
 * What the journal keeps of a value --merge-metadata wrote: SHA-256 of its JSON, keys sorted. Enough to tell
 * whether a key still holds it, without a second copy of the data (or its size) in the journal.
 */
export function digest(value: unknown): string {
  return `sha256:${createHash("sha256").update(canonical(value)).digest("hex")}`;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}
