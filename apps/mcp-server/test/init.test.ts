// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} is each host's own reference syntax, asserted as text
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { type HostName, hostNames, hosts, type Place } from "../src/init/hosts.ts";
import { type InitIo, runInit } from "../src/init/init.ts";
import { rememberOutput, rememberSecret } from "./helpers.ts";
import { bin } from "./process.ts";

// Values a user may have in the shell init runs in: none may reach a file or the output.
const secret = "init-test-client-secret-9f2c1e7d";
const token = "init-test-management-token-4b8a";
rememberSecret(secret, token);

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "idlink-init-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const shell = {
  AUTH0_DOMAIN: "acme.eu.auth0.com",
  AUTH0_CLIENT_ID: "m2m-client",
  AUTH0_CLIENT_SECRET: secret,
};

/** Runs init in-process with the home, project folder and platform inside the test's folder. */
async function init(
  argv: string[],
  env: Record<string, string> = shell,
  platform: NodeJS.Platform = "linux",
) {
  const place: Place = { home: join(root, "home"), cwd: join(root, "project"), platform, appData: undefined };
  let stdout = "";
  let stderr = "";
  const io: InitIo = {
    env,
    place,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  };
  const code = await runInit(argv, io);
  rememberOutput("init", stdout, stderr);
  return { code, stdout, stderr, place };
}

async function fileOf(path: string) {
  const text = await readFile(path, "utf8");
  rememberOutput("init file", text);
  return { text, json: JSON.parse(text) as Record<string, Record<string, Record<string, unknown>>> };
}

const referenced: Record<Exclude<HostName, "claude">, { domain: string; secret: string; key: string }> = {
  "claude-code": { domain: "${AUTH0_DOMAIN}", secret: "${AUTH0_CLIENT_SECRET}", key: "mcpServers" },
  cursor: { domain: "${env:AUTH0_DOMAIN}", secret: "${env:AUTH0_CLIENT_SECRET}", key: "mcpServers" },
  vscode: { domain: "${env:AUTH0_DOMAIN}", secret: "${input:idlink-auth0-client-secret}", key: "servers" },
  windsurf: { domain: "${env:AUTH0_DOMAIN}", secret: "${env:AUTH0_CLIENT_SECRET}", key: "mcpServers" },
  gemini: { domain: "${AUTH0_DOMAIN}", secret: "${AUTH0_CLIENT_SECRET}", key: "mcpServers" },
};

