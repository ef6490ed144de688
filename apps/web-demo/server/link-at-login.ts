import { randomBytes } from "node:crypto";
import {
  BlockedPlanError,
  describeError,
  executeLink,
  type LinkPlan,
  ManagementApiError,
  type ManagementClient,
  parseUserId,
  previewLink,
  redact,
  type User,
  ValidationError,
} from "@idlink/core";
import { DuplicateFinder } from "@idlink/core/export";
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type {
  CandidateView,
  DeclineCall,
  LinkErrorResponse,
  LinkOutcomeResponse,
  LinkProofCall,
  LinkRefusalCode,
  LinkSessionResponse,
  LoginIdentity,
  PrimaryCriterion,
} from "../src/link/link-types.ts";

/**
 * The linking page's side of Auth0's "Action with external linking application" (auth0/docs-v2:
 * main/docs/manage-users/user-accounts/user-account-linking/link-user-accounts.mdx): the post-login Action sends the
 * browser to `/link?session_token=…&state=…`; this server checks the session token, shows the candidates with core's
 * plans, links once the person has proved they own the chosen candidate (a fresh sign-in whose ID token it verifies),
 * and answers an outcome token the page POSTs to `<tenant>/continue?state=…` (main/docs/customize/actions/
 * redirect-with-actions.mdx: signed HS256, with `state`, sent by POST against replay).
 */
export interface LinkAtLoginSetup {
  /** SESSION_TOKEN_SECRET, shared with the Action (HS256 key, its UTF-8 bytes). */
  secret: string;
  /** The tenant's origin (https://tenant.eu.auth0.com, or the emulator's http://127.0.0.1:PORT). */
  tenant: string;
  /** The SPA application the proof sign-in uses: the ID token's `aud`. */
  spaClientId: string;
  /** The linking page's origin: the outcome token's `iss` ("the application targeted for the redirect"). */
  pageOrigin: string;
  /** The tenant's signing keys (its JWKS), for the proof's ID token. */
  getKey: JWTVerifyGetKey;
  /** The only `continue_uri` values taken: `<tenant>/continue` (a test adds a loopback recorder of its own). */
  continueUris: readonly string[];
  /** Outcomes already answered (one per login), so a session token cannot be answered twice by this server. */
  answered: Map<string, number>;
  /** Epoch seconds (tests move it). */
  now: () => number;
}

/** The shortest shared secret taken: 256 bits of HS256 key (RFC 7518 §3.2), as the Action asks too. */
export const minSecretLength = 32;
/** How old the proof's sign-in (`auth_time`) may be. */
export const proofMaxAgeSeconds = 300;
/** The outcome token's lifetime: the page POSTs it at once. */
export const outcomeTtlSeconds = 120;
const clockTolerance = 5;
const maxCandidates = 10;

/** A fresh per-start secret for the emulator (43 characters, 256 bits). */
export function createLinkSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function linkAtLoginSetup(options: {
  secret: string;
  tenant: string;
  spaClientId: string;
  pageOrigin: string;
  getKey?: JWTVerifyGetKey;
  continueUris?: readonly string[];
  now?: () => number;
}): LinkAtLoginSetup {
  if (options.secret.length < minSecretLength) {
    throw new Error(`the linking page's session secret must have at least ${minSecretLength} characters`);
  }
  return {
    secret: options.secret,
    tenant: options.tenant,
    spaClientId: options.spaClientId,
    pageOrigin: options.pageOrigin,
    getKey: options.getKey ?? createRemoteJWKSet(new URL(`${options.tenant}/.well-known/jwks.json`)),
    continueUris: options.continueUris ?? [`${options.tenant}/continue`],
    answered: new Map(),
    now: options.now ?? (() => Math.floor(Date.now() / 1000)),
  };
}

