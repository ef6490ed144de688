import type { ErrorDescription, IdentitySummary, LinkPlan } from "@idlink/core/browser";

/** The linking page's path: the Action's `LINK_PAGE_URL` is `<demo origin>/link`. */
export const linkPagePath = "/link";

/**
 * The authorization parameter the proof sign-in carries (`idlink_link_proof=1`): the post-login Action reads it in
 * `event.request.query` and does not send this login to the linking page again.
 */
export const proofMarker = "idlink_link_proof";

/** The demo server's endpoints of the linking page (all POST, JSON, with the page's `x-idlink-csrf` proof). */
export const linkApi = {
  session: "/api/link-at-login/session",
  link: "/api/link-at-login/link",
  decline: "/api/link-at-login/decline",
} as const;

/** What the page sends with every call: the two query parameters the Action's redirect carried. */
export interface LinkCallBase {
  session_token: string;
  state: string;
}

/** POST link: the candidate the person proved they own, with the ID token of that fresh sign-in. */
export interface LinkProofCall extends LinkCallBase {
  candidate: string;
  id_token: string;
  merge_metadata?: boolean;
}

/** POST decline: "Skip for now" (only when the Action allows it) or "Not mine". Nothing is linked. */
export interface DeclineCall extends LinkCallBase {
  outcome: "skipped" | "not_mine";
}

/** An identity as the Action's session token names it. */
export interface LoginIdentity {
  user_id: string;
  provider: string;
  connection: string;
}

/**
 * Why core's primary policy kept one account (`@idlink/core/export`'s order: already holds linked identities, a
 * database identity, the oldest, the most logins; a full tie falls to the smallest user id), or `kept_existing`
 * when the policy made no choice (the accounts do not share a verified email, or both hold linked identities).
 */
export type PrimaryCriterion =
  | "already_primary"
  | "database"
  | "oldest"
  | "most_logins"
  | "latest_login"
  | "user_id"
  | "kept_existing";

export interface CandidateView extends LoginIdentity {
  email: string;
  /** Which account stays the primary: this login's (`current`) or the candidate (`candidate`). */
  primary: "current" | "candidate";
  criterion: PrimaryCriterion;
  /** Core's plan of that link (read with the demo server's Management credentials): nothing changed yet. */
  plan: LinkPlan;
}

/** POST session: who is signing in and what may be linked, each candidate with its plan. */
export interface LinkSessionResponse {
  current: LoginIdentity & { email: string | undefined; email_verified: boolean | undefined };
  candidates: CandidateView[];
  allowSkip: boolean;
  /** When the session token expires (epoch seconds). */
  expiresAt: number;
}

/** POST link and POST decline: the answer for the Action, to POST to `continueUri?state=…` as `session_token`. */
export interface LinkOutcomeResponse {
  outcome: "linked" | "skipped" | "not_mine";
  /** The outcome token (HS256, the shared secret), for the Action's `api.redirect.validateToken`. */
  token: string;
  /** `<tenant>/continue`, from the checked session token. */
  continueUri: string;
  primaryUserId?: string;
  /** With `linked`: the primary's identities after the link. */
  identities?: IdentitySummary[];
  /** With `linked`: user_metadata keys copied onto the primary first. */
  merged?: string[];
}

/** Refusals carry a `code` the page words in its own language; `message` is the server's English detail. */
export type LinkRefusalCode =
  | "not_configured"
  | "session_missing"
  | "session_malformed"
  | "session_signature"
  | "session_expired"
  | "session_issuer"
  | "session_algorithm"
  | "session_claims"
  | "session_continue_uri"
  | "state_invalid"
  | "already_answered"
  | "candidate_unknown"
  | "skip_not_allowed"
  | "proof_malformed"
  | "proof_signature"
  | "proof_issuer"
  | "proof_audience"
  | "proof_expired"
  | "proof_subject"
  | "proof_stale"
  | "plan_blocked"
  | "request_invalid"
  | "tenant_error";

export interface LinkErrorResponse {
  error: ErrorDescription & { code: LinkRefusalCode };
}
