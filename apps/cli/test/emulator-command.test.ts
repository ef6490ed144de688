import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSeed, generatedTenant } from "@idlink/emulator";
import { afterAll, describe, expect, test } from "vitest";
import { alice, idlink, startIdlink, tempDir } from "./helpers.ts";

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

interface Started {
  doc: {
    url: string;
    generated: { users: number; duplicateRate: number; seed: number } | null;
    rateLimit: { burst: number; perSecond: number } | false;
  };
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Spawns the built `idlink emulator --json --env-out F …` and waits for its document. */
async function startEmulator(args: string[]): Promise<Started> {
  const envOut = join(dir.path, `emu-${args.join("_").replace(/[^\w.-]/g, "")}.env`);
  const run = startIdlink(["emulator", "--json", "--env-out", envOut, ...args]);
  const end = Date.now() + 15_000;
  let doc: Started["doc"] | undefined;
  while (!doc && Date.now() < end) {
    try {
      doc = JSON.parse(run.stdout);
    } catch {
      if (run.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  if (!doc) {
    run.child.kill("SIGINT");
    throw new Error(`idlink emulator ${args.join(" ")} did not start: ${run.stdout}${run.stderr}`);
  }
  return {
    doc,
    env: envFrom(envOut),
    async stop() {
      run.child.kill("SIGINT");
      expect((await run.done).code).toBe(0);
    },
  };
}

/** A Management API read of Alice with the admin client's token: the answer's headers show the rate limit. */
async function readAlice({ doc, env }: Started): Promise<Response> {
  const token = await fetch(`${doc.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      grant_type: "client_credentials",
      client_id: env.AUTH0_CLIENT_ID,
      client_secret: env.AUTH0_CLIENT_SECRET,
      audience: `${doc.url}/api/v2/`,
    }),
  });
  expect(token.status).toBe(200);
  const { access_token } = (await token.json()) as { access_token: string };
  const answer = await fetch(`${doc.url}/api/v2/users/${encodeURIComponent(alice)}`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(answer.status).toBe(200);
  return answer;
}

describe("the emulator bin's tenant flags (--users, --duplicate-rate, --seed, --rate-limit)", () => {
  test("--users N --duplicate-rate R --seed S: the tenant holds the seed's users and N generated ones", async () => {
    const users = 250;
    const emu = await startEmulator(["--users", String(users), "--duplicate-rate", "0.2", "--seed", "9"]);
    try {
      expect(emu.doc.generated).toEqual({ users, duplicateRate: 0.2, seed: 9 });
      const work = join(dir.path, "generated");
      mkdirSync(work);
      const found = await idlink(["duplicates", "--json"], { env: emu.env, cwd: work });
      expect(found.code, found.stderr).toBe(0);
      expect(JSON.parse(found.stdout)).toMatchObject({ ok: true, users: defaultSeed().users.length + users });
      const last = generatedTenant({ users, duplicateRate: 0.2, seed: 9 }).at(users - 1);
      const shown = await idlink(["show", last.user_id, "--json"], { env: emu.env });
      expect(shown.code, shown.stderr).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({
        ok: true,
        user: { user_id: last.user_id, email: last.email },
      });
    } finally {
      await emu.stop();
    }
  });

  test("human output says how many users were generated and the rate limit", async () => {
    const run = startIdlink(["emulator", "--users", "40", "--rate-limit", "10/2"]);
    const end = Date.now() + 15_000;
    while (!run.stdout.includes("Then:") && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    run.child.kill("SIGINT");
    const result = await run.done;
    expect(result.stdout).toContain("Generated users: 40 besides the seed's (duplicate rate 0.1, seed 1).");
    expect(result.stdout).toContain("Rate limit: bursts of 10, 2 requests per second.");
    expect(result.code).toBe(0);
  });

  test("--rate-limit BURST/RATE applies to the Management API: x-ratelimit-limit is BURST", async () => {
    const emu = await startEmulator(["--rate-limit", "7/1"]);
    try {
      expect(emu.doc.rateLimit).toEqual({ burst: 7, perSecond: 1 });
      expect((await readAlice(emu)).headers.get("x-ratelimit-limit")).toBe("7");
    } finally {
      await emu.stop();
    }
  });

  test("--rate-limit off turns limiting and its headers off; without the flag, a paid tenant's 50/16.7", async () => {
    const off = await startEmulator(["--rate-limit", "off"]);
    try {
      expect(off.doc.rateLimit).toBe(false);
      const answer = await readAlice(off);
      expect(answer.headers.get("x-ratelimit-limit")).toBeNull();
      expect(answer.headers.get("x-ratelimit-remaining")).toBeNull();
    } finally {
      await off.stop();
    }
    const paid = await startEmulator([]);
    try {
      expect(paid.doc.rateLimit).toEqual({ burst: 50, perSecond: 16.7 });
      expect(paid.doc.generated).toBeNull();
      expect((await readAlice(paid)).headers.get("x-ratelimit-limit")).toBe("50");
    } finally {
      await paid.stop();
    }
  });

  test.each([
    [["--users", "-1"], "--users"],
    [["--users=-1"], "--users -1: not a whole number ≥ 1."],
    [["--users", "abc"], "--users abc: not a whole number ≥ 1."],
    [["--users", "10", "--duplicate-rate", "2"], "--duplicate-rate 2: not a number between 0 and 1."],
    [
      ["--duplicate-rate", "0.1"],
      "--duplicate-rate 0.1: applies to generated users, and there is no --users.",
    ],
    [["--rate-limit", "10"], "--rate-limit 10: not BURST/RATE or off."],
    [["--rate-limit", "0/5"], "--rate-limit 0/5: the burst must be at least 1."],
  ])("idlink emulator %j is a usage error naming the flag", async (args, message) => {
    const result = await idlink(["emulator", ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
    const flagName = message.split(/[ :]/)[0] ?? "";
    expect(flagName).toMatch(/^--(users|duplicate-rate|rate-limit)$/);
    // The hint says what to give instead, with the flag spelled as the command takes it.
    if (args[0] !== "--users" || args[1] !== "-1")
      expect(result.stderr).toMatch(new RegExp(`hint:.*${flagName} `));
  });

  test("a bad value is refused as JSON too, with its hint", async () => {
    const result = await idlink(["emulator", "--json", "--rate-limit", "0/5"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      exitCode: 2,
      error: {
        message: "--rate-limit 0/5: the burst must be at least 1.",
        hint: expect.stringContaining("--rate-limit 50/16.7"),
      },
    });
  });
});
