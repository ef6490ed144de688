import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as kit from "@idlink/test-kit";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, test } from "vitest";
import { adminClient, defaultSeed, type Emulator, generatedTenant, seedUsers } from "../src/index.ts";
import { exchange, signIn } from "./login-flow.ts";

// The README's commands, run as it writes them: `node packages/emulator/dist/bin.js …` from the repository's root
// (the global setup built dist/). Each server is stopped with SIGTERM, as the README says it stops.
const root = fileURLToPath(new URL("../../..", import.meta.url));
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const blocks = (lang: string) =>
  [...readme.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1] ?? "");
const shLines = blocks("sh").flatMap((b) => b.split("\n").filter((l) => l.trim() !== ""));
const binCommands = shLines.filter((l) => l.startsWith("node packages/emulator/dist/bin.js"));
const buildCommand = "npx -y pnpm@12.4.2 --filter @idlink/emulator run build";
const usage = blocks("text").find((b) => b.startsWith("Usage: idlink-emulator"));
const admin = adminClient(defaultSeed());

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** `node <args>` from the repository's root, with only PATH from the environment. */
function node(args: string[]): Run {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? "" } });
  running.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exit = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      kit.recordOutput(`emulator bin: ${args.slice(1).join(" ")}`, stdout + stderr);
      resolve(code);
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Resolves with the URL the bin prints, or rejects with what it printed if it exits first. */
function listening(run: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout());
      if (match?.[1]) resolve(match[1]);
    };
    run.child.stdout?.on("data", check);
    check();
    void run.exit.then((code) => reject(new Error(`exited ${code}: ${run.stdout()}${run.stderr()}`)));
  });
}

/** The argv of a README line: its words, without a trailing `# comment`. */
const argvOf = (line: string) =>
  line
    .replace(/\s+#.*$/, "")
    .split(/\s+/)
    .slice(1);
const flag = (args: string[], name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

describe("the README's bin commands work as written", () => {
  test("it shows the build and the node commands, nothing else, and --help among them", () => {
    expect(binCommands.length).toBeGreaterThanOrEqual(3);
    expect(shLines.filter((l) => !binCommands.includes(l))).toEqual([buildCommand]);
    expect(binCommands.some((l) => argvOf(l).includes("--help"))).toBe(true);
    expect(usage).toBeDefined();
  });

  test.each(binCommands)("%s", async (line) => {
    const args = argvOf(line);
    const run = node(args);
    if (args.includes("--help")) {
      expect(await run.exit).toBe(0);
      expect(run.stdout()).toBe(usage);
      return;
    }
    const url = await listening(run);
    try {
      const port = flag(args, "--port");
      if (port !== undefined) expect(url).toBe(`http://127.0.0.1:${port}`);
      const tokenAnswer = await fetch(`${url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          grant_type: "client_credentials",
          client_id: admin?.clientId,
          client_secret: admin?.clientSecret,
          audience: `${url}/api/v2/`,
        }),
      });
      expect(tokenAnswer.status).toBe(200);
      const { access_token } = (await tokenAnswer.json()) as { access_token: string };
      const get = (id: string) =>
        fetch(`${url}/api/v2/users/${encodeURIComponent(id)}`, {
          headers: { authorization: `Bearer ${access_token}` },
        });
      const answer = await get(defaultSeed().users[0]?.user_id ?? "");
      expect(answer.status).toBe(200);
      const rateLimit = flag(args, "--rate-limit");
      if (rateLimit !== undefined && rateLimit !== "off") {
        expect(answer.headers.get("x-ratelimit-limit")).toBe(rateLimit.split("/")[0]);
      }
      const users = flag(args, "--users");
      if (users !== undefined) {
        const options = {
          users: Number(users),
          duplicateRate: Number(flag(args, "--duplicate-rate") ?? 0.1),
          seed: Number(flag(args, "--seed") ?? 1),
        };
        expect(run.stdout()).toContain(`generated users:     ${users} `);
        const last = generatedTenant(options).at(options.users - 1);
        expect(await (await get(last.user_id)).json()).toMatchObject({
          user_id: last.user_id,
          email: last.email,
        });
      }
    } finally {
      run.child.kill("SIGTERM");
    }
    expect(await run.exit).toBe(0);
    expect(run.stdout()).not.toContain(admin?.clientSecret);
  });
});

describe("the bin refuses a bad tenant flag, naming it and the fix", () => {
  test.each([
    [["--users", "abc"], "--users abc: not a whole number ≥ 1.", "e.g. --users 100000"],
    [
      ["--users", "10", "--duplicate-rate", "2"],
      "--duplicate-rate 2: not a number between 0 and 1.",
      "(0..1)",
    ],
    [["--rate-limit", "10"], "--rate-limit 10: not BURST/RATE or off.", "--rate-limit off"],
    [["--rate-limit", "0/5"], "--rate-limit 0/5: the burst must be at least 1.", "BURST ≥ 1"],
  ])("%j", async (flags, message, fix) => {
    const run = node(["packages/emulator/dist/bin.js", ...flags]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(`idlink-emulator: ${message}`);
    expect(run.stderr()).toContain(fix);
    expect(run.stdout()).toBe("");
  });
});

describe("the bin runs post-login Actions", () => {
  const secret = "emulator-only-bin-action-secret-6e1f";
  kit.recordSecrets(secret);

  test("--action FILE --action-secret KEY=VALUE: the claim is in the ID token, the secret is never printed", async () => {
    const run = node([
      "packages/emulator/dist/bin.js",
      "--action",
      "packages/emulator/test/fixtures/actions/greeting.js",
      "--action-secret",
      `GREETING=${secret}`,
    ]);
    const url = await listening(run);
    try {
      expect(run.stdout()).toContain("post-login actions:  greeting");
      expect(run.stdout()).toContain("secrets: GREETING (values not shown)");
      const em = { url, managementAudience: `${url}/api/v2/` } as Emulator;
      const { next, verifier } = await signIn(em, seedUsers.alice);
      const tokens = await exchange(em, next, verifier);
      expect(decodeJwt(tokens.id_token)["https://idlink.example/greeting"]).toBe(
        `hello Alice Martin (a secret of ${secret.length} characters)`,
      );
      await expect
        .poll(() => run.stdout())
        .toContain("[action greeting] log: greeting alice.martin@example.com with [secret]");
    } finally {
      run.child.kill("SIGTERM");
    }
    expect(await run.exit).toBe(0);
    expect(run.stdout() + run.stderr()).not.toContain(secret);
  });

  test.each([
    [["--action-secret", `GREETING=${secret}`], "--action-secret: there is no --action to give it to."],
    [
      ["--action", "packages/emulator/test/fixtures/actions/none.js"],
      "cannot read action packages/emulator/test/fixtures/actions/none.js",
    ],
    [
      ["--action", "packages/emulator/test/fixtures/actions/greeting.js", "--action-secret", secret],
      "--action-secret: an argument is not KEY=VALUE",
    ],
  ])("refuses %j, naming the flag, never the secret", async (flags, message) => {
    const run = node(["packages/emulator/dist/bin.js", ...flags]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(`idlink-emulator: ${message}`);
    expect(run.stdout() + run.stderr()).not.toContain(secret);
  });
});
