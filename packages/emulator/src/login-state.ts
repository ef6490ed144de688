import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** An /authorize request the login page is answering (Universal Login's `state` of `/u/login`). */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  responseMode: "query" | "web_message";
  state: string | undefined;
  nonce: string | undefined;
  scope: string[];
  audience: string | undefined;
  codeChallenge: string;
  loginHint: string | undefined;
  /** `prompt` as asked (`none`, `login`, …). */
  prompt?: string | undefined;
  /** The /authorize query as received (a post-login Action's `event.request.query`). */
  query?: Record<string, string>;
}

/** A sign-in waiting on a third-party application's consent prompt (`/u/consent?state=…`). */
export interface PendingConsent {
  request: AuthorizeRequest;
  /** The login session that signed in; only its cookie may answer the prompt. */
  sessionId: string;
  /** The transaction of the sign-in (a post-login Action's `event.transaction.id`). */
  transactionId: string;
  /** The API and the scopes the prompt asks for. */
  audience: string;
  scopes: string[];
}

/** A completed authentication method of a login session (a post-login Action's `event.authentication.methods`). */
export interface AuthMethod {
  name: string;
  timestamp: string;
  /** For methods recorded by an Action (`api.authentication.recordMethod`): the URL, also its `name`. */
  url?: string;
}

/** A login session (the `auth0` cookie). */
export interface Session {
  userId: string;
  /** Epoch seconds of the sign-in. */
  authTime: number;
  /** The identity signed in with, `provider|user_id` (a linked identity signs in its primary). */
  identity: string;
  methods: AuthMethod[];
}

/** Who an authorization code or refresh token speaks for, and what it may be exchanged for. */
export interface Grant {
  clientId: string;
  userId: string;
  scope: string[];
  audience: string | undefined;
  nonce: string | undefined;
  /** Epoch seconds of the sign-in on the login page (the ID token's `auth_time`). */
  authTime: number;
  /** Custom claims set by post-login Actions, kept for the tokens of refreshes too. */
  claims?: { idToken: Record<string, unknown>; accessToken: Record<string, unknown> };
}

interface CodeEntry extends Grant {
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
  used: boolean;
  /** Refresh-token family minted from this code, revoked if the code is replayed (RFC 6749 §4.1.2). */
  family: string | undefined;
}

interface RefreshEntry extends Grant {
  family: string;
  /** Rotated away: presenting it again is reuse, and revokes the family (Auth0's refresh token rotation). */
  used: boolean;
}

export type CodeRedemption =
  | { ok: true; grant: Grant; bindFamily: (family: string) => void }
  | { ok: false; reason: "unknown" | "expired" | "replayed" | "client" | "redirect_uri" | "verifier" };

export type RefreshRedemption =
  | { ok: true; grant: Grant; family: string }
  | { ok: false; reason: "unknown" | "reused" | "client" };

// RFC 6749 §4.1.2 asks for codes that live at most 10 minutes; a minute is plenty for a redirect.
export const codeTtlSeconds = 60;
const pendingTtlSeconds = 30 * 60;

const randomToken = (bytes = 32) => randomBytes(bytes).toString("base64url");

/** BASE64URL(SHA256(verifier)) (RFC 7636 §4.6). */
export function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The emulator's Universal Login memory: pending /authorize requests, login sessions (the `auth0` cookie),
 * single-use authorization codes and rotating refresh tokens. `now` (epoch ms) is injectable for tests.
 */
export class LoginState {
  private pending = new Map<string, { request: AuthorizeRequest; expiresAt: number }>();
  private consents = new Map<string, PendingConsent & { expiresAt: number }>();
  private sessions = new Map<string, Session>();
  private codes = new Map<string, CodeEntry>();
  private refreshTokens = new Map<string, RefreshEntry>();
  private revokedFamilies = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  private seconds(): number {
    return Math.floor(this.now() / 1000);
  }

  reset(): void {
    this.pending.clear();
    this.consents.clear();
    this.sessions.clear();
    this.codes.clear();
    this.refreshTokens.clear();
    this.revokedFamilies.clear();
  }

  /** Keeps an /authorize request while the login page is shown; answers its transaction id. */
  holdRequest(request: AuthorizeRequest): string {
    const id = randomToken(24);
    this.pending.set(id, { request, expiresAt: this.seconds() + pendingTtlSeconds });
    return id;
  }

