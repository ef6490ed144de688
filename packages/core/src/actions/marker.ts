// How idlink knows its own Action: the first line of the code it deploys names idlink and the SHA-256 of the rest.
// An Action of the same name without that line is someone else's, and idlink never overwrites it.

const prefix = "// idlink-action sha256:";
const markerLine = /^\/\/ idlink-action sha256:([0-9a-f]{64})\b[^\n]*\n/;

/** The code as idlink deploys it, and the SHA-256 (hex) of the source it was made from. */
export interface MarkedCode {
  code: string;
  hash: string;
}

/** What the marker of a deployed code says: the hash it names, and whether the code after it still has that hash. */
export interface CodeMarker {
  hash: string;
  /** False when the code was edited after idlink deployed it (in the dashboard's editor, say). */
  intact: boolean;
}

/** The SHA-256 of a text (UTF-8), in hex. Web Crypto: Node 20+ and browsers. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The source without a marker line idlink put there (code read back from Auth0 can be deployed again). */
export function unmarked(code: string): string {
  return code.replace(markerLine, "");
}

/** Prefixes the source with idlink's marker line; the hash is the source's, so a rebuild of the same code matches. */
export async function markCode(source: string): Promise<MarkedCode> {
  const body = unmarked(source);
  const hash = await sha256Hex(body);
  const line = `${prefix}${hash} — deployed by \`idlink action deploy\`; edits made here are replaced by the next deploy.`;
  return { code: `${line}\n${body}`, hash };
}

/** Reads idlink's marker from an Action's code; undefined when the code does not start with one. */
export async function readMarker(code: string | undefined): Promise<CodeMarker | undefined> {
  if (typeof code !== "string") return undefined;
  const match = markerLine.exec(code);
  if (!match?.[1]) return undefined;
  const hash = match[1];
  return { hash, intact: (await sha256Hex(code.slice(match[0].length))) === hash };
}

/** A hash as messages show it: its first 12 characters. */
export const shortHash = (hash: string): string => hash.slice(0, 12);
