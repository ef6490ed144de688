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

/** An account's fields as `DuplicateFinder.addAccount` takes them. */
export interface AccountFields {
  userId: string;
  email: string | null | undefined;
  verified: boolean;
  /** Unix seconds; -1 when unknown. */
  created: number;
  /** -1 when unknown. */
  logins: number;
  /** Unix seconds; -1 when unknown. */
  lastLogin: number;
  /** Identities held besides the account's own. */
  linked: number;
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

/** An ISO 8601 time in whole Unix seconds (rounded down); -1 when unknown or unreadable. */
export const seconds = (iso: string | undefined): number => {
  if (iso === undefined) return -1;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? -1 : Math.floor(ms / 1000);
};
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * `2020-11-23T22:52:00Z`: Unix seconds as ISO 8601, whole seconds. Years 1970–9999 are computed (days to a civil
 * date: H. Hinnant, "chrono-Compatible Low-Level Date Algorithms", civil_from_days), 3 times as fast as
 * `new Date().toISOString()`, which a report of a million groups calls for every account.
 */
const isoOf = (s: number): string | undefined => {
  if (s < 0) return undefined;
  if (s >= 253_402_300_800) return new Date(s * 1000).toISOString().replace(".000Z", "Z");
  const days = Math.floor(s / 86_400);
  const daySeconds = s - days * 86_400;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hh = Math.floor(daySeconds / 3600);
  const mm = Math.floor((daySeconds % 3600) / 60);
  return `${year}-${two(month)}-${two(day)}T${two(hh)}:${two(mm)}:${two(daySeconds % 60)}Z`;
};

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
  // The provider is what comes before the first "|": "auth0" exactly when the id starts with "auth0|".
  database: (e) => (e.id.startsWith("auth0|") ? 1 : 0),
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
    const scoreOf = score[criterion];
    let best = Number.NEGATIVE_INFINITY;
    for (const e of left) best = Math.max(best, scoreOf(e));
    const kept = left.filter((e) => scoreOf(e) === best);
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

// Fields are set in the order the report writes them; unknown ones are left out.
const account = (e: Entry, key: string): GroupAccount => {
  const a: Omit<GroupAccount, "linked"> & { linked?: number } = {
    user_id: e.id,
    email: e.rawEmail ?? key,
    email_verified: e.verified,
    provider: providerOf(e.id),
  };
  if (e.created >= 0) a.created_at = isoOf(e.created);
  if (e.logins >= 0) a.logins_count = e.logins;
  a.linked = e.linked;
  return a as GroupAccount;
};

/** A report's counts: everything but the groups themselves. */
export interface DuplicateSummary {
  users: number;
  usersWithoutEmail: number;
  distinctEmails: number;
  alreadyLinked: number;
  /** Groups with pairs to link. */
  groups: number;
  pairs: number;
  skippedCounts: Record<SkipReason, number>;
  policy: readonly PrimaryCriterion[];
  maxGroupSize: number;
}

/**
 * A report read group by group: `groups()` and `skipped()` build each group as they reach it (iterate them as often
 * as needed, always in the same order), so writing a report of any size holds one group at a time.
 */
export interface DuplicateResults {
  summary: DuplicateSummary;
  groups(): Generator<DuplicateGroup>;
  skipped(): Generator<SkippedGroup>;
}

/** Every group and skipped group of `results` in arrays: the report of `DuplicateFinder.finish`. */
export function collectReport(results: DuplicateResults): DuplicateReport {
  const { summary } = results;
  return {
    users: summary.users,
    usersWithoutEmail: summary.usersWithoutEmail,
    distinctEmails: summary.distinctEmails,
    alreadyLinked: summary.alreadyLinked,
    groups: [...results.groups()],
    pairs: summary.pairs,
    skipped: [...results.skipped()],
    skippedCounts: { ...summary.skippedCounts },
    policy: summary.policy,
    maxGroupSize: summary.maxGroupSize,
  };
}

type Verdict =
  | { kind: "group"; verified: Entry[]; unverified: Entry[] }
  | { kind: "skip"; reason: SkipReason; detail: () => string };

/**
 * Groups the users of an export by normalised email, one user at a time (feed it `readUserExport`'s output), and
 * proposes link pairs: verified emails only (unverified matches are reported apart and never paired, as
 * `findLinkCandidates` does), accounts that already hold linked identities recognised, a primary chosen per group
 * by a documented policy that records why. Memory grows with the emails it is given; `findExportDuplicates` gives
 * it only the shared ones.
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
    this.addAccount({
      userId: user.user_id,
      email: user.email,
      verified: user.email_verified === true,
      created: seconds(user.created_at ?? undefined),
      logins: typeof user.logins_count === "number" ? user.logins_count : -1,
      lastLogin: this.needsLastLogin ? seconds(user.last_login ?? undefined) : -1,
      linked: Math.max(0, (user.identities?.length ?? 1) - 1),
    });
  }

  /**
   * Adds one account from fields already read (what `add` does with a user object): times in Unix seconds and
   * `logins` a count, each -1 when unknown; `linked` the identities it holds besides its own.
   */
  addAccount(account: AccountFields): void {
    this.users++;
    if (account.linked > 0) this.alreadyLinked++;
    const email = typeof account.email === "string" ? account.email : "";
    const key = normalizeEmail(email);
    if (key === "") {
      this.withoutEmail++;
      return;
    }
    const entry = new Entry(
      account.userId,
      key === email ? undefined : email,
      account.verified,
      account.created,
      account.logins,
      this.needsLastLogin ? account.lastLogin : -1,
      account.linked,
    );
    const found = this.byEmail.get(key);
    if (found === undefined) this.byEmail.set(key, entry);
    else if (Array.isArray(found)) found.push(entry);
    else this.byEmail.set(key, [found, entry]);
  }

