import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { recordOutput } from "@idlink/test-kit";

const run = promisify(execFile);

export interface IdlinkCli {
  /** A folder of this test's own (the CLI's bundle, the secrets file). */
  dir: string;
  /** Runs the built `idlink` with only `env` (and PATH) in its environment; never throws on a non-zero exit. */
  idlink(
    args: string[],
    env: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Writes a .env file only its owner may read, as `--secrets` requires. */
  secretsFile(secrets: Record<string, string>): string;
  remove(): void;
}

/**
 * Builds apps/cli's bundle (its build.mjs, with `--outdir`) into a folder of this test's own, and runs it as users
 * do: `node dist/idlink.js …`, a child process with a clean environment.
 */
export async function buildIdlinkCli(): Promise<IdlinkCli> {
  const cliDir = dirname(createRequire(import.meta.url).resolve("@idlink/cli/package.json"));
  const dir = mkdtempSync(join(tmpdir(), "idlink-web-demo-cli-"));
  const outdir = join(dir, "dist");
  await run(process.execPath, [join(cliDir, "build.mjs"), "--outdir", outdir], { cwd: cliDir });
  const bin = join(outdir, "idlink.js");
  return {
    dir,
    async idlink(args, env) {
      const result = await run(process.execPath, [bin, ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "", IDLINK_CONFIG: join(dir, "config.json"), ...env },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: typeof error.code === "number" ? error.code : -1,
          stdout: error.stdout ?? "",
          stderr: error.stderr ?? String(error),
        }),
      );
      recordOutput(`web-demo: idlink ${args.slice(0, 2).join(" ")}`, result.stdout + result.stderr);
      return result;
    },
    secretsFile(secrets) {
      const path = join(dir, "action.env");
      writeFileSync(
        path,
        `${Object.entries(secrets)
          .map(([k, v]) => `${k}=${v}`)
          .join("\n")}\n`,
      );
      chmodSync(path, 0o600);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