  pendingRequest(id: string): AuthorizeRequest | undefined {
    const entry = this.pending.get(id);
    if (!entry || entry.expiresAt < this.seconds()) return undefined;
    return entry.request;
  }

  finishRequest(id: string): void {
    this.pending.delete(id);
  }

  /** Keeps a sign-in while the consent prompt is shown; answers the prompt's state. */
  holdConsent(consent: PendingConsent): string {
    const id = randomToken(24);
    this.consents.set(id, { ...consent, expiresAt: this.seconds() + pendingTtlSeconds });
    return id;
  }

  pendingConsent(id: string): PendingConsent | undefined {
    const entry = this.consents.get(id);
    return entry && entry.expiresAt >= this.seconds() ? entry : undefined;
  }

  /** The prompt was answered: its state is used once. */
  finishConsent(id: string): void {
    this.consents.delete(id);
  }

  /** Starts a login session (a fresh sign-in on the login page); answers the session cookie's value. */
  startSession(userId: string, identity: string = userId, methods: AuthMethod[] = []): string {
    const id = randomToken();
    this.sessions.set(id, { userId, authTime: this.seconds(), identity, methods });
    return id;
  }

  session(id: string | undefined): Session | undefined {
    return id === undefined ? undefined : this.sessions.get(id);
  }

  /** The session now signs in this user (a post-login Action's `setPrimaryUser`). */
  updateSessionUser(id: string, userId: string): void {
    const session = this.sessions.get(id);
    if (session) session.userId = userId;
  }

  /** Adds a completed method to the session (`api.authentication.recordMethod`). */
  recordMethod(id: string, method: AuthMethod): void {
    this.sessions.get(id)?.methods.push(method);
  }

  endSession(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }

  issueCode(grant: Grant, binding: { redirectUri: string; codeChallenge: string }): string {
    const code = randomToken();
    this.codes.set(code, {
      ...grant,
      ...binding,
      expiresAt: this.seconds() + codeTtlSeconds,
      used: false,
      family: undefined,
    });
    return code;
  }

  /** Redeems a code once, for the client, redirect_uri and PKCE verifier it was issued to. */
  redeemCode(
    code: string,
    presented: { clientId: string; redirectUri: string | undefined; codeVerifier: string | undefined },
  ): CodeRedemption {
    const entry = this.codes.get(code);
    if (!entry) return { ok: false, reason: "unknown" };
    if (entry.used) {
      if (entry.family) this.revokeFamily(entry.family);
      return { ok: false, reason: "replayed" };
    }
    if (entry.clientId !== presented.clientId) return { ok: false, reason: "client" };
    // Any failed redemption burns the code: a guessed verifier gets one try.
    entry.used = true;
    if (entry.expiresAt < this.seconds()) return { ok: false, reason: "expired" };
    if (presented.redirectUri !== entry.redirectUri) return { ok: false, reason: "redirect_uri" };
    if (
      presented.codeVerifier === undefined ||
      !sameText(s256(presented.codeVerifier), entry.codeChallenge)
    ) {
      return { ok: false, reason: "verifier" };
    }
    const { redirectUri: _r, codeChallenge: _c, expiresAt: _e, used: _u, family: _f, ...grant } = entry;
    return {
      ok: true,
      grant,
      bindFamily: (family) => {
        entry.family = family;
      },
    };
  }

  issueRefreshToken(grant: Grant, family: string = randomToken(12)): { token: string; family: string } {
    const token = randomToken();
    this.refreshTokens.set(token, { ...grant, family, used: false });
    return { token, family };
  }

  /** Redeems a refresh token once; presenting a rotated token again revokes its whole family. */
  redeemRefreshToken(token: string, clientId: string): RefreshRedemption {
    const entry = this.refreshTokens.get(token);
    if (!entry || this.revokedFamilies.has(entry.family)) return { ok: false, reason: "unknown" };
    if (entry.clientId !== clientId) return { ok: false, reason: "client" };
    if (entry.used) {
      this.revokeFamily(entry.family);
      return { ok: false, reason: "reused" };
    }
    entry.used = true;
    const { family, used: _u, ...grant } = entry;
    return { ok: true, grant, family };
  }

  /** Revokes every refresh token descended from one sign-in. */
  private revokeFamily(family: string): void {
    this.revokedFamilies.add(family);
  }
}
