import type { ExportedUser } from "./export-reader.ts";

/**
 * The one normalisation of emails used for grouping: surrounding spaces removed and the whole address lower-cased.
 * Nothing else: dots and `+tags` are folded by some providers only (Gmail), so folding them would join different
 * people. Auth0 stores the case it was given, and users-by-email matches case-sensitively, hence this step.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** How a primary is chosen, criterion after criterion, until one account is left. */
export type PrimaryCriterion = "already_primary" | "database" | "oldest" | "most_logins" | "latest_login";

/**
 * The default primary-selection policy: keep an account that already holds linked identities, then prefer a
 * database (`auth0`) identity (its password and MFA stay usable), then the oldest `created_at` (the account the
 * person has used longest), then the most logins. A last tie falls to the smallest `user_id`, so runs agree.
 */
export const defaultPrimaryPolicy: readonly PrimaryCriterion[] = [
  "already_primary",
  "database",
  "oldest",
  "most_logins",
];

export const primaryCriteria: readonly PrimaryCriterion[] = [
  "already_primary",
  "database",
  "oldest",
  "most_logins",
  "latest_login",
];

export type SkipReason = "unverified" | "conflicting_primaries" | "too_many_accounts";

export interface GroupAccount {
  user_id: string;
  email: string;
  email_verified: boolean;
  provider: string;
  created_at?: string;
  logins_count?: number;
  /** Identities this account already holds besides its own (linked earlier). */
  linked: number;
}

export interface DuplicateGroup {
  /** The normalised email the accounts share. */
  email: string;
  primary: GroupAccount;
  /** Why `primary` was chosen, in words (the criterion that decided). */
  reason: string;
  criterion: PrimaryCriterion | "user_id";
  secondaries: GroupAccount[];
  /** Accounts with the same email but unverified: reported, never paired. */
  unverified: GroupAccount[];
}

export interface SkippedGroup {
  email: string;
  reason: SkipReason;
  detail: string;
  accounts: GroupAccount[];
}

export interface DuplicateReport {
  users: number;
  usersWithoutEmail: number;
  distinctEmails: number;
  /** Accounts that already hold linked identities (nothing to do for them unless they share an email). */
  alreadyLinked: number;
  groups: DuplicateGroup[];
  pairs: number;
  skipped: SkippedGroup[];
  skippedCounts: Record<SkipReason, number>;
  policy: readonly PrimaryCriterion[];
  maxGroupSize: number;
}

export interface DuplicateOptions {
  policy?: readonly PrimaryCriterion[];
  /** Groups with more accounts than this are skipped (a shared mailbox, a test address). Default 5. */
  maxGroupSize?: number;
}

// One account as the finder keeps it, compact because every distinct email holds one: times as whole seconds
// (small integers, stored inline by V8), the email only when it differs from the normalised key.
class Entry {
  constructor(
    readonly id: string,
    /** The address as exported, when it is not already the normalised key. */
    readonly rawEmail: string | undefined,
    readonly verified: boolean,
    /** created_at in Unix seconds; -1 when unknown. */
    readonly created: number,
    /** logins_count; -1 when unknown. */
    readonly logins: number,
    /** last_login in Unix seconds; -1 when unknown or not needed by the policy. */
    readonly lastLogin: number,
    readonly linked: number,
  ) {}
}

const seconds = (iso: string | undefined): number => {
  if (iso === undefined) return -1;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? -1 : Math.floor(ms / 1000);
};
const isoOf = (s: number) => (s < 0 ? undefined : new Date(s * 1000).toISOString().replace(".000Z", "Z"));

const providerOf = (id: string) => id.slice(0, Math.max(0, id.indexOf("|")));

/** What `choosePrimary` compares; times in Unix seconds, -1 when unknown. */
export interface PrimaryCandidate {
  id: string;
  created: number;
  logins: number;
  lastLogin: number;
  linked: number;
}

const criterionWords: Record<
  PrimaryCriterion | "user_id",
  (winner: PrimaryCandidate, count: number) => string
> = {
  already_primary: (w) => `already holds ${w.linked} linked identit${w.linked === 1 ? "y" : "ies"}`,
  database: (_w, n) => (n === 1 ? "the only database identity" : "a database identity"),
  oldest: (w) => `the oldest account (created ${isoOf(w.created) ?? "unknown"})`,
  most_logins: (w) => `the most logins (${Math.max(0, w.logins)})`,
  latest_login: (w) => `the latest login (${isoOf(w.lastLogin) ?? "never"})`,
  user_id: () => "tie on every criterion: the smallest user_id",
};

// Higher is better; an unknown value never wins.
const score: Record<PrimaryCriterion, (e: PrimaryCandidate) => number> = {
  already_primary: (e) => (e.linked > 0 ? 1 : 0),
  database: (e) => (providerOf(e.id) === "auth0" ? 1 : 0),
  oldest: (e) => (e.created < 0 ? Number.NEGATIVE_INFINITY : -e.created),
  most_logins: (e) => (e.logins < 0 ? Number.NEGATIVE_INFINITY : e.logins),
  latest_login: (e) => (e.lastLogin < 0 ? Number.NEGATIVE_INFINITY : e.lastLogin),
};

/** Picks the primary of a group by `policy`; answers it and the criterion (with words) that decided. */
export function choosePrimary<T extends PrimaryCandidate>(
  accounts: T[],
  policy: readonly PrimaryCriterion[] = defaultPrimaryPolicy,
): { primary: T; criterion: PrimaryCriterion | "user_id"; reason: string } {
  let left = accounts;
  for (const criterion of policy) {
    const best = Math.max(...left.map(score[criterion]));
    const kept = left.filter((e) => score[criterion](e) === best);
    if (kept.length < left.length) {
      const [winner] = kept;
      if (kept.length === 1 && winner) {
        return { primary: winner, criterion, reason: criterionWords[criterion](winner, kept.length) };
      }
      left = kept;
    }
  }
  const sorted = [...left].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const winner = sorted[0] as T;
  return { primary: winner, criterion: "user_id", reason: criterionWords.user_id(winner, left.length) };
}

