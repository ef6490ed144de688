import { createManagementClient, parseLinkArguments, parseUserId } from "@idlink/core";
import { clientCredentialsToken } from "@idlink/core/node";
import {
  adminClient,
  createEmulator,
  defaultSeed,
  type Emulator,
  type Seed,
  seedUsers,
} from "@idlink/emulator";
import { recordOutput, recordSecrets, useServer } from "@idlink/test-kit";
import { jwtVerify, SignJWT } from "jose";
import type { PostLoginEvent } from "../src/auth0.ts";
import { type Calls, defaultState, fakeApi, loadAction } from "./auth0-runtime.ts";

export const { alice, aliceGoogle, bob, carol, dave, frank, jane, janeSaml } = seedUsers;

/** Same-email accounts the bundled seed lacks. */
export const extra = {
  /** Alice's email, unverified: never offered. */
  aliceGithubUnverified: "github|4242001",
  /** Alice's email, verified: a candidate that appears later (see `withNewCandidate`). */
  aliceGithub: "github|4242002",
  /** An enterprise id whose rest holds a `|` and an email. */
  janeAcme: "samlp|acme|jane@acme.example",
  /** A database account with the enterprise account's email. */
  janeDb: "auth0|6700aa11bb22cc33dd44ee66",
} as const;

function user(userId: string, email: string, verified: boolean, connection: string, createdAt: string) {
  const id = parseUserId(userId);
  if (!id.ok) throw new Error(`bad test id ${userId}`);
  const { provider, user_id: rest } = id.value;
  return {
    user_id: userId,
    email,
    email_verified: verified,
    created_at: createdAt,
    identities: [{ connection, provider, user_id: rest, isSocial: provider === "github" }],
  };
}

/** The bundled seed plus the accounts above (the new candidate only when asked). */
export function testSeed(options: { newCandidate?: boolean } = {}): Seed {
  const seed = defaultSeed();
  seed.connections.push({ id: "con_AcmeSaml0000Jane", name: "acme", strategy: "samlp" });
  seed.clients.push({
    client_id: noReadClient.clientId,
    name: "may update users, not read them (M2M)",
    app_type: "non_interactive",
    client_secret: noReadClient.clientSecret,
    grants: ["update:users"],
  });
  seed.users.push(
    user(
      extra.aliceGithubUnverified,
      "alice.martin@example.com",
      false,
      "github",
      "2025-04-01T00:00:00.000Z",
    ),
    user(extra.janeAcme, "jane@acme.example", true, "acme", "2024-01-01T00:00:00.000Z"),
    user(
      extra.janeDb,
      "jane@acme.example",
      true,
      "Username-Password-Authentication",
      "2025-01-01T00:00:00.000Z",
    ),
  );
  if (options.newCandidate) {
    seed.users.push(
      user(extra.aliceGithub, "alice.martin@example.com", true, "github", "2025-05-01T00:00:00.000Z"),
    );
  }
  return seed;
}

/** One emulator per file, reset to `testSeed()` before each test. */
export function useEmulator(): () => Emulator {
  return useServer(
    () => createEmulator({ seed: testSeed(), rateLimit: false }),
    (emulator) => emulator.state.reset(testSeed()),
  );
}

export const sessionSecret = "idlink-link-action-test-session-secret-0f3c9a7d";
/** The reader application of the seed: read:users only, all the Action needs. */
export const reader = { clientId: "idlink-reader", clientSecret: "emulator-only-secret-reader" };
export const linkPage = "https://link.example.com/start";
/** An application of the test seed without read:users. */
export const noReadClient = { clientId: "idlink-no-read", clientSecret: "emulator-only-secret-no-read" };
recordSecrets(sessionSecret, reader.clientSecret, noReadClient.clientSecret);

/** The Action's secrets for an emulator, as one would set them in the dashboard. */
export function secretsFor(emulator: Emulator, more: Record<string, string | undefined> = {}) {
  return {
    MANAGEMENT_API_DOMAIN: emulator.url,
    MANAGEMENT_API_CLIENT_ID: reader.clientId,
    MANAGEMENT_API_CLIENT_SECRET: reader.clientSecret,
    SESSION_TOKEN_SECRET: sessionSecret,
    LINK_PAGE_URL: linkPage,
    ...more,
  };
}

