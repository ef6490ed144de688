/** Keys whose values are secrets wherever they appear. */
const secretKeys = new Set([
  "access_token",
  "access_token_secret",
  "refresh_token",
  "id_token",
  "link_with",
  "client_secret",
  "token",
  "password",
  "authorization",
  "secret",
]);

// Three base64url parts, the first a JSON header ("eyJ" is base64 for '{"'); the signature may be empty (alg none).
const jwtPattern = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const bearerPattern = /\b(Bearer)\s+([A-Za-z0-9._~+/=-]+)/gi;

// A credential after "Bearer" has a digit, inner punctuation or 16+ characters; Auth0's own prose ("…does not match
// subject in bearer token.") has none of these, so its words stay readable.
const looksLikeCredential = (word: string) =>
  word.length >= 16 || /\d/.test(word) || /[._~+/=-][A-Za-z0-9]/.test(word);

export const REDACTED = "[redacted]";

/** Removes JWT-shaped strings and bearer credentials from a text. */
export function redactText(text: string): string {
  return text
    .replace(jwtPattern, REDACTED)
    .replace(bearerPattern, (match, bearer: string, word: string) =>
      looksLikeCredential(word) ? `${bearer} ${REDACTED}` : match,
    );
}

/**
 * Returns a copy of `value` safe to show to a person or a model: tokens, `link_with`, client secrets, IdP tokens
 * and any JWT-shaped string are replaced by "[redacted]". Errors become plain objects with their name and message.
 */
export function redact<T>(value: T): T {
  return walk(value, new WeakSet()) as T;
}

function walk(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Date) return value.toISOString();
  // `seen` holds the objects on the current path only: a shared object is copied each time, a cycle is cut.
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => walk(v, seen));
    if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = secretKeys.has(key.toLowerCase()) && v !== undefined ? REDACTED : walk(v, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