/** A refusal of the linking page's API: its status, a code the page words, and the reason in English. */
export class LinkRefusal extends Error {
  override name = "LinkRefusal" as const;
  constructor(
    readonly status: number,
    readonly code: LinkRefusalCode,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LinkReply {
  status: number;
  body: LinkSessionResponse | LinkOutcomeResponse | LinkErrorResponse;
}

const session = (status: number, code: LinkRefusalCode, message: string) =>
  new LinkRefusal(status, code, "This linking session is refused", message);
const proof = (code: LinkRefusalCode, message: string) =>
  new LinkRefusal(403, code, "The proof of ownership is refused; nothing was linked", message);

const idText = z.string().min(1).max(512);
const Identity = z.object({
  user_id: idText,
  provider: z.string().min(1).max(100),
  connection: z.string().min(1).max(200),
});
const SessionClaims = z.object({
  sub: idText,
  iss: z.string(),
  exp: z.number(),
  iat: z.number(),
  ip: z.string().optional(),
  current_identity: Identity,
  candidate_identities: z
    .array(Identity.extend({ email: z.string().min(3).max(320) }))
    .min(1)
    .max(maxCandidates),
  continue_uri: z.string(),
  allow_skip: z.boolean(),
});
type Session = z.infer<typeof SessionClaims>;

const CallBase = z.object({
  session_token: z.string().min(1).max(16_384),
  state: z.string(),
});
const ProofCall = CallBase.extend({
  candidate: idText,
  id_token: z.string().min(1).max(16_384),
  merge_metadata: z.boolean().optional(),
});
const Decline = CallBase.extend({ outcome: z.enum(["skipped", "not_mine"]) });

/** The tenant's host, as Auth0 puts it in the session token's `iss` (the emulator's includes its port). */
export const tenantHost = (tenant: string) => new URL(tenant).host;

const key = (secret: string) => new TextEncoder().encode(secret);

/**
 * Checks the Action's session token: HS256 with the shared secret, not expired, issued by this demo's tenant, with
 * the claims the page needs (and `sub` = the current identity), and a `continue_uri` of the tenant's own. Never
 * trusts the page: every call sends the token again and every call checks it again.
 */
export async function checkSessionToken(link: LinkAtLoginSetup, token: unknown): Promise<Session> {
  if (typeof token !== "string" || token === "") {
    throw session(400, "session_missing", "the session_token parameter is missing from the page's address");
  }
  const issuer = tenantHost(link.tenant);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key(link.secret), {
      algorithms: ["HS256"],
      issuer,
      requiredClaims: ["sub", "exp", "iat"],
      currentDate: new Date(link.now() * 1000),
      clockTolerance,
    }));
  } catch (error) {
    throw sessionError(error, issuer);
  }
  const parsed = SessionClaims.safeParse(payload);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join(".") || "payload").join(", ");
    throw session(
      400,
      "session_claims",
      `the session token's claims are not as the Action sends them (${where})`,
    );
  }
  const claims = parsed.data;
  if (claims.iat > link.now() + 60) {
    throw session(400, "session_claims", "the session token was issued in the future (iat)");
  }
  const ids = [claims.current_identity.user_id, ...claims.candidate_identities.map((c) => c.user_id)];
  for (const id of ids) {
    const checked = parseUserId(id, "user_id");
    if (!checked.ok) {
      throw session(
        400,
        "session_claims",
        `the session token names an id that is not a user id: ${checked.issues[0]?.message}`,
      );
    }
  }
  if (claims.sub !== claims.current_identity.user_id) {
    throw session(400, "session_claims", "the session token's sub is not its current_identity.user_id");
  }
  if (new Set(ids).size !== ids.length) {
    throw session(
      400,
      "session_claims",
      "the session token names an account twice (or the current one as a candidate)",
    );
  }
  if (!link.continueUris.includes(claims.continue_uri)) {
    throw session(
      403,
      "session_continue_uri",
      `the session token's continue_uri is not this tenant's /continue (${link.continueUris[0]}): the outcome is sent nowhere else`,
    );
  }
  return claims;
}

