import { generateKeyPairSync } from "node:crypto";
import {
  createManagementClient,
  describeError,
  type FetchLike,
  ManagementApiError,
  ValidationError,
} from "@idlink/core";
import { clientCredentialsToken } from "@idlink/core/node";
import { defaultSeed, withPrivateKeyJwtClient } from "@idlink/emulator";
import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import { alice, useEmulator } from "./helpers.ts";

const clientId = "idlink-admin-jwt";
const pair = () =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
const { privateKey: pem, publicKey } = pair();
const otherPem = pair().privateKey;
recordSecrets(pem, otherPem);
const emulator = useEmulator({
  seed: withPrivateKeyJwtClient(defaultSeed(), { clientId, publicKeyPem: publicKey }),
});

/** A fetch that keeps every client assertion it sends (for the secret scan) and what came back. */
function recording() {
  const answers: string[] = [];
  const fetchImpl: FetchLike = async (request) => {
    const body = request.method === "POST" ? await request.clone().text() : "";
    const assertion = /"client_assertion":"([^"]+)"/.exec(body)?.[1];
    if (assertion) recordSecrets(assertion);
    const response = await fetch(request);
    answers.push(await response.clone().text());
    return response;
  };
  return { fetch: fetchImpl, answers };
}

function shown(error: unknown): string {
  const text = JSON.stringify(describeError(error));
  recordOutput("wire-test: Private Key JWT error", text);
  return text;
}

describe("core's client with Private Key JWT, against the emulator", () => {
  test("gets a Management token with a signed assertion and reads a user", async () => {
    const em = emulator();
    const { fetch, answers } = recording();
    const client = createManagementClient({
      domain: em.url,
      getToken: clientCredentialsToken({ clientId, clientAssertionSigningKey: pem }),
      fetch,
    });
    expect((await client.getUser(alice)).user_id).toBe(alice);
    for (const answer of answers) recordOutput("wire-test: emulator answer", answer);
  });

  test.each([
    ["another key", { clientAssertionSigningKey: otherPem }, "Invalid client assertion signature"],
    [
      "another algorithm",
      { clientAssertionSigningKey: pem, clientAssertionSigningAlg: "PS256" as const },
      "alg",
    ],
  ])("is refused with %s, and says what to check", async (_name, key, description) => {
    const em = emulator();
    const client = createManagementClient({
      domain: em.url,
      getToken: clientCredentialsToken({ clientId, ...key }),
      fetch: recording().fetch,
    });
    const error = await client.getUser(alice).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect(error).toMatchObject({ status: 401, error: "invalid_client" });
    expect((error as ManagementApiError).apiMessage).toContain(description);
    const text = shown(error);
    expect(text).toContain("public key is registered on the application");
    for (const line of [pem, otherPem].flatMap((k) => k.split("\n")).filter((l) => l.length >= 40)) {
      expect(text).not.toContain(line);
    }
  });

  test("a key that is not PKCS#8 fails before anything is sent", async () => {
    const em = emulator();
    const before = em.state.requests.length;
    const client = createManagementClient({
      domain: em.url,
      getToken: clientCredentialsToken({
        clientId,
        clientAssertionSigningKey: "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        signingKeySource: "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
      }),
    });
    const error = await client.getUser(alice).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(shown(error)).toContain("AUTH0_CLIENT_ASSERTION_SIGNING_KEY holds a PKCS#1 key");
    expect(em.state.requests.length).toBe(before);
  });
});
