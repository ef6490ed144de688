import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** What a confirmation is for: one action on exactly one primary and one secondary. */
export interface Binding {
  action: "link" | "unlink";
  primary: string;
  /** The secondary's full id, `provider|user_id`. */
  secondary: string;
  /**
   * The user who asked, over OAuth: the `sub` of their access token (src/caller.ts). A confirmation issued to one
   * user cannot be spent by another. Absent on stdio and with the static bearer, where only the owner calls.
   */
  subject?: string;
}

/**
 * Who asked: `preview` tokens are handed to the model by `preview_link`; `elicitation` tokens ride as the MCP
 * `requestState` of a confirmation the user answered, so one can never stand in for the other.
 */
export type Purpose = "preview" | "elicitation";

export type Redemption = { ok: true } | { ok: false; message: string };

export interface Confirmations {
  /** Issues a single-use token bound to `binding`, valid for the store's lifetime setting. */
  issue(purpose: Purpose, binding: Binding): { token: string; expiresAt: Date };
  /** Checks a token against `binding` and spends it; the message says why it was refused (the gate says what next). */
  redeem(purpose: Purpose, token: string, binding: Binding): Redemption;
}

export interface ConfirmationOptions {
  /** Default 300 (5 minutes). */
  ttlSeconds?: number;
  /** Milliseconds since the epoch; tests move it forward. */
  now?: () => number;
}

const version = "idlc1";
// Hex fields only: never JWT-shaped (core's redact would blank it) and safe to paste.
const tokenPattern = /^idlc1-(p|e)-(link|unlink)-([0-9]{1,12})-([0-9a-f]{32})-([0-9a-f]{64})$/;

/**
 * A per-process store of confirmation tokens: HMAC-SHA256 over (purpose, action, primary, secondary, expiry,
 * nonce) with a random key made at start, so tokens cannot be forged and die with the process. Not a credential:
 * a token only proves that this server showed a plan for those two accounts a few minutes ago.
 */
export function createConfirmations(options: ConfirmationOptions = {}): Confirmations {
  const key = randomBytes(32);
  const ttlSeconds = options.ttlSeconds ?? 300;
  const now = options.now ?? Date.now;
  // nonce → what it was issued for and until when; entries leave once spent or expired.
  const issued = new Map<string, { purpose: Purpose; binding: Binding; expires: number }>();
  const spent = new Map<string, number>();

  const mac = (purpose: Purpose, binding: Binding, expires: number, nonce: string) =>
    createHmac("sha256", key)
      .update(
        JSON.stringify([
          version,
          purpose,
          binding.action,
          binding.primary,
          binding.secondary,
          binding.subject ?? null,
          expires,
          nonce,
        ]),
      )
      .digest();

  const prune = () => {
    const seconds = now() / 1000;
    for (const [nonce, entry] of issued) if (entry.expires <= seconds) issued.delete(nonce);
    for (const [nonce, expires] of spent) if (expires <= seconds) spent.delete(nonce);
  };

  return {
    issue(purpose, binding) {
      prune();
      const expires = Math.floor(now() / 1000) + ttlSeconds;
      const nonce = randomBytes(16).toString("hex");
      issued.set(nonce, { purpose, binding, expires });
      const signature = mac(purpose, binding, expires, nonce).toString("hex");
      const token = `${version}-${purpose[0]}-${binding.action}-${expires}-${nonce}-${signature}`;
      return { token, expiresAt: new Date(expires * 1000) };
    },

    redeem(purpose, token, binding) {
      // Named as the caller knows it: the preview's argument, or the state a client echoes with the user's answer.
      const subject = purpose === "preview" ? "confirmation_token" : "the request state";
      const match = tokenPattern.exec(token);
      const [, purposeLetter, action, expiresText, nonce, signature] = match ?? [];
      if (!match || purposeLetter !== purpose[0] || !nonce || !signature || !action || !expiresText) {
        return { ok: false, message: `${subject} is not a token this server issued` };
      }
      const expires = Number(expiresText);
      const claimed: Binding = { ...binding, action: action === "unlink" ? "unlink" : "link" };
      const expected = mac(purpose, claimed, expires, nonce);
      const given = Buffer.from(signature, "hex");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        const entry = issued.get(nonce);
        const was = entry?.purpose === purpose ? entry.binding : undefined;
        // Checked first, and without describing the other user's action: it is theirs, not this caller's.
        if (was && was.subject !== binding.subject) {
          return {
            ok: false,
            message: `${subject} was issued to another user: a confirmation is spent only by the user it was shown to`,
          };
        }
        if (was && describe(was) !== describe(binding)) {
          return {
            ok: false,
            message: `${subject} was issued to ${describe(was)}, not to ${describe(binding)}`,
          };
        }
        return {
          ok: false,
          message: `${subject} was not issued by this server or was altered (tokens do not survive a restart)`,
        };
      }
      if (claimed.action !== binding.action) {
        return {
          ok: false,
          message: `${subject} was issued to ${describe(claimed)}, not to ${describe(binding)}`,
        };
      }
      if (spent.has(nonce)) {
        return { ok: false, message: `${subject} was already used` };
      }
      if (expires <= now() / 1000) {
        return {
          ok: false,
          message: `${subject} expired at ${new Date(expires * 1000).toISOString()}`,
        };
      }
      issued.delete(nonce);
      spent.set(nonce, expires);
      prune();
      return { ok: true };
    },
  };
}

/**
 * The store as one caller sees it: every binding it issues or redeems carries `subject` (the caller's `sub`), so a
 * token issued to one user is refused to another. `undefined` (stdio, the static bearer) leaves the store as it is.
 */
export function forSubject(confirmations: Confirmations, subject: string | undefined): Confirmations {
  if (subject === undefined) return confirmations;
  return {
    issue: (purpose, binding) => confirmations.issue(purpose, { ...binding, subject }),
    redeem: (purpose, token, binding) => confirmations.redeem(purpose, token, { ...binding, subject }),
  };
}

function describe(binding: Binding): string {
  return binding.action === "link"
    ? `link ${binding.secondary} into ${binding.primary}`
    : `unlink ${binding.secondary} from ${binding.primary}`;
}
