// @idlink/link-action — an Auth0 post-login Action that offers account linking when other accounts share the
// person's verified email, built by esbuild into ONE CommonJS file (dist/link-action.js) with core's code inside:
// ids, the verified-email rule and the choice of candidates are @idlink/core's. Auth0's pages this follows
// (auth0/docs-v2): main/docs/manage-users/user-accounts/link-user-accounts.mdx ("Action with
// external linking application"), main/docs/customize/actions/redirect-with-actions.mdx, and the post-login
// event and api references.

import {
  clientSecretToken,
  createUserReader,
  findLinkCandidates,
  fullUserId,
  holdsLinked,
  type IdentitySummary,
  ManagementApiError,
  parseUserId,
  redactText,
  type UserReader,
  ValidationError,
} from "@idlink/core/post-login";
import type { PostLoginApi, PostLoginEvent, PostLoginIdentity } from "./auth0.ts";
import { type Config, readConfig, secretNames } from "./config.ts";
import {
  type OfferedIdentity,
  type OfferPayload,
  offerTtlSeconds,
  readAnswer,
  tokenParameterName,
} from "./contract.ts";
import { decisionKey, declineAll, isSkipped, readDecision, skipFor } from "./decision.ts";

/**
 * Exchanges that cannot follow a redirect (redirect-with-actions.mdx, "Restrictions and limitations": the Resource
 * Owner endpoint, password exchange, refresh tokens), where a redirect would fail the login.
 */
const noRedirectProtocols: ReadonlySet<string> = new Set([
  "oauth2-refresh-token",
  "oauth2-resource-owner",
  "oauth2-resource-owner-jwt-bearer",
  "oauth2-password",
  "oauth2-token-exchange",
]);

/**
 * Per attempt at Auth0; reads are not retried and a 429 is waited out for 2 s at most, so the three requests of a
 * login (token, user, users by email) stay well inside the 20 s an execution may take (limitations.mdx).
 */
const requestTimeoutMs = 4_000;

/** The authorization parameter of the linking page's proof sign-in (apps/web-demo's src/link/link-types.ts). */
export const proofMarker = "idlink_link_proof";

/** Offers linking, or lets the login go on untouched. */
export async function onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const config = configOrDeny(event, api);
  if (!config) return;
  // A redirect under prompt=none fails the login with interaction_required (redirect-with-actions.mdx).
  if (event.transaction?.prompt?.includes("none")) return;
  // The linking page's proof of the other account is a fresh login to this tenant: offering linking inside it would
  // send that popup back to the page. The page marks its /authorize with idlink_link_proof=1 (a mark that only skips
  // an offer: set by anyone else, it links nothing).
  if (event.request?.query?.[proofMarker] === "1") return;
  if (noRedirectProtocols.has(event.transaction?.protocol ?? "")) return;
  if (typeof api.redirect.canRedirect === "function" && !api.redirect.canRedirect()) return;
  if (config.connections && !config.connections.has(event.connection.name)) return;
  const { user } = event;
  if (typeof user.email !== "string" || user.email === "" || user.email_verified !== true) return;
  const userId = parseUserId(user.user_id, "event.user.user_id");
  if (!userId.ok) return log("account linking skipped: the user's id is not one idlink can read");

  const decision = readDecision(user.app_metadata);
  if (isSkipped(decision, new Date())) return;

  let found: Awaited<ReturnType<typeof findLinkCandidates>>;
  try {
    found = await findLinkCandidates(managementClient(config), user.user_id);
  } catch (error) {
    return failed(error, api);
  }
  // Core's rules: verified emails only, the user itself never; then what this person has not refused, and nothing
  // already linked into them.
  const declined = new Set(decision.declined);
  const linked = new Set([
    ...(found.primary?.identities ?? []).map((i) => i.id),
    ...(user.identities ?? []).map(identityId),
  ]);
  const candidates = found.candidates.filter(
    (c) =>
      c.user_id !== user.user_id &&
      !declined.has(c.user_id) &&
      !linked.has(c.user_id) &&
      parseUserId(c.user_id).ok,
  );
  if (candidates.length === 0) return;

  const payload: OfferPayload = {
    current_identity: currentIdentity(event),
    candidate_identities: candidates.map((c) => ({
      ...mainIdentity(c.user_id, c.identities),
      email: c.email ?? user.email ?? "",
    })),
    continue_uri: `${continueOrigin(event, config)}/continue`,
    allow_skip: config.allowSkip,
  };
  const token = api.redirect.encodeToken({
    secret: config.sessionSecret,
    expiresInSeconds: offerTtlSeconds,
    payload: { ...payload },
  });
  api.redirect.sendUserTo(config.linkPageUrl, { query: { [tokenParameterName]: token } });
}

