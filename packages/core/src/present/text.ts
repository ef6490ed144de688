/**
 * Whether a value still carries the quotes it was written with: a `.env` file, a host's JSON config or cmd.exe pass
 * them on where a POSIX shell would have removed them (typographic quotes come from documents).
 */
export function isQuoted(value: string): boolean {
  return value.length >= 2 && /^['"‘“`].*['"’”`]$/s.test(value);
}

/**
 * Whether a value may be a secret: a JWT (`eyJ…`), a PEM block, a `Bearer` credential, or a run of 32 or more
 * base64-ish characters (no slash) mixing cases and digits (client secrets, opaque tokens, keys). Such a value is never
 * echoed in a message; the message names where it came from instead.
 */
export function mayBeSecret(value: string): boolean {
  if (/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/.test(value)) return true;
  if (/-----BEGIN [A-Z ]+-----/.test(value) || /^\s*bearer\s+\S/i.test(value)) return true;
  // A slash ends a run: paths (`/tmp/idlink-N640vv/key.pem`) are no secret, and a secret is rarely cut by one.
  for (const run of value.match(/[A-Za-z0-9+=_-]{32,}/g) ?? []) {
    // Upper, lower and digits; or two of them without the hyphens or underscores that join the words of a long
    // host, connection or variable name.
    const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((c) => c.test(run)).length;
    if (classes === 3 || (classes === 2 && !/[-_]/.test(run))) return true;
  }
  return false;
}

/** What a message shows of a value that may be a secret. */
export const notShown = "(a value shaped like a secret: not shown)";

/**
 * A value as messages echo it: at most `max` characters, so a pasted kilobyte never comes back whole, and never a
 * value that may be a secret (`mayBeSecret`).
 */
export function echo(value: string, max = 40): string {
  if (mayBeSecret(value)) return notShown;
  if (value.length <= max) return value;
  // By code points, so an emoji is never cut in half.
  return `${Array.from(value.slice(0, max * 2))
    .slice(0, max)
    .join("")}…`;
}
