/**
 * Whether a value still carries the quotes it was written with: a `.env` file, a host's JSON config or cmd.exe pass
 * them on where a POSIX shell would have removed them (typographic quotes come from documents).
 */
export function isQuoted(value: string): boolean {
  return value.length >= 2 && /^['"‘“`].*['"’”`]$/s.test(value);
}
