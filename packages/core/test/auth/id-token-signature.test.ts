import { describe, expect, test } from "vitest";
import { checkLinkWithSignature } from "../../src/auth/id-token-signature.ts";
import { createManagementClient } from "../../src/http/client.ts";
import { json, TOKEN } from "../fetch-recorder.ts";

const algorithm = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
};

async function keyPair(kid: string) {
  const pair = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { kty: "RSA", n: jwk.n, e: jwk.e, kid, alg: "RS256", use: "sig" },
  };
}

const b64 = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes).toString("base64url");

async function idToken(
  key: { kid: string; privateKey: Parameters<typeof crypto.subtle.sign>[1] },
  claims: Record<string, unknown>,
  alg = "RS256",
) {
  const signed = `${b64(JSON.stringify({ alg, typ: "JWT", kid: key.kid }))}.${b64(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign(algorithm, key.privateKey, new TextEncoder().encode(signed));
  return `${signed}.${b64(new Uint8Array(signature))}`;
}

/** A client whose tenant publishes `published()` at /.well-known/jwks.json, counting the fetches. */
function tenant(published: () => unknown[] | Error) {
  let fetches = 0;
  const fetch = async (request: Request) => {
    expect(new URL(request.url).pathname).toBe("/.well-known/jwks.json");
    expect(request.headers.get("authorization")).toBeNull();
    fetches += 1;
    const keys = published();
    if (keys instanceof Error) throw keys;
    return json(200, { keys });
  };
  return {
    client: createManagementClient({ domain: "t.auth0.com", token: TOKEN, fetch }),
    fetches: () => fetches,
  };
}

describe("checkLinkWithSignature", () => {
  test("a token the tenant signed passes; its keys are fetched once a client", async () => {
    const key = await keyPair("k1");
    const { client, fetches } = tenant(() => [key.jwk]);
    const token = await idToken(key, { sub: "github|1" });
    expect(await checkLinkWithSignature(client, token)).toEqual([]);
    expect(await checkLinkWithSignature(client, token)).toEqual([]);
    expect(fetches()).toBe(1);
  });

  test("an altered token is refused at link_with, without echoing it", async () => {
    const key = await keyPair("k1");
    const { client } = tenant(() => [key.jwk]);
    const [header, , signature] = (await idToken(key, { sub: "github|1" })).split(".");
    const forged = `${header}.${b64(JSON.stringify({ sub: "github|2" }))}.${signature}`;
    const issues = await checkLinkWithSignature(client, forged);
    expect(issues).toEqual([
      {
        path: "link_with",
        message: expect.stringContaining("link_with's signature does not verify with the tenant's key"),
      },
    ]);
    expect(JSON.stringify(issues)).not.toContain(forged.slice(0, 20));
  });

  test("a token signed by another key of the same kid is refused", async () => {
    const [ours, theirs] = [await keyPair("k1"), await keyPair("k1")];
    const { client } = tenant(() => [ours.jwk]);
    expect(await checkLinkWithSignature(client, await idToken(theirs, { sub: "github|1" }))).toHaveLength(1);
  });

  test("a kid the tenant does not list: the keys are read again (rotation), then refused", async () => {
    const [old, rotated, stranger] = [await keyPair("k1"), await keyPair("k2"), await keyPair("k9")];
    let published = [old.jwk];
    const { client, fetches } = tenant(() => published);
    expect(await checkLinkWithSignature(client, await idToken(old, { sub: "a|1" }))).toEqual([]);
    published = [old.jwk, rotated.jwk];
    expect(await checkLinkWithSignature(client, await idToken(rotated, { sub: "a|1" }))).toEqual([]);
    expect(fetches()).toBe(2);
    const issues = await checkLinkWithSignature(client, await idToken(stranger, { sub: "a|1" }));
    expect(issues[0]?.message).toContain("link_with was not signed by this tenant (no key k9 in its JWKS)");
  });

  test("keys that cannot be had leave the decision to Auth0; the next check fetches again", async () => {
    const key = await keyPair("k1");
    let down = true;
    const { client, fetches } = tenant(() => (down ? new TypeError("fetch failed") : [key.jwk]));
    const token = await idToken(key, { sub: "github|1" });
    expect(await checkLinkWithSignature(client, token)).toEqual([]);
    down = false;
    expect(await checkLinkWithSignature(client, token)).toEqual([]);
    expect(fetches()).toBe(2);
  });

  test("only RS256 is checked here (preflightLink refuses the rest)", async () => {
    const key = await keyPair("k1");
    const { client, fetches } = tenant(() => [key.jwk]);
    expect(await checkLinkWithSignature(client, await idToken(key, { sub: "a|1" }, "HS256"))).toEqual([]);
    expect(await checkLinkWithSignature(client, "not-a-jwt")).toEqual([]);
    expect(fetches()).toBe(0);
  });
});
