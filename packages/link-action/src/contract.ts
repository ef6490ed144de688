import { isUserId } from "./decision.ts";

// The session tokens between the Action and the linking page, both HS256 with SESSION_TOKEN_SECRET.

/** An identity as the offer names it (Auth0's documented shape: link-user-accounts.mdx). */
export interface OfferedIdentity {
  user_id: string;
  provider: string;
  connection: string;
}

/**
 * The Action → page token's payload (`api.redirect.encodeToken` adds `sub`, `iss`, `exp` and `ip`): Auth0's
 * documented `current_identity` and `candidate_identities`, each candidate with its email, where to POST the answer,
 * and whether the page may offer "skip".
 */
export interface OfferPayload {
  current_identity: OfferedIdentity;
  candidate_identities: (OfferedIdentity & { email: string })[];
  continue_uri: string;
  allow_skip: boolean;
}

/** Seconds the offer token lives: the page must answer within them. */
export const offerTtlSeconds = 300;

/** The name of the token field the page POSTs to /continue (and of the query parameter of the offer). */
export const tokenParameterName = "session_token";

export type Outcome = "linked" | "skipped" | "not_mine";
const outcomes: readonly string[] = ["linked", "skipped", "not_mine"] satisfies Outcome[];

/**
 * The page → Action token's claims, after `api.redirect.validateToken` checked its signature, `exp` and `state`:
 * `sub` (the login's user_id), `outcome`, `candidates` (the ids shown) and, for "linked", `primary_user_id`.
 */
export interface Answer {
  sub: string;
  outcome: Outcome;
  candidates: string[];
  primary_user_id?: string;
}

/** Auth0's limit on `setPrimaryUser`'s argument (limitations.mdx). */
export const maxPrimaryUserIdLength = 128;
/** More ids than an offer would ever show: a token listing more is not one of ours. */
export const maxCandidates = 50;

/** Checks the validated claims against the login; answers why not, in words for `api.access.deny`. */
export function readAnswer(
  claims: Record<string, unknown>,
  userId: string,
): { ok: true; answer: Answer } | { ok: false; reason: string } {
  const fail = (reason: string) => ({ ok: false as const, reason });
  if (claims.sub !== userId) return fail("the token's sub is not the user logging in");
  const { outcome, candidates, primary_user_id: primary } = claims;
  if (typeof outcome !== "string" || !outcomes.includes(outcome)) {
    return fail("the token's outcome must be linked, skipped or not_mine");
  }
  if (
    !Array.isArray(candidates) ||
    candidates.length === 0 ||
    candidates.length > maxCandidates ||
    !candidates.every(isUserId) ||
    candidates.includes(userId)
  ) {
    return fail("the token's candidates must list the user ids that were offered");
  }
  const answer: Answer = { sub: userId, outcome: outcome as Outcome, candidates };
  if (outcome !== "linked") return { ok: true, answer };
  if (
    !isUserId(primary) ||
    primary.length > maxPrimaryUserIdLength ||
    (primary !== userId && !candidates.includes(primary))
  ) {
    return fail("the token's primary_user_id must be the user logging in or one of the candidates offered");
  }
  return { ok: true, answer: { ...answer, primary_user_id: primary } };
}
