import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultSeed } from "@idlink/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { readEnv } from "../src/env.ts";
import type { Io } from "../src/io.ts";
import { runCli } from "../src/program.ts";
import {
  alice,
  aliceGoogle,
  expectNoSecrets,
  pairIds,
  pairSeed,
  startTenant,
  type Tenant,
  tempDir,
  writes,
} from "./helpers.ts";

const ansi = "\u001b[";

/** A terminal session for runCli: answers prompts from `answers`, records what was written. */
function terminal(env: Record<string, string>, answers: string[] = [], options: { noColor?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const io: Io = {
    env: readEnv({ ...env, ...(options.noColor ? { NO_COLOR: "1" } : {}) }),
    writeOut: (t) => out.push(t),
    writeErr: (t) => err.push(t),
    readStdin: async () => "",
    prompt: async (q) => {
      prompts.push(q);
      return answers.shift() ?? "";
    },
    interactive: true,
    stderrIsTTY: true,
    colorOut: !options.noColor,
    colorErr: !options.noColor,
    interrupt: new AbortController().signal,
    cwd: process.cwd(),
    pid: process.pid,
  };
  return {
    io,
    prompts,
    get stdout() {
      return out.join("");
    },
    get stderr() {
      return err.join("");
    },
  };
}

let tenant: Tenant;
const dir = tempDir();
beforeAll(async () => {
  tenant = await startTenant({ seed: pairSeed(defaultSeed(), 30), rateLimit: false });
});
afterAll(async () => {
  await tenant.stop();
  dir.cleanup();
});
beforeEach(() => tenant.emu.state.reset());

describe("on a terminal", () => {
  test("asks before linking; 'n' sends nothing and exits 5", async () => {
    const t = terminal(tenant.env, ["n"]);
    tenant.emu.state.reset(pairSeed(defaultSeed(), 30));
    const p = pairIds(0);
    expect(await runCli(["link", p.primary, p.secondary], t.io)).toBe(5);
    expect(t.prompts).toEqual([`Link ${p.secondary} into ${p.primary}? [y/N] `]);
    expect(writes(tenant.emu)).toEqual([]);
  });

  test("asks before linking; 'y' links", async () => {
    const t = terminal(tenant.env, ["y"]);
    const p = pairIds(1);
    expect(await runCli(["link", p.primary, p.secondary], t.io)).toBe(0);
    expect(tenant.emu.state.getUser(p.primary)?.identities).toHaveLength(2);
    expectNoSecrets(t, tenant.secrets);
  });

  test("colours the output on a terminal, and not with NO_COLOR", async () => {
    const p = pairIds(2);
    const coloured = terminal(tenant.env);
    expect(await runCli(["show", p.primary], coloured.io)).toBe(0);
    expect(coloured.stdout).toContain(ansi);
    const plain = terminal(tenant.env, [], { noColor: true });
    expect(await runCli(["show", p.primary], plain.io)).toBe(0);
    expect(plain.stdout).not.toContain(ansi);
    expect(plain.stdout).toContain(p.primary);
  });

  test("--json never colours stdout", async () => {
    const t = terminal(tenant.env);
    expect(await runCli(["show", pairIds(3).primary, "--json"], t.io)).toBe(0);
    expect(t.stdout).not.toContain(ansi);
    expect(() => JSON.parse(t.stdout)).not.toThrow();
  });

  test("bulk asks once, then redraws one progress line with rate and time left", async () => {
    const path = join(dir.path, "tty.csv");
    writeFileSync(
      path,
      Array.from({ length: 30 }, (_, i) => `${pairIds(i).primary},${pairIds(i).secondary}`).join("\n"),
    );
    const t = terminal(tenant.env, ["yes"]);
    t.io.cwd = dir.path;
    expect(await runCli(["bulk", "tty.csv"], t.io)).toBe(0);
    expect(t.prompts).toHaveLength(1);
    expect(t.stderr).toContain("\r\u001b[K");
    expect(t.stderr).toMatch(/30\/30 rows · .* left · .*linked 30/);
    expect(t.stderr).not.toContain("row 1 linked");
    expect(t.stdout).toContain("linked");
  });

  test("a declined bulk run sends nothing", async () => {
    const path = join(dir.path, "declined.csv");
    writeFileSync(path, `${pairIds(5).primary},${pairIds(5).secondary}\n`);
    const t = terminal(tenant.env, [""]);
    t.io.cwd = dir.path;
    expect(await runCli(["bulk", "declined.csv"], t.io)).toBe(5);
    expect(writes(tenant.emu)).toEqual([]);
  });
});

test("--help of every command has an example", async () => {
  for (const command of ["link", "unlink", "show", "candidates", "bulk", "emulator"]) {
    const t = terminal({});
    expect(await runCli([command, "--help"], t.io)).toBe(0);
    expect(t.stdout).toContain("$ idlink");
  }
});

test("the alice pair links in-process too", async () => {
  tenant.emu.state.reset(defaultSeed());
  const t = terminal(tenant.env, ["y"]);
  expect(await runCli(["link", alice, aliceGoogle, "--json"], t.io)).toBe(0);
  expect(JSON.parse(t.stdout)).toMatchObject({ ok: true, secondary: aliceGoogle });
  tenant.emu.state.reset(pairSeed(defaultSeed(), 30));
});
