import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import { describe, expect, test } from "vitest";
import {
  checkSigningKeyPem,
  clientAssertionType,
  parseSigningAlg,
  signingAlgs,
} from "../../src/auth/client-assertion.ts";

const pair = await generateKeyPair("RS256", { extractable: true });
const pem = await exportPKCS8(pair.privateKey);
const publicPem = await exportSPKI(pair.publicKey);

describe("checkSigningKeyPem", () => {
  test.each([
    ["", "is empty"],
    [publicPem, "holds a public key"],
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----", "PKCS#1 key"],
    [
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----",
      "passphrase-protected",
    ],
    ["my-client-secret-value", "is not a PEM private key"],
  ])("refuses %j", (value, message) => {
    const result = checkSigningKeyPem(value, "AUTH0_CLIENT_ASSERTION_SIGNING_KEY");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.path).toBe("AUTH0_CLIENT_ASSERTION_SIGNING_KEY");
    expect(result.issues[0]?.message).toContain(message);
    expect(result.issues[0]?.message).not.toContain("my-client-secret-value");
  });

  test("takes a PKCS#8 private key, trimmed", () => {
    expect(checkSigningKeyPem(`\n${pem}\n\n`, "AUTH0_CLIENT_ASSERTION_SIGNING_KEY")).toEqual({
      ok: true,
      value: pem.trim(),
    });
  });

  test("never echoes what it was given", () => {
    const key = `-----BEGIN PRIVATE KEY-----\n${"Q".repeat(64)}!\n-----END PRIVATE KEY-----`;
    const result = checkSigningKeyPem(key, "--private-key-file (./k.pem)");
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain("Q".repeat(64));
  });
});

describe("parseSigningAlg", () => {
  test.each([
    ["RS256", "RS256"],
    ["ps256", "PS256"],
    [" rs384 ", "RS384"],
  ])("reads %j as %s", (value, alg) => {
    expect(parseSigningAlg(value, "AUTH0_CLIENT_ASSERTION_SIGNING_ALG")).toEqual({ ok: true, value: alg });
  });

  test("refuses another algorithm, naming the source and the ones Auth0 accepts", () => {
    expect(parseSigningAlg("HS256", 'profile "staging" signingAlg')).toEqual({
      ok: false,
      issues: [
        {
          path: 'profile "staging" signingAlg',
          message:
            'profile "staging" signingAlg must be one of RS256, RS384, PS256 (the algorithm of the credential registered in Auth0), not "HS256"',
        },
      ],
    });
  });

  test("cuts a pasted value short", () => {
    const result = parseSigningAlg("x".repeat(500), "ALG");
    expect(!result.ok && result.issues[0]?.message).toContain(`not "${"x".repeat(16)}"`);
    expect(!result.ok && result.issues[0]?.message).not.toContain("x".repeat(17));
  });
});

describe("the constants", () => {
  test("are those of RFC 7523 and of Auth0's Private Key JWT", () => {
    expect(clientAssertionType).toBe("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    expect(signingAlgs).toEqual(["RS256", "RS384", "PS256"]);
  });
});
