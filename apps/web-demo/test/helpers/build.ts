import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const appDir = fileURLToPath(new URL("../../", import.meta.url));

export interface BuiltDemo {
  dir: string;
  /** The page, as the demo server serves it. */
  clientDir: string;
  /** The server bundle `pnpm start` runs. */
  serverFile: string;
  remove(): Promise<void>;
}

const vite = join(appDir, "node_modules", "vite", "bin", "vite.js");

/**
 * Builds the page (and optionally the server bundle) into a fresh folder, as `pnpm run build` does. The page is
 * built by Vite's own command in a child process, with `env` added to its environment (this process's is untouched).
 */
export async function buildDemo(
  options: { server?: boolean; env?: Record<string, string> } = {},
): Promise<BuiltDemo> {
  const dir = await mkdtemp(join(tmpdir(), "idlink-web-demo-"));
  const clientDir = join(dir, "client");
  const serverFile = join(dir, "server", "start.js");
  await promisify(execFile)(
    process.execPath,
    [vite, "build", "--logLevel", "silent", "--outDir", clientDir, "--emptyOutDir"],
    { cwd: appDir, env: { ...process.env, ...options.env } },
  );
  if (options.server) {
    await promisify(execFile)(process.execPath, [join(appDir, "build-server.mjs"), serverFile], {
      cwd: appDir,
    });
  }
  return { dir, clientDir, serverFile, remove: () => rm(dir, { recursive: true, force: true }) };
}
