import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const root = fileURLToPath(new URL("../../../", import.meta.url));

export interface Tarball {
  name: string;
  version: string;
  /** The package's folder in the workspace. */
  dir: string;
  file: string;
  bytes: number;
}

/** Every workspace package that is not private: what `pnpm release` publishes. */
export async function publishable(): Promise<{ name: string; version: string; dir: string }[]> {
  const found: { name: string; version: string; dir: string }[] = [];
  for (const group of ["packages", "apps"]) {
    for (const entry of await readdir(join(root, group))) {
      const file = join(root, group, entry, "package.json");
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(await readFile(file, "utf8")) as {
        name: string;
        version: string;
        private?: boolean;
      };
      if (pkg.private !== true)
        found.push({ name: pkg.name, version: pkg.version, dir: join(root, group, entry) });
    }
  }
  return found;
}

/**
 * `pnpm pack` of each package into `dest`: what the registry would receive (pnpm replaces `workspace:` and `catalog:`
 * versions and applies `publishConfig`). Needs pnpm on PATH, as every script run through pnpm has it.
 */
export async function pack(dest: string): Promise<Tarball[]> {
  const tarballs: Tarball[] = [];
  for (const pkg of await publishable()) {
    const { stdout } = await run("pnpm", ["pack", "--pack-destination", dest, "--json"], {
      cwd: pkg.dir,
      timeout: 60_000,
    });
    const { filename } = JSON.parse(stdout) as { filename: string };
    tarballs.push({ ...pkg, file: filename, bytes: (await stat(filename)).size });
  }
  return tarballs;
}

/**
 * A user's empty project with the tarballs `npm install`ed into it: their third-party dependencies come from the
 * registry (or npm's cache), ours from the tarballs alone.
 */
export async function install(tarballs: readonly Tarball[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "idlink-user-"));
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name: "idlink-user", private: true })}\n`);
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => t.file)],
    { cwd: dir, env: npmEnv(), timeout: 240_000 },
  );
  return dir;
}

/**
 * The environment without what pnpm and npm set for the script running us (`npm_config_local_prefix` would point npm
 * back at the workspace); npm's own settings (cache, registry, user config, CA file) stay. (No `--prefix` either: it
 * moves npm's global config, and with it the CA file some machines need to reach the registry.)
 */
export function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set([
    "npm_config_cache",
    "npm_config_registry",
    "npm_config_userconfig",
    "npm_config_cafile",
  ]);
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("npm_") || keep.has(k)),
  );
}
