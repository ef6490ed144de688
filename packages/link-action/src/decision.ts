import { parseUserId } from "@idlink/core/post-login";

/** The key of the decision record in `app_metadata`. */
export const decisionKey = "idlink_account_linking";

/**
 * What the person decided, kept in `app_metadata.idlink_account_linking`: the accounts they said are not theirs
 * (never offered again; a new one still is) and, after "skip", the date before which nothing is offered.
 */
export interface Decision {
  declined: string[];
  skipped_until?: string;
}

/** The most declined ids kept: app_metadata is small (Auth0 allows 32 kB a session) and a person has few accounts. */
export const maxDeclined = 50;

/**
 * Reads the record as stored; what does not fit the format is ignored (a hand-edited record must not lock a person
 * out), so at worst the offer is shown again.
 */
export function readDecision(appMetadata: Record<string, unknown> | undefined): Decision {
  const stored = appMetadata?.[decisionKey];
  if (typeof stored !== "object" || stored === null) return { declined: [] };
  const record = stored as Record<string, unknown>;
  const declined = Array.isArray(record.declined)
    ? record.declined.filter((id): id is string => typeof id === "string")
    : [];
  const until = record.skipped_until;
  return typeof until === "string" && !Number.isNaN(Date.parse(until))
    ? { declined, skipped_until: until }
    : { declined };
}

/** Whether a "skip" still holds at `now`. */
export function isSkipped(decision: Decision, now: Date): boolean {
  return decision.skipped_until !== undefined && Date.parse(decision.skipped_until) > now.getTime();
}

/** The record after "not mine" for `ids`: added to declined (each once, the newest kept when over the limit). */
export function declineAll(decision: Decision, ids: readonly string[]): Decision {
  const declined = [...new Set([...decision.declined, ...ids])].slice(-maxDeclined);
  return { ...decision, declined };
}

/** The record after "skip": nothing offered for `days` days. */
export function skipFor(decision: Decision, days: number, now: Date): Decision {
  return { ...decision, skipped_until: new Date(now.getTime() + days * 86_400_000).toISOString() };
}

/** Whether `id` is a user id as core reads one (known provider, first `|` splits). */
export function isUserId(id: unknown): id is string {
  return parseUserId(id, "user id").ok;
}