/** Applies the page's answer: switch to the primary it kept, or record "skip" / "not mine". */
export async function onContinuePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void> {
  const config = configOrDeny(event, api);
  if (!config) return;
  let claims: Record<string, unknown>;
  try {
    claims = api.redirect.validateToken({ secret: config.sessionSecret, tokenParameterName });
  } catch (error) {
    // Tampered, expired, another transaction's state, replayed: never go on as if nothing was decided — after a
    // link the login's user may no longer exist, and Auth0 could not issue its tokens anyway.
    return deny(api, `account linking could not be verified: ${reasonOf(error)}`);
  }
  const read = readAnswer(claims, event.user.user_id);
  if (!read.ok) return deny(api, `account linking could not be verified: ${read.reason}`);
  const { answer } = read;
  const now = new Date();
  const decision = readDecision(event.user.app_metadata);

  if (answer.outcome === "skipped") {
    if (!config.allowSkip) {
      return deny(
        api,
        `account linking could not be verified: the page answered "skipped" but ${secretNames.allowSkip} is false`,
      );
    }
    api.user.setAppMetadata(decisionKey, skipFor(decision, config.skipDays, now));
    return;
  }
  if (answer.outcome === "not_mine") {
    api.user.setAppMetadata(decisionKey, declineAll(decision, answer.candidates));
    return;
  }
  // "linked": the page linked the accounts (each one signed in to). Auth0 does not switch to the primary by itself
  // (link-user-accounts.mdx), and fails the login unless the primary holds the login's identity: checked here first,
  // so the message says what went wrong.
  const primary = answer.primary_user_id;
  if (primary === undefined || primary === event.user.user_id) return;
  let holds: boolean;
  try {
    holds = holdsLinked(await managementClient(config).getUser(primary), event.user.user_id);
  } catch (error) {
    return deny(
      api,
      `account linking could not be verified: ${primary} could not be read (${reasonOf(error)})`,
    );
  }
  if (!holds) {
    return deny(
      api,
      `account linking could not be verified: ${primary} does not hold ${event.user.user_id} as a linked identity`,
    );
  }
  api.authentication.setPrimaryUser(primary);
}

function configOrDeny(event: PostLoginEvent, api: PostLoginApi): Config | undefined {
  const read = readConfig(event.secrets);
  if (read.ok) return read.config;
  deny(api, `account linking is misconfigured: ${read.problems.join("; ")}`);
  return undefined;
}

function managementClient(config: Config): UserReader {
  return createUserReader({
    domain: config.tenant,
    getToken: clientSecretToken({ clientId: config.clientId, clientSecret: config.clientSecret }),
    timeoutMs: requestTimeoutMs,
    retry: { maxRetries: 0, maxWaitMs: 2_000 },
    pacer: false,
  });
}

/**
 * A failed lookup. A refused application or a missing grant is the tenant's configuration: the login is denied
 * saying which secret to check (never its value). Anything else (Auth0 unreachable, 5xx, rate limit) lets the login
 * go on without an offer: linking is never worth locking a person out.
 */
function failed(error: unknown, api: PostLoginApi): void {
  const reason = misconfiguration(error);
  if (reason) deny(api, `account linking is misconfigured: ${reason}`);
  else log(`account linking skipped: ${reasonOf(error)}`);
}

/** What the tenant's answer says is wrong with the secrets, if that is what failed. */
function misconfiguration(error: unknown): string | undefined {
  const credentials = `${secretNames.clientId} / ${secretNames.clientSecret}`;
  if (error instanceof ManagementApiError && error.path === "/oauth/token" && error.status < 500) {
    return `the tenant refused the application of ${credentials} (${error.status} ${error.error})`;
  }
  if (error instanceof ManagementApiError && (error.status === 401 || error.status === 403)) {
    return `the application of ${credentials} may not read users (${error.status} ${error.errorCode ?? error.error}) — grant it read:users on the Management API`;
  }
  if (error instanceof ValidationError && error.issues.some((i) => i.path === "client_secret")) {
    return `secret ${secretNames.clientSecret} is the local emulator's published secret, refused for a real tenant`;
  }
  return undefined;
}

function deny(api: PostLoginApi, reason: string): void {
  api.access.deny(reason);
}

/** Auth0 keeps 256 characters of an Action's console output (limitations.mdx). */
function log(message: string): void {
  console.log(message.slice(0, 256));
}

/** An error's message, tokens redacted. Not `instanceof Error`: the runtime's errors may come from another realm. */
function reasonOf(error: unknown): string {
  const message =
    typeof error === "object" &&
    error !== null &&
    typeof (error as { message?: unknown }).message === "string"
      ? (error as { message: string }).message
      : String(error);
  return redactText(message);
}

function identityId(identity: PostLoginIdentity): string {
  return fullUserId({ provider: identity.provider ?? "", user_id: identity.user_id ?? "" });
}

/** The login's user as the offer names it: its main identity's provider and connection (else the login's). */
function currentIdentity(event: PostLoginEvent): OfferedIdentity {
  const { user_id: userId, identities = [] } = event.user;
  const main = identities.find((i) => identityId(i) === userId);
  return {
    user_id: userId,
    provider: main?.provider ?? event.connection.strategy,
    connection: main?.connection ?? event.connection.name,
  };
}

/** A candidate's main identity, from its identities (the one whose full id is the user's; Auth0 lists it first). */
function mainIdentity(userId: string, identities: IdentitySummary[]): OfferedIdentity {
  const main = identities.find((i) => i.id === userId) ?? identities[0];
  return { user_id: userId, provider: main?.provider ?? "", connection: main?.connection ?? "" };
}

/** Where /continue is: the custom domain the login runs on, else the tenant's own domain. */
function continueOrigin(event: PostLoginEvent, config: Config): string {
  const custom = event.custom_domain?.domain;
  return custom ? `https://${custom}` : config.tenant.origin;
}