  private verdict(entries: Entry[]): Verdict {
    const verified = entries.filter((e) => e.verified);
    const unverified = entries.filter((e) => !e.verified);
    if (verified.length < 2) {
      return {
        kind: "skip",
        reason: "unverified",
        detail: () =>
          `${unverified.length} of ${entries.length} accounts have an unverified email: never linked on email alone`,
      };
    }
    if (entries.length > this.maxGroupSize) {
      return {
        kind: "skip",
        reason: "too_many_accounts",
        detail: () => `${entries.length} accounts share this email (more than ${this.maxGroupSize})`,
      };
    }
    const holders = verified.filter((e) => e.linked > 0);
    if (holders.length > 1) {
      return {
        kind: "skip",
        reason: "conflicting_primaries",
        detail: () =>
          `${holders.length} accounts already hold linked identities: ${holders.map((e) => e.id).join(", ")}`,
      };
    }
    return { kind: "group", verified, unverified };
  }

  /** The report to read group by group (see `DuplicateResults`); the counts are computed now. */
  results(): DuplicateResults {
    const skippedCounts: Record<SkipReason, number> = {
      unverified: 0,
      conflicting_primaries: 0,
      too_many_accounts: 0,
    };
    let groups = 0;
    let pairs = 0;
    for (const entries of this.byEmail.values()) {
      if (!Array.isArray(entries)) continue;
      const verdict = this.verdict(entries);
      if (verdict.kind === "skip") skippedCounts[verdict.reason]++;
      else {
        groups++;
        pairs += verdict.verified.length - 1;
      }
    }
    const finder = this;
    return {
      summary: {
        users: this.users,
        usersWithoutEmail: this.withoutEmail,
        distinctEmails: this.byEmail.size,
        alreadyLinked: this.alreadyLinked,
        groups,
        pairs,
        skippedCounts,
        policy: this.policy,
        maxGroupSize: this.maxGroupSize,
      },
      *groups() {
        for (const [email, entries] of finder.byEmail) {
          if (!Array.isArray(entries)) continue;
          const verdict = finder.verdict(entries);
          if (verdict.kind !== "group") continue;
          const { primary, criterion, reason } = choosePrimary(verdict.verified, finder.policy);
          yield {
            email,
            primary: account(primary, email),
            reason,
            criterion,
            secondaries: verdict.verified.filter((e) => e !== primary).map((e) => account(e, email)),
            unverified: verdict.unverified.map((e) => account(e, email)),
          };
        }
      },
      *skipped() {
        for (const [email, entries] of finder.byEmail) {
          if (!Array.isArray(entries)) continue;
          const verdict = finder.verdict(entries);
          if (verdict.kind !== "skip") continue;
          yield {
            email,
            reason: verdict.reason,
            detail: verdict.detail(),
            accounts: entries.map((e) => account(e, email)),
          };
        }
      },
    };
  }

  /** The report: groups with their pairs, groups skipped with reasons, counts. */
  finish(): DuplicateReport {
    return collectReport(this.results());
  }
}

/** The report's pairs as `idlink bulk` reads them: JSON lines `{"primary", "secondary"}`, a line at a time. */
export function* pairsJsonl(report: { groups: Iterable<DuplicateGroup> }): Generator<string> {
  for (const group of report.groups) {
    for (const secondary of group.secondaries) {
      yield `${JSON.stringify({ primary: group.primary.user_id, secondary: secondary.user_id })}\n`;
    }
  }
}