describe("idlink-mcp init", () => {
  test.each(Object.entries(referenced))(
    "writes %s's entry with the variables of the shell as references, never their values",
    async (client, expected) => {
      const { code, stdout, stderr, place } = await init(["--client", client]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const path = hosts[client as HostName].file(place);
      const { text, json } = await fileOf(path);
      const entry = json[expected.key]?.idlink;
      expect(entry).toMatchObject({ command: "npx", args: ["-y", "@idlink/mcp-server"] });
      expect(entry?.env).toEqual({
        AUTH0_DOMAIN: expected.domain,
        AUTH0_CLIENT_ID: expected.domain.replace("DOMAIN", "CLIENT_ID"),
        AUTH0_CLIENT_SECRET: expected.secret,
      });
      for (const value of Object.values(shell)) {
        expect(text).not.toContain(value);
        expect(stdout).not.toContain(value);
      }
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(stdout).toContain(`added the "idlink" server in ${path}`);
    },
  );

  test("gives VS Code a password prompt for the secret, kept beside the other inputs", async () => {
    const { place } = await init(["--client", "vscode"]);
    const path = hosts.vscode.file(place);
    const other = { type: "promptString", id: "github-token", description: "GitHub", password: true };
    const before = JSON.parse(await readFile(path, "utf8"));
    await writeFile(path, JSON.stringify({ ...before, inputs: [other, ...before.inputs] }));
    await init(["--client", "vscode"]);
    const { json } = await fileOf(path);
    expect(json.servers?.idlink?.type).toBe("stdio");
    expect(json.inputs).toEqual([
      other,
      {
        type: "promptString",
        id: "idlink-auth0-client-secret",
        description: "idlink-mcp: AUTH0_CLIENT_SECRET",
        password: true,
      },
    ]);
  });

  test.each([
    ["claude", "darwin", "home/Library/Application Support/Claude/claude_desktop_config.json"],
    ["claude", "win32", "home/AppData/Roaming/Claude/claude_desktop_config.json"],
    ["claude", "linux", "home/.config/Claude/claude_desktop_config.json"],
    ["vscode", "darwin", "home/Library/Application Support/Code/User/mcp.json"],
    ["vscode", "win32", "home/AppData/Roaming/Code/User/mcp.json"],
    ["vscode", "linux", "home/.config/Code/User/mcp.json"],
    ["claude-code", "darwin", "project/.mcp.json"],
    ["cursor", "win32", "home/.cursor/mcp.json"],
    ["windsurf", "linux", "home/.codeium/windsurf/mcp_config.json"],
    ["gemini", "darwin", "home/.gemini/settings.json"],
  ] as const)("finds %s's file on %s", (client, platform, path) => {
    expect(hosts[client].file({ home: "home", cwd: "project", platform, appData: undefined })).toBe(
      join(path),
    );
  });

  test("puts Claude Desktop's file under %APPDATA% on Windows", () => {
    const place: Place = { home: "home", cwd: "project", platform: "win32", appData: "roaming" };
    expect(hosts.claude.file(place)).toBe(join("roaming", "Claude", "claude_desktop_config.json"));
  });

  test("keeps every other server and setting, and replaces only its own entry on a second run", async () => {
    const path = join(root, "home", ".cursor", "mcp.json");
    await mkdir(join(root, "home", ".cursor"), { recursive: true });
    const github = {
      command: "docker",
      args: ["run", "github-mcp"],
      env: { GITHUB_TOKEN: "ghp_kept-as-it-was" },
    };
    await writeFile(path, JSON.stringify({ theme: "dark", mcpServers: { github } }));
    await init(["--client", "cursor"]);
    const second = await init(["--client", "cursor", "--read-only"]);
    expect(second.stdout).toContain(`replaced the "idlink" server in ${path}`);
    const { json } = await fileOf(path);
    expect(Object.keys(json)).toEqual(["theme", "mcpServers"]);
    expect(json.theme).toBe("dark");
    expect(json.mcpServers?.github).toEqual(github);
    expect(json.mcpServers?.idlink?.args).toEqual(["-y", "@idlink/mcp-server", "--read-only"]);
  });

  test("refuses to replace a server named idlink it did not write, unless --force", async () => {
    const path = join(root, "home", ".gemini", "settings.json");
    await mkdir(join(root, "home", ".gemini"), { recursive: true });
    const before = JSON.stringify({
      mcpServers: { idlink: { command: "python", args: ["their-server.py"] } },
    });
    await writeFile(path, before);
    const refused = await init(["--client", "gemini"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'already has a server named "idlink" that does not start @idlink/mcp-server',
    );
    expect(refused.stderr).toContain("rerun with --force to replace it");
    expect(await readFile(path, "utf8")).toBe(before);
    const forced = await init(["--client", "gemini", "--force"]);
    expect(forced.code).toBe(0);
    expect((await fileOf(path)).json.mcpServers?.idlink?.command).toBe("npx");
  });

  test.each([
    ['// my servers\n{ "servers": {} }', "is not plain JSON"],
    ["[]", "is not a JSON object"],
    ['{ "servers": [] }', '"servers" is not an object'],
    ['{ "servers": {}, "inputs": {} }', '"inputs" is not an array'],
  ])("leaves a file it cannot merge into as it was: %s", async (content, message) => {
    const path = join(root, "mcp.json");
    await writeFile(path, content);
    const { code, stderr } = await init(["--client", "vscode", "--config", path]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    // The entry is printed, to be added by hand.
    expect(stderr).toContain('"command": "npx"');
    expect(await readFile(path, "utf8")).toBe(content);
  });

  test("with --dry-run prints only its own entry and writes nothing", async () => {
    const path = join(root, "project", ".mcp.json");
    await mkdir(join(root, "project"), { recursive: true });
    const before = JSON.stringify({ mcpServers: { other: { command: "x", env: { OTHER_TOKEN: token } } } });
    await writeFile(path, before);
    const { code, stdout } = await init(["--client", "claude-code", "--dry-run"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`would add in ${path} (Claude Code)`);
    expect(stdout).toContain('"AUTH0_CLIENT_SECRET": "${AUTH0_CLIENT_SECRET}"');
    expect(stdout).not.toContain(token);
    expect(await readFile(path, "utf8")).toBe(before);
  });

  test("resolves --config against the current directory and follows a symbolic link", async () => {
    await mkdir(join(root, "project"), { recursive: true });
    await mkdir(join(root, "dotfiles"));
    await writeFile(join(root, "dotfiles", "mcp.json"), "{}");
    await symlink(join(root, "dotfiles", "mcp.json"), join(root, "project", "linked.json"));
    expect((await init(["--client", "windsurf", "--config", "linked.json"])).code).toBe(0);
    expect((await lstat(join(root, "project", "linked.json"))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(root, "project", "linked.json"))).toBe(join(root, "dotfiles", "mcp.json"));
    expect((await fileOf(join(root, "dotfiles", "mcp.json"))).json.mcpServers?.idlink).toBeDefined();
  });

  test("says which file it cannot read", async () => {
    await writeFile(join(root, "a-file"), "");
    const path = join(root, "a-file", "mcp.json");
    const { code, stderr } = await init(["--client", "cursor", "--config", path]);
    expect(code).toBe(2);
    expect(stderr).toBe(`idlink-mcp init: cannot read ${path}: part of the path is a file\n`);
  });

  // /proc takes no new file, even from root (who may write anywhere else a test could point at).
  test.skipIf(process.platform !== "linux")("says which file it cannot write", async () => {
    const { code, stderr } = await init(["--client", "cursor", "--config", "/proc/idlink-mcp.json"]);
    expect(code).toBe(2);
    expect(stderr).toBe("idlink-mcp init: cannot write /proc/idlink-mcp.json: it cannot be created there\n");
  });
});

describe("idlink-mcp init: where the credentials come from", () => {
  test.each([
    [[], {}, "--client is required — name the host: claude, claude-code, cursor, vscode, windsurf, gemini"],
    [["--client", "zed"], {}, '--client "zed" is not a host init knows — use one of: claude, claude-code'],
    [["--client", "cursor", "--tenant", "x"], {}, "Unknown option '--tenant'"],
    [
      ["--client", "cursor"],
      {},
      "nothing says where the credentials come from — pass --profile NAME, or --env",
    ],
    [["--client", "cursor", "--env", "AUTH0_CLIENT_ID,AUTH0_CLIENT_SECRET"], {}, "--env lacks AUTH0_DOMAIN"],
    [["--client", "cursor", "--env", "AUTH0_DOMAIN,AUTH0_AUDIENCE"], {}, "--env names no credential"],
    [["--client", "cursor"], { AUTH0_CLIENT_ID: "m2m" }, "the environment lacks AUTH0_DOMAIN"],
    [["--client", "cursor", "--profile", "p", "--env", "AUTH0_DOMAIN"], {}, "--profile and --env both say"],
    [["--client", "cursor", "--profile", " "], {}, "--profile is empty"],
  ])("refuses %j with a message naming the flag", async (argv, env, message) => {
    const { code, stderr } = await init(argv, env);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  test("takes variable names only, and never echoes a value given to --env", async () => {
    const { code, stderr } = await init([
      "--client",
      "cursor",
      "--env",
      `AUTH0_DOMAIN,AUTH0_CLIENT_SECRET=${secret}`,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain("--env takes the names of the variables the server reads");
    expect(stderr).not.toContain(secret);
  });

  test("references a token by name when the shell has AUTH0_TOKEN", async () => {
    const { place } = await init(["--client", "windsurf"], {
      AUTH0_DOMAIN: "acme.eu.auth0.com",
      AUTH0_TOKEN: token,
    });
    const { text, json } = await fileOf(hosts.windsurf.file(place));
    expect(json.mcpServers?.idlink?.env).toEqual({
      AUTH0_DOMAIN: "${env:AUTH0_DOMAIN}",
      AUTH0_TOKEN: "${env:AUTH0_TOKEN}",
    });
    expect(text).not.toContain(token);
  });

  test("refuses Claude Desktop without a profile: its file cannot refer to a variable", async () => {
    const { code, stderr, place } = await init(["--client", "claude"]);
    expect(code).toBe(2);
    expect(stderr).toContain("Claude Desktop expands no variable in its config");
    expect(stderr).toContain("use --profile NAME with a profile whose key is a file (privateKeyFile)");
    expect(stderr).toContain("install dist/idlink-mcp.mcpb");
    await expect(stat(hosts.claude.file(place))).rejects.toThrow("ENOENT");
  });

  async function profiles(
    tenants: Record<string, unknown>,
    path = join(root, "home", ".config", "idlink", "config.json"),
  ) {
    await mkdir(join(path, ".."), { recursive: true });
    await writeFile(path, JSON.stringify({ tenants }));
    return path;
  }

  test("gives Claude Desktop a profile whose key is a file", async () => {
    await profiles({
      prod: { domain: "acme.eu.auth0.com", clientId: "m2m", privateKeyFile: "/keys/acme.pem" },
    });
    const { code, place } = await init(["--client", "claude", "--profile", "prod"], {});
    expect(code).toBe(0);
    const { json } = await fileOf(hosts.claude.file(place));
    expect(json.mcpServers?.idlink?.env).toEqual({ IDLINK_TENANT: "prod" });
  });

  test("refuses Claude Desktop a profile whose secret is in a variable it cannot pass on", async () => {
    await profiles({
      prod: { domain: "acme.eu.auth0.com", clientId: "m2m", clientSecretEnv: "ACME_SECRET" },
    });
    const { code, stderr } = await init(["--client", "claude", "--profile", "prod"], {});
    expect(code).toBe(2);
    expect(stderr).toContain("profile prod's ACME_SECRET cannot reach the server");
  });

  test("passes a profile's secret variable on by reference, and names a config file that is not the default", async () => {
    const path = await profiles(
      { prod: { domain: "acme.eu.auth0.com", clientId: "m2m", clientSecretEnv: "ACME_SECRET" } },
      join(root, "elsewhere.json"),
    );
    const { code, place } = await init(["--client", "gemini", "--profile", "prod"], { IDLINK_CONFIG: path });
    expect(code).toBe(0);
    const { json } = await fileOf(hosts.gemini.file(place));
    expect(json.mcpServers?.idlink?.env).toEqual({
      IDLINK_TENANT: "prod",
      IDLINK_CONFIG: path,
      ACME_SECRET: "${ACME_SECRET}",
    });
  });

  test.each([
    [{}, "there is no config file at"],
    [{ staging: { domain: "acme-staging.eu.auth0.com" } }, "--profile prod: no such profile in"],
  ])("names the profile it cannot find (%j)", async (tenants, message) => {
    if (Object.keys(tenants).length > 0) await profiles(tenants);
    const { code, stderr } = await init(["--client", "cursor", "--profile", "prod"], {});
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    if (Object.keys(tenants).length > 0) expect(stderr).toContain("(profiles: staging)");
  });
});

describe("the built idlink-mcp init", () => {
  test("writes into the HOME it is given, and answers --help", () => {
    const home = join(root, "home");
    const run = (args: string[]) =>
      spawnSync(process.execPath, [bin, "init", ...args], {
        env: { PATH: process.env.PATH ?? "", HOME: home, ...shell },
        encoding: "utf8",
      });
    const written = run(["--client", "cursor"]);
    rememberOutput("init bin", written.stdout, written.stderr);
    expect(written.stderr).toBe("");
    expect(written.status).toBe(0);
    expect(written.stdout).toContain(join(home, ".cursor", "mcp.json"));
    expect(written.stdout).not.toContain(secret);
    expect(readFileSync(join(home, ".cursor", "mcp.json"), "utf8")).toContain('"${env:AUTH0_CLIENT_SECRET}"');
    const help = run(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: idlink-mcp init --client NAME");
  });
});

test("covers every host of the table", () => {
  expect([...Object.keys(referenced), "claude"].sort()).toEqual([...hostNames].sort());
});
