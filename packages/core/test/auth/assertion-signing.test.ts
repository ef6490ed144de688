import { recordSecrets } from "@idlink/test-kit";
import { compactVerify, decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair } from "jose";
import { describe, expect, test } from "vitest";
import { importSigningKey, signClientAssertion } from "../../src/auth/assertion-signing.ts";
import { ValidationError } from "../../src/present/errors.ts";

const pair = await generateKeyPair("RS256", { extractable: true });
const pem = await exportPKCS8(pair.privateKey);
recordSecrets(pem, ...pem.split("\n").filter((line) => line.length >= 40));

describe("importSigningKey", () => {
  test("imports a PKCS#8 key for the algorithm, not extractable", async () => {
    const signingKey = await importSigningKey(pem, "PS256", "AUTH0_CLIENT_ASSERTION_SIGNING_KEY");
    expect(signingKey.alg).toBe("PS256");
    expect(signingKey.key.extractable).toBe(false);
  });

  test("refuses a key of the wrong shape before importing it, naming its source", async () => {
    const error = await importSigningKey(
      "not a key",
      "RS256",
      "AUTH0_CLIENT_SIGNING_KEY_PATH (./k.pem)",
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      {
        path: "AUTH0_CLIENT_SIGNING_KEY_PATH (./k.pem)",
        message: expect.stringContaining("is not a PEM private key"),
      },
    ]);
  });

  test("refuses a PEM that is no RSA key, without echoing it", async () => {
    const ec = await exportPKCS8((await generateKeyPair("ES256", { extractable: true })).privateKey);
    const error = await importSigningKey(ec, "RS256", "the key").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain("the key is not an RSA private key usable with RS256");
    for (const line of ec.split("\n").filter((l) => l.length >= 40))
      expect((error as Error).message).not.toContain(line);
  });
});

describe("signClientAssertion", () => {
  test("signs the claims Auth0's Private Key JWT guide asks for, for one minute", async () => {
    const signingKey = await importSigningKey(pem, "RS256", "key");
    const before = Math.floor(Date.now() / 1000);
    const assertion = await signClientAssertion({
      clientId: "m2m",
      origin: "https://t.eu.auth0.com",
      signingKey,
    });
    recordSecrets(assertion);
    await compactVerify(assertion, pair.publicKey);
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: "RS256", typ: "JWT" });
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({ iss: "m2m", sub: "m2m", aud: "https://t.eu.auth0.com/" });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("gives each assertion its own jti", async () => {
    const signingKey = await importSigningKey(pem, "RS256", "key");
    const input = { clientId: "m2m", origin: "https://t.eu.auth0.com", signingKey };
    const [a, b] = await Promise.all([signClientAssertion(input), signClientAssertion(input)]);
    recordSecrets(a, b);
    expect(decodeJwt(a).jti).not.toBe(decodeJwt(b).jti);
  });
});