function sessionError(error: unknown, issuer: string): LinkRefusal {
  if (error instanceof errors.JWTExpired) {
    return session(403, "session_expired", "the session token has expired: sign in to the application again");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return session(
      403,
      "session_signature",
      "the session token's signature does not verify with this server's secret (IDLINK_LINK_SESSION_SECRET): it was changed, or signed with another secret",
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return session(
      403,
      "session_algorithm",
      "the session token is not signed with HS256, the only algorithm taken",
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss" && error.reason === "check_failed") {
      return session(
        403,
        "session_issuer",
        `the session token was not issued by this demo's tenant (${issuer})`,
      );
    }
    return session(400, "session_claims", `the session token's ${error.claim} claim is missing or invalid`);
  }
  return session(400, "session_malformed", "the session token is not a signed JWT (JWS compact form)");
}

function checkState(state: string): void {
  // Auth0's state is opaque but printable; it goes back in a URL and into the outcome token.
  if (!/^[\x21-\x7e]{1,2048}$/.test(state)) {
    throw session(
      400,
      "state_invalid",
      "the state parameter is missing or not a printable value of at most 2048 characters",
    );
  }
}

function parseCall<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "body", message: i.message })),
    "request",
  );
}

/** One answer per login (the session token's sub and Auth0's state): a second call is refused. */
function answeredKey(claims: Session, state: string): string {
  return `${claims.sub}\n${state}`;
}

function refuseAnswered(link: LinkAtLoginSetup, claims: Session, state: string): void {
  const now = link.now();
  for (const [k, exp] of link.answered) if (exp < now) link.answered.delete(k);
  if (link.answered.has(answeredKey(claims, state))) {
    throw new LinkRefusal(
      409,
      "already_answered",
      "This login already has its answer",
      "this linking session was already answered: go back to the application and sign in again",
    );
  }
}

/** The proof's ID token: the tenant's signature (JWKS), iss, aud = the SPA client, not expired, a recent auth_time. */
export async function checkProof(
  link: LinkAtLoginSetup,
  idToken: string,
  claims: Session,
  candidate: string,
): Promise<void> {
  const issuer = `${link.tenant}/`;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, link.getKey, {
      algorithms: ["RS256"],
      issuer,
      audience: link.spaClientId,
      requiredClaims: ["sub", "exp", "iat", "auth_time"],
      currentDate: new Date(link.now() * 1000),
      clockTolerance,
    }));
  } catch (error) {
    throw proofError(error, issuer, link.spaClientId);
  }
  if (payload.sub !== candidate) {
    throw proof(
      "proof_subject",
      `the sign-in was to ${String(payload.sub)}, not to ${candidate}: sign in to the account you chose`,
    );
  }
  const authTime = payload.auth_time;
  const now = link.now();
  if (typeof authTime !== "number" || now - authTime > proofMaxAgeSeconds + clockTolerance) {
    throw proof(
      "proof_stale",
      `the sign-in is older than ${proofMaxAgeSeconds / 60} minutes (auth_time): sign in again`,
    );
  }
  if (authTime < claims.iat - 60) {
    throw proof(
      "proof_stale",
      "the sign-in happened before this linking session began (auth_time): sign in again",
    );
  }
}

function proofError(error: unknown, issuer: string, audience: string): LinkRefusal {
  if (error instanceof errors.JWTExpired) return proof("proof_expired", "the sign-in's ID token has expired");
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JOSEAlgNotAllowed
  ) {
    return proof("proof_signature", "the sign-in's ID token is not signed by this tenant's keys");
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss")
      return proof("proof_issuer", `the sign-in's ID token was not issued by ${issuer}`);
    if (error.claim === "aud") {
      return proof(
        "proof_audience",
        `the sign-in's ID token is not for this page's application (${audience})`,
      );
    }
    if (error.claim === "auth_time") return proof("proof_stale", "the sign-in's ID token has no auth_time");
  }
  return proof("proof_malformed", "the sign-in's ID token is not a valid JWT");
}

/**
 * An outcome token for the Action: HS256 with the shared secret; `sub`, `state`, `exp` (2 minutes), `iat`, and
 * `iss` (this page's origin), which Auth0's `api.redirect.validateToken` wants present with the others.
 */
