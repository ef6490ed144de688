/**
 * Whether a value still carries the quotes it was written with: a `.env` file, a host's JSON config or cmd.exe pass
 * them on where a POSIX shell would have removed them (typographic quotes come from documents).
 */
export function isQuoted(value: string): boolean {
  return value.length >= 2 && /^['"‘“`].*['"’”`]$/s.test(value);
}

/** A value as messages echo it: at most `max` characters, so a pasted kilobyte never comes back whole. */
export function truncate(value: string, max = 40): string {
  if (value.length <= max) return value;
  // By code points, so an emoji is never cut in half.
  return `${Array.from(value.slice(0, max * 2))
    .slice(0, max)
    .join("")}…`;
}