const account = (e: Entry, key: string): GroupAccount => {
  const created = isoOf(e.created);
  return {
    user_id: e.id,
    email: e.rawEmail ?? key,
    email_verified: e.verified,
    provider: providerOf(e.id),
    ...(created === undefined ? {} : { created_at: created }),
    ...(e.logins < 0 ? {} : { logins_count: e.logins }),
    linked: e.linked,
  };
};

/**
 * Groups the users of an export by normalised email, one user at a time (feed it `readUserExport`'s output), and
 * proposes link pairs: verified emails only (unverified matches are reported apart and never paired, as
 * `findLinkCandidates` does), accounts that already hold linked identities recognised, a primary chosen per group
 * by a documented policy that records why. Memory grows with distinct emails, not with the file.
 */
export class DuplicateFinder {
  private readonly byEmail = new Map<string, Entry | Entry[]>();
  private users = 0;
  private withoutEmail = 0;
  private alreadyLinked = 0;
  private readonly policy: readonly PrimaryCriterion[];
  private readonly maxGroupSize: number;
  private readonly needsLastLogin: boolean;

  constructor(options: DuplicateOptions = {}) {
    this.policy = options.policy ?? defaultPrimaryPolicy;
    this.maxGroupSize = options.maxGroupSize ?? 5;
    for (const criterion of this.policy) {
      if (!primaryCriteria.includes(criterion)) {
        throw new RangeError(`Unknown primary criterion "${criterion}": use ${primaryCriteria.join(", ")}`);
      }
    }
    this.needsLastLogin = this.policy.includes("latest_login");
    if (!Number.isInteger(this.maxGroupSize) || this.maxGroupSize < 2) {
      throw new RangeError("maxGroupSize must be a whole number ≥ 2");
    }
  }

  add(user: ExportedUser): void {
    this.users++;
    const linked = Math.max(0, (user.identities?.length ?? 1) - 1);
    if (linked > 0) this.alreadyLinked++;
    if (typeof user.email !== "string" || user.email.trim() === "") {
      this.withoutEmail++;
      return;
    }
    const key = normalizeEmail(user.email);
    const entry = new Entry(
      user.user_id,
      key === user.email ? undefined : user.email,
      user.email_verified === true,
      seconds(user.created_at ?? undefined),
      typeof user.logins_count === "number" ? user.logins_count : -1,
      this.needsLastLogin ? seconds(user.last_login ?? undefined) : -1,
      linked,
    );
    const found = this.byEmail.get(key);
    if (found === undefined) this.byEmail.set(key, entry);
    else if (Array.isArray(found)) found.push(entry);
    else this.byEmail.set(key, [found, entry]);
  }

  /** The report: groups with their pairs, groups skipped with reasons, counts. */
  finish(): DuplicateReport {
    const groups: DuplicateGroup[] = [];
    const skipped: SkippedGroup[] = [];
    const skippedCounts: Record<SkipReason, number> = {
      unverified: 0,
      conflicting_primaries: 0,
      too_many_accounts: 0,
    };
    const skip = (email: string, reason: SkipReason, detail: string, entries: Entry[]) => {
      skippedCounts[reason]++;
      skipped.push({ email, reason, detail, accounts: entries.map((e) => account(e, email)) });
    };
    let pairs = 0;
    for (const [email, value] of this.byEmail) {
      if (!Array.isArray(value)) continue;
      const verified = value.filter((e) => e.verified);
      const unverified = value.filter((e) => !e.verified);
      if (verified.length < 2) {
        skip(
          email,
          "unverified",
          `${unverified.length} of ${value.length} accounts have an unverified email: never linked on email alone`,
          value,
        );
        continue;
      }
      if (value.length > this.maxGroupSize) {
        skip(
          email,
          "too_many_accounts",
          `${value.length} accounts share this email (more than ${this.maxGroupSize})`,
          value,
        );
        continue;
      }
      const holders = verified.filter((e) => e.linked > 0);
      if (holders.length > 1) {
        skip(
          email,
          "conflicting_primaries",
          `${holders.length} accounts already hold linked identities: ${holders.map((e) => e.id).join(", ")}`,
          value,
        );
        continue;
      }
      const { primary, criterion, reason } = choosePrimary(verified, this.policy);
      const secondaries = verified.filter((e) => e !== primary);
      pairs += secondaries.length;
      groups.push({
        email,
        primary: account(primary, email),
        reason,
        criterion,
        secondaries: secondaries.map((e) => account(e, email)),
        unverified: unverified.map((e) => account(e, email)),
      });
    }
    return {
      users: this.users,
      usersWithoutEmail: this.withoutEmail,
      distinctEmails: this.byEmail.size,
      alreadyLinked: this.alreadyLinked,
      groups,
      pairs,
      skipped,
      skippedCounts,
      policy: this.policy,
      maxGroupSize: this.maxGroupSize,
    };
  }
}

/** The report's pairs as `idlink bulk` reads them: JSON lines `{"primary", "secondary"}`. */
export function* pairsJsonl(report: Pick<DuplicateReport, "groups">): Generator<string> {
  for (const group of report.groups) {
    for (const secondary of group.secondaries) {
      yield `${JSON.stringify({ primary: group.primary.user_id, secondary: secondary.user_id })}\n`;
    }
  }
}
