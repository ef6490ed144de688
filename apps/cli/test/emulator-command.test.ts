import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { idlink, startIdlink, tempDir } from "./helpers.ts";

const dir = tempDir();
afterAll(() => dir.cleanup());

function envFrom(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.replace(/^export /, "").split("=") as [string, string]),
  );
}

test("starts the emulator, prints how to use it, serves idlink, and stops on Ctrl-C", async () => {
  const envOut = join(dir.path, "emu.env");
  const run = startIdlink(["emulator", "--json", "--env-out", envOut]);
  let doc: { url: string; clients: { client_id: string }[] } | undefined;
  const end = Date.now() + 15_000;
  while (!doc && Date.now() < end) {
    try {
      doc = JSON.parse(run.stdout);
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    expect(doc?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(doc?.clients.map((c) => c.client_id)).toEqual(["idlink-admin", "idlink-reader"]);
    expect(statSync(envOut).mode & 0o777).toBe(0o600);
    const env = envFrom(envOut);
    expect(env.AUTH0_DOMAIN).toBe(doc?.url);
    const shown = await idlink(["show", "auth0|64f1a2b3c4d5e6f708192a3b", "--json"], { env });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ ok: true, user: { email: "alice.martin@example.com" } });
  } finally {
    run.child.kill("SIGINT");
  }
  const result = await run.done;
  expect(result.code).toBe(0);
  expect(result.stdout + result.stderr).not.toContain("emulator-only-secret");
});

test("human output says how to point idlink at it, without the secret", async () => {
  const run = startIdlink(["emulator"]);
  const end = Date.now() + 15_000;
  while (!run.stdout.includes("Then:") && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  run.child.kill("SIGINT");
  const result = await run.done;
  expect(result.stdout).toContain("export AUTH0_DOMAIN=http://127.0.0.1:");
  expect(result.stdout).toContain("export AUTH0_CLIENT_ID=idlink-admin");
  expect(result.stdout).not.toContain("emulator-only-secret");
  expect(result.code).toBe(0);
});

test("a bad seed or port is a usage error", async () => {
  const seed = join(dir.path, "seed.json");
  writeFileSync(seed, JSON.stringify({ connections: [], clients: [], users: [] }));
  const badSeed = await idlink(["emulator", "--seed", seed]);
  expect(badSeed.code).toBe(2);
  expect(badSeed.stderr).toContain("clients");
  const badPort = await idlink(["emulator", "--port", "99999"]);
  expect(badPort.code).toBe(2);
});
