import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const script = fileURLToPath(new URL("../../../scripts/secret-scan.mjs", import.meta.url));
const seed = fileURLToPath(new URL("../../emulator/seed.json", import.meta.url));

/** A throwaway workspace with one package's recordings, scanned by the real script. */
function scan(outputs: string[], secrets: string[]) {
  const root = mkdtempSync(join(tmpdir(), "idlink-scan-"));
  mkdirSync(join(root, "packages/emulator"), { recursive: true });
  cpSync(seed, join(root, "packages/emulator/seed.json"));
  const dir = join(root, "apps/demo/test-results/secret-scan");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "secrets-1.jsonl"), secrets.map((s) => `${JSON.stringify(s)}\n`).join(""));
  writeFileSync(
    join(dir, "outputs-1.jsonl"),
    outputs.map((t) => `${JSON.stringify({ source: "demo", text: t })}\n`).join(""),
  );
  return spawnSync("node", [script], { env: { ...process.env, IDLINK_SCAN_ROOT: root }, encoding: "utf8" });
}

test("passes when no recorded output holds a secret", () => {
  const run = scan(["linked auth0|1 and github|2"], ["a-management-token-value"]);
  expect(run.stdout).toContain("0 hits");
  expect(run.status).toBe(0);
});

test("fails on a recorded secret", () => {
  const run = scan(["Bearer a-management-token-value"], ["a-management-token-value"]);
  expect(run.stdout).toContain("1 hits");
  expect(run.stdout).toContain("a secret appears in demo");
  expect(run.status).toBe(1);
});

test("fails on a seed client secret, which every suite uses without recording it", () => {
  const run = scan(["oops: emulator-only-secret-admin"], ["unrelated-secret-value"]);
  expect(run.status).toBe(1);
});

test("fails when nothing was recorded", () => {
  const run = scan([], []);
  expect(run.stdout).toContain("nothing recorded");
  expect(run.status).toBe(1);
});

test("fails on one line of a recorded private key", () => {
  const body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
  const pem = `-----BEGIN PRIVATE KEY-----\n${body}\nQ2xpZW50IGFzc2VydGlvbiBzaWduaW5nIGtleSBsaW5lIHR3bw==\n-----END PRIVATE KEY-----\n`;
  const run = scan([`key was: ${body}`], [pem]);
  expect(run.stdout).toContain("a secret appears in demo");
  expect(run.status).toBe(1);
});
