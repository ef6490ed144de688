import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  type Seed,
  seedSecrets,
  seedUsers,
} from "@idlink/emulator";
import * as kit from "@idlink/test-kit";
import { expect } from "vitest";
import { Journal, type JournalHeader, readJournal } from "../src/bulk/journal.ts";
import { type JournalKey, loadJournalKey } from "../src/bulk/journal-key.ts";
import { readEnv } from "../src/env.ts";
import type { Io } from "../src/io.ts";
import { runCli } from "../src/program.ts";

/** Users of the emulator's default seed that the tests link and unlink (named once, by the emulator). */
export const { alice, aliceGoogle, bob, bobGithub, carol, carolGoogle, jane, janeSaml, frank, frankGithub } =
  seedUsers;

export const bin = fileURLToPath(new URL("../dist/idlink.js", import.meta.url));

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  cwd?: string;
}

/** No test reads the config file of the machine's user: a profile comes only from a test's own IDLINK_CONFIG. */
export const hermetic = { IDLINK_CONFIG: join(tmpdir(), "idlink-tests-no-config", "config.json") };

/**
 * Runs idlink in-process through its injectable Io (`runCli`), as a script would see it: no terminal, stdin from
 * `input`, the environment from `env` only. The default for tests; `idlinkBin` runs the built bin end to end.
 */
export async function idlink(args: string[], options: RunOptions = {}): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    env: readEnv({ ...hermetic, ...options.env }),
    writeOut: (text) => {
      stdout += text;
    },
    writeErr: (text) => {
      stderr += text;
    },
    readStdin: async () => options.input ?? "",
    prompt: async () => "",
    interactive: false,
    stderrIsTTY: false,
    colorOut: false,
    colorErr: false,
    interrupt: new AbortController().signal,
    cwd: options.cwd ?? process.cwd(),
    pid: process.pid,
  };
  const code = await runCli(args, io);
  kit.recordOutput(`cli: idlink ${args[0] ?? ""}`, stdout + stderr);
  return { code, signal: null, stdout, stderr };
}

/** Spawns the built idlink with a clean environment (no AUTH0_* from the host): the end-to-end runs. */
export function idlinkBin(args: string[], options: RunOptions = {}): Promise<Result> {
  const child = startIdlink(args, options);
  return child.done;
}

export function startIdlink(args: string[], options: RunOptions = {}) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", ...hermetic };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [bin, ...args], { env, cwd: options.cwd ?? process.cwd() });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  child.stdin.end(options.input ?? "");
  const done = new Promise<Result>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      kit.recordOutput(`cli: idlink ${args[0] ?? ""}`, stdout + stderr);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

/** An emulator plus the credentials a test hands idlink, and every secret that must never be printed. */
export interface Tenant {
  emu: Emulator;
  adminToken: string;
  readerToken: string;
  secrets: string[];
  /** Env for idlink with the admin Management token. */
  env: Record<string, string>;
  /** Env for idlink with the admin client's credentials. */
  clientEnv: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTenant(options: EmulatorOptions = {}): Promise<Tenant> {
  const emu = await createEmulator(options);
  const adminToken = await emu.mintToken({ scopes: ["read:users", "update:users", "read:user_idp_tokens"] });
  const readerToken = await emu.mintToken({ scopes: ["read:users"], azp: "idlink-reader" });
  const secrets = [...seedSecrets(options.seed), adminToken, readerToken];
  kit.recordSecrets(...secrets);
  return {
    emu,
    adminToken,
    readerToken,
    secrets,
    env: { AUTH0_DOMAIN: emu.url, AUTH0_TOKEN: adminToken },
    clientEnv: {
      AUTH0_DOMAIN: emu.url,
      AUTH0_CLIENT_ID: "idlink-admin",
      AUTH0_CLIENT_SECRET: "emulator-only-secret-admin",
    },
    stop: () => emu.stop(),
  };
}

/** None of the secrets appears in stdout or stderr (whole, or as the JWT signature part). */
export function expectNoSecrets(result: { stdout: string; stderr: string }, secrets: string[]): void {
  const output = result.stdout + result.stderr;
  kit.recordSecrets(...secrets);
  for (const secret of secrets) {
    expect(output).not.toContain(secret);
    const signature = secret.split(".")[2];
    if (signature && signature.length > 16) expect(output).not.toContain(signature);
  }
}

/** Exactly one JSON document on stdout. */
export function json(result: { stdout: string }): Record<string, unknown> {
  const parsed: unknown = JSON.parse(result.stdout);
  expect(typeof parsed).toBe("object");
  return parsed as Record<string, unknown>;
}

export function tempDir(): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), "idlink-cli-"));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** The Management API writes (POST/DELETE/PATCH on /api/v2) the emulator received. */
export function writes(emu: Emulator): string[] {
  return emu.state.requests
    .filter((r) => r.method !== "GET" && r.path.startsWith("/api/v2/"))
    .map((r) => `${r.method} ${r.path}`);
}

/** A seed of `pairs` primaries (auth0|p…) and secondaries (google-oauth2|s…), on top of the default clients. */
export function pairSeed(base: Seed, pairs: number): Seed {
  const users: Seed["users"] = [];
  for (let i = 0; i < pairs; i++) {
    const n = String(i).padStart(6, "0");
    users.push({
      user_id: `auth0|p${n}`,
      email: `user${n}@example.com`,
      email_verified: true,
      identities: [{ connection: "Username-Password-Authentication", provider: "auth0", user_id: `p${n}` }],
    });
    users.push({
      user_id: `google-oauth2|s${n}`,
      email: `user${n}@example.com`,
      email_verified: true,
      identities: [{ connection: "google-oauth2", provider: "google-oauth2", user_id: `s${n}` }],
    });
  }
  return { ...base, users };
}

export const pairIds = (i: number) => {
  const n = String(i).padStart(6, "0");
  return { primary: `auth0|p${n}`, secondary: `google-oauth2|s${n}` };
};

let seq = 0;
/** Writes a pairs file of the first `count` pairIds into `dir`. */
export function pairsFile(dir: string, count: number, format: "csv" | "jsonl" = "csv"): string {
  seq += 1;
  const path = join(dir, `pairs-${seq}.${format}`);
  const lines: string[] = format === "csv" ? ["primary,secondary"] : [];
  for (let i = 0; i < count; i++) {
    const { primary, secondary } = pairIds(i);
    lines.push(format === "csv" ? `${primary},${secondary}` : JSON.stringify({ primary, secondary }));
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** The journal's records; a torn last line is skipped, as idlink does. */
export function journalRecords(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** Polls `check` every 20 ms until it holds. */
export const waitFor = async (check: () => boolean, timeoutMs = 30_000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** The journal key idlink uses in these tests (beside the hermetic config), or beside `config`. */
export function testJournalKey(config: string = hermetic.IDLINK_CONFIG): JournalKey {
  return loadJournalKey({ IDLINK_CONFIG: config }, process.cwd());
}

/** Appends `records` to the journal at `path` as idlink does (signed with the tests' key), for `origin`'s tenant. */
export async function writeJournal(
  path: string,
  origin: string,
  records: object[],
  kind: JournalHeader["kind"] = "bulk",
): Promise<void> {
  const key = testJournalKey();
  const target = { path, name: path };
  const state = await readJournal({ target, kind, use: "append", key: () => key });
  const journal = new Journal<{ type: string }>(target, key, state, {
    kind,
    run: state.header?.run ?? randomUUID(),
    tenant: { origin, audience: `${origin}/api/v2/` },
  });
  for (const record of records) await journal.append(record as { type: string });
  journal.close();
}