export interface LoginOptions {
  secrets?: Record<string, string | undefined>;
  /** The connection logged in with; defaults to the user's main identity's. */
  connection?: string;
  prompt?: string[];
  protocol?: string;
  /** The /authorize query of the login. */
  query?: Record<string, string>;
  appMetadata?: Record<string, unknown>;
}

/** The post-login `event` of a login by `userId`: the user as the tenant holds it (Auth0's event.user). */
export function loginEvent(emulator: Emulator, userId: string, options: LoginOptions = {}): PostLoginEvent {
  const stored = emulator.state.getUser(userId);
  if (!stored) throw new Error(`no user ${userId} in the emulator`);
  const copy = structuredClone(stored) as PostLoginEvent["user"] & Record<string, unknown>;
  if (options.appMetadata) copy.app_metadata = { ...(copy.app_metadata ?? {}), ...options.appMetadata };
  const main = stored.identities[0];
  const connection = options.connection ?? main?.connection ?? "";
  return {
    secrets: options.secrets ?? secretsFor(emulator),
    connection: { id: "con_emulated0000000", name: connection, strategy: main?.provider ?? "" },
    user: copy,
    transaction: {
      protocol: options.protocol ?? "oidc-basic-profile",
      ...(options.prompt ? { prompt: options.prompt } : {}),
      state: defaultState,
    },
    request: { hostname: new URL(emulator.url).hostname, ...(options.query ? { query: options.query } : {}) },
  };
}

/** What a linking page does with the tenant: link a secondary into a primary (an admin application). */
export async function linkInTenant(emulator: Emulator, primary: string, secondary: string): Promise<void> {
  const admin = adminClient();
  if (!admin) throw new Error("the seed has no admin client");
  const client = createManagementClient({ domain: emulator.url, getToken: clientCredentialsToken(admin) });
  const target = parseLinkArguments({ primary, secondary });
  if (!target.ok) throw new Error(target.issues.map((i) => i.message).join("; "));
  await client.link(target.value);
}

/** The linking page's answer token, as the page signs it (jose, HS256). */
export async function answerToken(
  claims: Record<string, unknown>,
  options: { secret?: string; expiresIn?: string | number; state?: string } = {},
): Promise<string> {
  return new SignJWT({ state: options.state ?? defaultState, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(new URL(linkPage).origin)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "2m")
    .sign(new TextEncoder().encode(options.secret ?? sessionSecret));
}

/** Verifies an offer token as the linking page would (jose, HS256 with the shared secret). */
export async function readOffer(token: string) {
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(sessionSecret), {
    algorithms: ["HS256"],
  });
  return { payload, protectedHeader };
}

/** A login through the built Action's onExecutePostLogin; what it asked of `api`, its logs and its requests. */
export async function execute(emulator: Emulator, userId: string, options: LoginOptions = {}) {
  const action = loadAction();
  const event = loginEvent(emulator, userId, options);
  const { api, calls } = fakeApi(event);
  await action.onExecutePostLogin(event, api);
  seen(calls.denied, action.logs);
  return { calls, logs: action.logs, fetched: action.fetched, event };
}

/** The page's answer POSTed to /continue, through the built Action's onContinuePostLogin. */
export async function resume(
  emulator: Emulator,
  login: string | PostLoginEvent,
  token: string,
  options: LoginOptions & { used?: Set<string> } = {},
) {
  const action = loadAction();
  const event = typeof login === "string" ? loginEvent(emulator, login, options) : login;
  const { api, calls } = fakeApi(event, {
    continueBody: { session_token: token },
    ...(options.used ? { used: options.used } : {}),
  });
  await action.onContinuePostLogin(event, api);
  seen(calls.denied, action.logs);
  return { calls, logs: action.logs, fetched: action.fetched, event };
}

/** What a person or the application sees (deny reasons) and the Action's logs: the secret scan reads them. */
function seen(denied: string[], logs: string[]): void {
  for (const reason of denied) recordOutput("link-action: api.access.deny", reason);
  for (const line of logs) recordOutput("link-action: console", line);
}

/** The session token of the one redirect a login made. */
export function offerToken(calls: Calls): string {
  const [redirect] = calls.redirects;
  const token = redirect?.query.session_token;
  if (calls.redirects.length !== 1 || !token)
    throw new Error(`expected one redirect, got ${calls.redirects.length}`);
  return token;
}
