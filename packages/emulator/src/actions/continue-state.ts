import { randomBytes } from "node:crypto";

function packString(value: string): Buffer {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length < 32) return Buffer.concat([Buffer.from([0xa0 | bytes.length]), bytes]);
  if (bytes.length < 256) return Buffer.concat([Buffer.from([0xd9, bytes.length]), bytes]);
  const head = Buffer.alloc(3);
  head[0] = 0xda;
  head.writeUInt16BE(Math.min(bytes.length, 0xffff), 1);
  return Buffer.concat([head, bytes.subarray(0, 0xffff)]);
}

/**
 * The `state` a redirect Action's page receives and gives back to `/continue`, in the shape Auth0's has: base64url
 * (no padding) of a MessagePack map `{h: 32 random characters, n: "redirect", tid: the transaction id, cid: the
 * client id}` (decoded from a real one in community.auth0.com thread 133463, "Decode session token in continue
 * action", 2024). Opaque to everyone but the emulator, which looks the whole string up; `h` makes it unguessable.
 */
export function continueState(transactionId: string, clientId: string): string {
  const fields: [string, string][] = [
    ["h", randomBytes(24).toString("base64url")],
    ["n", "redirect"],
    ["tid", transactionId],
    ["cid", clientId],
  ];
  const parts: Buffer[] = [Buffer.from([0x80 | fields.length])];
  for (const [key, value] of fields) parts.push(packString(key), packString(value));
  return Buffer.concat(parts).toString("base64url");
}

/** The fields of a state made by `continueState` (tests read `tid` and `cid` back). */
export function readContinueState(state: string): Record<string, string> | undefined {
  const bytes = Buffer.from(state, "base64url");
  const first = bytes[0];
  if (first === undefined || (first & 0xf0) !== 0x80) return undefined;
  const fields: Record<string, string> = {};
  let at = 1;
  const readString = (): string | undefined => {
    const tag = bytes[at];
    if (tag === undefined) return undefined;
    let length: number | undefined;
    if ((tag & 0xe0) === 0xa0) {
      length = tag & 0x1f;
      at += 1;
    } else if (tag === 0xd9) {
      length = bytes[at + 1];
      at += 2;
    } else if (tag === 0xda && at + 2 < bytes.length) {
      length = bytes.readUInt16BE(at + 1);
      at += 3;
    }
    if (length === undefined || at + length > bytes.length) return undefined;
    const text = bytes.subarray(at, at + length).toString("utf8");
    at += length;
    return text;
  };
  for (let i = 0; i < (first & 0x0f); i++) {
    const key = readString();
    const value = readString();
    if (key === undefined || value === undefined) return undefined;
    fields[key] = value;
  }
  return fields;
}