export async function signOutcome(
  link: LinkAtLoginSetup,
  claims: Session,
  state: string,
  outcome: LinkOutcomeResponse["outcome"],
  primaryUserId?: string,
): Promise<string> {
  const now = link.now();
  return new SignJWT({
    state,
    outcome,
    ...(primaryUserId === undefined ? {} : { primary_user_id: primaryUserId }),
    candidates: claims.candidate_identities.map((c) => c.user_id),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(link.pageOrigin)
    .setIssuedAt(now)
    .setExpirationTime(now + outcomeTtlSeconds)
    .sign(key(link.secret));
}

const verifiedEmail = (user: User) => (user.email_verified === true ? user.email : undefined);

/**
 * Which of the two accounts stays the primary, by core's primary policy (`@idlink/core/export`, the one `idlink
 * duplicates` uses: already holds linked identities, a database identity, the oldest, the most logins). When the
 * policy makes no choice (the two do not share a verified email, or both hold linked identities), the existing
 * account the Action found stays the primary.
 */
export function decidePrimary(
  current: User,
  candidate: User,
): { primary: "current" | "candidate"; criterion: PrimaryCriterion } {
  const finder = new DuplicateFinder();
  for (const user of [current, candidate]) {
    finder.add({
      user_id: user.user_id ?? "",
      ...(user.email === undefined ? {} : { email: user.email }),
      email_verified: user.email_verified === true,
      ...(typeof user.created_at === "string" ? { created_at: user.created_at } : {}),
      ...(typeof user.last_login === "string" ? { last_login: user.last_login } : {}),
      ...(typeof user.logins_count === "number" ? { logins_count: user.logins_count } : {}),
      identities: (user.identities ?? []).map((i) => ({
        provider: String(i.provider),
        user_id: String(i.user_id),
        connection: String(i.connection),
      })),
    });
  }
  const group = verifiedEmail(current) && verifiedEmail(candidate) ? finder.finish().groups[0] : undefined;
  if (!group) return { primary: "candidate", criterion: "kept_existing" };
  return {
    primary: group.primary.user_id === current.user_id ? "current" : "candidate",
    criterion: group.criterion,
  };
}

/** The plan of one candidate: the primary chosen, then core's plan (nothing is changed). */
async function planCandidate(
  client: ManagementClient,
  current: User,
  identity: LoginIdentity & { email: string },
): Promise<CandidateView> {
  const candidate = await client.getUser(identity.user_id);
  const { primary, criterion } = decidePrimary(current, candidate);
  const currentId = current.user_id ?? "";
  const [primaryId, secondaryId] =
    primary === "current" ? [currentId, identity.user_id] : [identity.user_id, currentId];
  const previewed = await previewLink(client, { primary: primaryId, secondary: secondaryId });
  if (!previewed.ok) throw new ValidationError(previewed.issues, "request");
  return { ...identity, primary, criterion, plan: redact(previewed.value) as LinkPlan };
}

/**
 * The linking page's API: `session` (check the token, plan each candidate), `link` (check the token and the proof,
 * link through core's workflow, answer `linked`), `decline` (`skipped` or `not_mine`, nothing linked).
 */
export async function handleLinkAtLogin(
  link: LinkAtLoginSetup | undefined,
  client: ManagementClient,
  path: string,
  readJson: () => Promise<unknown>,
): Promise<LinkReply> {
  try {
    if (!link) {
      throw new LinkRefusal(
        503,
        "not_configured",
        "Link at login is not set up",
        "set IDLINK_LINK_SESSION_SECRET (the Action's SESSION_TOKEN_SECRET) for the demo server",
      );
    }
    return await route(link, client, path, readJson);
  } catch (error) {
    return refusalReply(error);
  }
}

async function route(
  link: LinkAtLoginSetup,
  client: ManagementClient,
  path: string,
  readJson: () => Promise<unknown>,
): Promise<LinkReply> {
  const body = await readJson();
  if (path === "/api/link-at-login/session") {
    const call = parseCall(CallBase, body);
    const claims = await checkSessionToken(link, call.session_token);
    checkState(call.state);
    refuseAnswered(link, claims, call.state);
    const current = await client.getUser(claims.sub);
    const candidates: CandidateView[] = [];
    for (const identity of claims.candidate_identities) {
      candidates.push(await planCandidate(client, current, identity));
    }
    return {
      status: 200,
      body: {
        current: {
          ...claims.current_identity,
          email: current.email,
          email_verified: current.email_verified,
        },
        candidates,
        allowSkip: claims.allow_skip,
        expiresAt: claims.exp,
      },
    };
  }
  if (path === "/api/link-at-login/link") {
    const call: LinkProofCall = parseCall(ProofCall, body);
    const claims = await checkSessionToken(link, call.session_token);
    checkState(call.state);
    refuseAnswered(link, claims, call.state);
    const identity = claims.candidate_identities.find((c) => c.user_id === call.candidate);
    if (!identity) {
      throw new LinkRefusal(
        400,
        "candidate_unknown",
        "That account is not offered",
        `${call.candidate} is not one of the accounts this login's session token offers`,
      );
    }
    await checkProof(link, call.id_token, claims, identity.user_id);
    // Taken before linking, so two calls at once cannot both link; given back if the link does not happen.
    const answered = answeredKey(claims, call.state);
    link.answered.set(answered, claims.exp);
    let result: Awaited<ReturnType<typeof executeLink>>;
    let primaryUserId: string;
    try {
      const current = await client.getUser(claims.sub);
      const view = await planCandidate(client, current, identity);
      if (view.plan.blockers.length > 0) throw new BlockedPlanError("link", view.plan.blockers);
      result = await executeLink(client, view.plan, { mergeMetadata: call.merge_metadata === true });
      primaryUserId = view.plan.request.primary;
    } catch (error) {
      link.answered.delete(answered);
      throw error;
    }
    return {
      status: 200,
      body: {
        outcome: "linked",
        token: await signOutcome(link, claims, call.state, "linked", primaryUserId),
        continueUri: claims.continue_uri,
        primaryUserId,
        identities: result.identities,
        merged: result.mergedMetadataKeys,
      },
    };
  }
  if (path === "/api/link-at-login/decline") {
    const call: DeclineCall = parseCall(Decline, body);
    const claims = await checkSessionToken(link, call.session_token);
    checkState(call.state);
    refuseAnswered(link, claims, call.state);
    if (call.outcome === "skipped" && !claims.allow_skip) {
      throw new LinkRefusal(
        403,
        "skip_not_allowed",
        "Skipping is not offered",
        "the Action does not allow skipping (allow_skip is false): link an account or say it is not yours",
      );
    }
    link.answered.set(answeredKey(claims, call.state), claims.exp);
    return {
      status: 200,
      body: {
        outcome: call.outcome,
        token: await signOutcome(link, claims, call.state, call.outcome),
        continueUri: claims.continue_uri,
      },
    };
  }
  throw new LinkRefusal(404, "not_configured", "Not found", `${path} is not part of the linking page's API`);
}

function refusalReply(error: unknown): LinkReply {
  if (error instanceof LinkRefusal) {
    return {
      status: error.status,
      body: { error: { title: error.title, message: error.message, code: error.code } },
    };
  }
  const description = redact(describeError(error));
  if (error instanceof BlockedPlanError) {
    return { status: 409, body: { error: { ...description, code: "plan_blocked" } } };
  }
  if (error instanceof ValidationError) {
    return { status: 400, body: { error: { ...description, code: "request_invalid" } } };
  }
  // Auth0's own 4xx is passed on (a user that no longer exists: 404); anything from further away is a 502.
  const status =
    error instanceof ManagementApiError && error.status >= 400 && error.status < 500 ? error.status : 502;
  return { status, body: { error: { ...description, code: "tenant_error" } } };
}
