import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, realpath, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { configFilePath, credentialVariables, parseTenantConfig } from "@idlink/core/node";
import { echo, type Issue } from "@idlink/core/startup";
import { type Host, type HostName, hostNames, hosts, type Place } from "./hosts.ts";

/** The server's name in every host's config. */
export const serverName = "idlink";
const packageName = "@idlink/mcp-server";

export const initUsage = `idlink-mcp init — add idlink-mcp to an agent host's config, with no secret in it

Usage: idlink-mcp init --client NAME [--profile NAME | --env A,B,…] [options]

  --client NAME    ${hostNames.join(", ")}
  --profile NAME   the server takes its tenant from this profile of idlink's config file (IDLINK_TENANT)
  --env A,B,…      the server takes these variables from the host's environment, by reference (names, not
                   values; default: the AUTH0_* variables set where init runs)
  --read-only      register only the tools that change nothing
  --config PATH    write this file instead of the host's own
  --dry-run        print the entry and where it would go; write nothing
  --force          replace a server named "${serverName}" that init did not write
  --help           this text
`;

/** The variables the server reads its tenant and credentials from (core's credential rule). */
const serverVariables: readonly string[] = ["AUTH0_DOMAIN", ...Object.values(credentialVariables)];
const secretVariables: readonly string[] = [
  credentialVariables.token,
  credentialVariables.tokenAlias,
  credentialVariables.clientSecret,
  credentialVariables.signingKey,
];

/** Where the server's credentials come from: a profile, or variables of the host's environment. */
type Credentials = { profile: string } | { variables: string[] };

export interface InitOptions {
  client: HostName;
  credentials: Credentials;
  readOnly: boolean;
  /** `--config`, resolved against the current directory. */
  config: string | undefined;
  dryRun: boolean;
  force: boolean;
}

/** What init reads and writes, injected so tests never touch the real home. */
export interface InitIo {
  env: Readonly<Record<string, string | undefined>>;
  place: Place;
  stdout(text: string): void;
  stderr(text: string): void;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };
const fail = (path: string, message: string): { ok: false; issues: Issue[] } => ({
  ok: false,
  issues: [{ path, message }],
});

/** Reads init's flags; credentials default to the server's variables set in `env` (by name only). */
export function parseInit(argv: readonly string[], env: InitIo["env"]): Parsed<InitOptions | "help"> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (error) {
    return fail(
      "argv",
      `${error instanceof Error ? error.message : String(error)} — see idlink-mcp init --help`,
    );
  }
  if (values.help) return { ok: true, value: "help" };
  const client = values.client;
  if (client === undefined)
    return fail("--client", `--client is required — name the host: ${hostNames.join(", ")}`);
  if (!(hostNames as readonly string[]).includes(client)) {
    return fail(
      "--client",
      `--client "${echo(client)}" is not a host init knows — use one of: ${hostNames.join(", ")}`,
    );
  }
  const credentials = credentialsOf(values.profile, values.env, env);
  if (!credentials.ok) return credentials;
  return {
    ok: true,
    value: {
      client: client as HostName,
      credentials: credentials.value,
      readOnly: values["read-only"] === true,
      config: values.config,
      dryRun: values["dry-run"] === true,
      force: values.force === true,
    },
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      client: { type: "string" },
      profile: { type: "string" },
      env: { type: "string" },
      "read-only": { type: "boolean" },
      config: { type: "string" },
      "dry-run": { type: "boolean" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function credentialsOf(
  profile: string | undefined,
  list: string | undefined,
  env: InitIo["env"],
): Parsed<Credentials> {
  if (profile !== undefined && list !== undefined) {
    return fail("--profile", "--profile and --env both say where the credentials come from — use one");
  }
  if (profile !== undefined) {
    if (profile.trim() === "")
      return fail("--profile", "--profile is empty — name a profile of idlink's config file");
    return { ok: true, value: { profile: profile.trim() } };
  }
  const named = list !== undefined;
  const variables = named
    ? list
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : serverVariables.filter((v) => Boolean(env[v]?.trim()));
  const flag = named ? "--env" : "the environment";
  // An item is never echoed unless it is a known name: `--env AUTH0_CLIENT_SECRET=…` would otherwise print the value.
  const notNames = variables.filter((v) => !serverVariables.includes(v));
  if (notNames.length > 0) {
    return fail(
      "--env",
      `--env takes the names of the variables the server reads (${serverVariables.join(", ")}), not values — ${notNames.length} item(s) are not among them; the values stay in your environment`,
    );
  }
  if (variables.length === 0) {
    return fail(
      "--env",
      "nothing says where the credentials come from — pass --profile NAME, or --env AUTH0_DOMAIN,AUTH0_CLIENT_ID,AUTH0_CLIENT_SECRET (names: the values stay in the host's environment)",
    );
  }
  if (!variables.includes("AUTH0_DOMAIN")) {
    return fail(flag, `${flag} lacks AUTH0_DOMAIN, the tenant — add it, or use --profile NAME`);
  }
  const c = credentialVariables;
  if (![c.token, c.tokenAlias, c.clientId].some((v) => variables.includes(v))) {
    return fail(
      flag,
      `${flag} names no credential — add AUTH0_CLIENT_ID with AUTH0_CLIENT_SECRET (or AUTH0_CLIENT_SIGNING_KEY_PATH), or AUTH0_TOKEN`,
    );
  }
  return { ok: true, value: { variables } };
}

/** A server entry and, for VS Code, the prompts it refers to. */
export interface Entry {
  server: Record<string, unknown>;
  inputs: Record<string, unknown>[];
}

/**
 * The entry init writes for this host: `npx -y @idlink/mcp-server`, with every credential a reference (to a variable
 * of the host's environment, to a VS Code prompt, or to a profile's name) — never a value. Fails when the host could
 * only hold the secret inline.
 */
export async function buildEntry(options: InitOptions, io: InitIo): Promise<Parsed<Entry>> {
  const host: Host = hosts[options.client];
  const env: Record<string, string> = {};
  const inputs: Record<string, unknown>[] = [];
  const refer = (variable: string, secret: boolean) => {
    if (secret && host.inputs) {
      const id = `idlink-${variable.toLowerCase().replaceAll("_", "-")}`;
      inputs.push({ type: "promptString", id, description: `idlink-mcp: ${variable}`, password: true });
      return `\${input:${id}}`;
    }
    return host.reference?.(variable);
  };
  const noReference = (what: string) =>
    fail(
      "--client",
      `${host.label} expands no variable in its config, and starts servers with only a few of its own (HOME, PATH, …): ${what} cannot reach the server without writing the secret into the file, which init never does — use --profile NAME with a profile whose key is a file (privateKeyFile), or install dist/idlink-mcp.mcpb, which keeps the secret in the host`,
    );
  if ("variables" in options.credentials) {
    if (!host.reference) return noReference(options.credentials.variables.join(", "));
    for (const variable of options.credentials.variables) {
      env[variable] = refer(variable, secretVariables.includes(variable)) ?? "";
    }
  } else {
    const name = options.credentials.profile;
    const path = configFilePath(io.env, io.place.home);
    const text = await readFile(path, "utf8").catch(() => undefined);
    if (text === undefined) {
      return fail(
        "--profile",
        `--profile ${echo(name)}: there is no config file at ${path} — create it (see idlink's README, "Profiles") or point IDLINK_CONFIG at it`,
      );
    }
    const config = parseTenantConfig(text, path);
    if (!config.ok) return config;
    const profile = config.value.tenants[name];
    if (!profile) {
      const known = Object.keys(config.value.tenants).join(", ") || "none";
      return fail("--profile", `--profile ${echo(name)}: no such profile in ${path} (profiles: ${known})`);
    }
    env.IDLINK_TENANT = name;
    if (path !== configFilePath({}, io.place.home)) env.IDLINK_CONFIG = path;
    // The profile names the variables its secrets come from; the host must pass them on.
    const named = [profile.tokenEnv, profile.clientSecretEnv, profile.privateKeyEnv].filter(
      (v): v is string => v !== undefined,
    );
    if (named.length > 0 && !host.reference) return noReference(`profile ${name}'s ${named.join(", ")}`);
    for (const variable of named) env[variable] = refer(variable, true) ?? "";
  }
  const server: Record<string, unknown> = {
    ...(host.inputs ? { type: "stdio" } : {}),
    command: "npx",
    args: ["-y", packageName, ...(options.readOnly ? ["--read-only"] : [])],
    env,
  };
  return { ok: true, value: { server, inputs } };
}

/** Whether an existing entry is one init wrote (it starts this package), so it may be replaced without --force. */
function isOurs(entry: unknown): boolean {
  if (typeof entry !== "object" || entry === null) return false;
  const { command, args } = entry as { command?: unknown; args?: unknown };
  const starts = (s: unknown) =>
    typeof s === "string" && (s === packageName || s.startsWith(`${packageName}@`));
  return (
    (Array.isArray(args) && args.some(starts)) || (typeof command === "string" && /idlink-mcp$/.test(command))
  );
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The host's file with the entry merged in: every other server, input and setting kept in its place. Plain JSON only
 * — a file with comments (VS Code and Gemini allow them) is refused rather than rewritten without them.
 */
export function mergeEntry(
  text: string | undefined,
  entry: Entry,
  host: Host,
  path: string,
  force: boolean,
): Parsed<{ text: string; replaced: boolean }> {
  let config: unknown = {};
  if (text !== undefined && text.trim() !== "") {
    try {
      config = JSON.parse(text);
    } catch (error) {
      return fail(
        "--config",
        `cannot merge into ${path}: it is not plain JSON (${error instanceof Error ? error.message : "unreadable"}) — init keeps a file it cannot rewrite whole (comments included): add the entry below by hand, or fix the file`,
      );
    }
  }
  if (!isObject(config))
    return fail("--config", `${path} is not a JSON object — fix it, then run init again`);
  const servers = config[host.key] ?? {};
  if (!isObject(servers))
    return fail("--config", `${path}: "${host.key}" is not an object — fix it, then run init again`);
  const existing = servers[serverName];
  if (existing !== undefined && !isOurs(existing) && !force) {
    return fail(
      "--force",
      `${path} already has a server named "${serverName}" that does not start ${packageName} — init leaves it alone: rename it, or rerun with --force to replace it`,
    );
  }
  const merged: Record<string, unknown> = {
    ...config,
    [host.key]: { ...servers, [serverName]: entry.server },
  };
  if (entry.inputs.length > 0) {
    const inputs = config.inputs ?? [];
    if (!Array.isArray(inputs))
      return fail("--config", `${path}: "inputs" is not an array — fix it, then run init again`);
    const ids = new Set(entry.inputs.map((i) => i.id));
    merged.inputs = [...inputs.filter((i) => !(isObject(i) && ids.has(i.id))), ...entry.inputs];
  }
  return {
    ok: true,
    value: { text: `${JSON.stringify(merged, null, 2)}\n`, replaced: existing !== undefined },
  };
}

/**
 * Replaces `path` with `text` atomically (a temporary file beside it, then a rename), mode 0600: a host's file may
 * hold other servers' secrets. A symbolic link is followed, so a dotfiles link stays a link.
 */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const target = await realpath(path).catch(() => path);
  await mkdir(dirname(target), { recursive: true });
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, target).catch(async (error: unknown) => {
    await rm(temporary, { force: true });
    throw error;
  });
}

/** `idlink-mcp init …`: writes (or, with --dry-run, prints) the host's entry. Answers the exit code. */
export async function runInit(argv: readonly string[], io: InitIo): Promise<number> {
  const report = (issues: Issue[]) => {
    for (const issue of issues) io.stderr(`idlink-mcp init: ${issue.message}\n`);
    return 2;
  };
  const parsed = parseInit(argv, io.env);
  if (!parsed.ok) return report(parsed.issues);
  if (parsed.value === "help") {
    io.stdout(initUsage);
    return 0;
  }
  const options = parsed.value;
  const host = hosts[options.client];
  const path = options.config === undefined ? host.file(io.place) : resolve(io.place.cwd, options.config);
  const entry = await buildEntry(options, io);
  if (!entry.ok) return report(entry.issues);
  // Only init's own entry is ever printed: the rest of the file may hold other servers' secrets.
  const snippet = JSON.stringify(
    {
      ...(entry.value.inputs.length > 0 ? { inputs: entry.value.inputs } : {}),
      [host.key]: { [serverName]: entry.value.server },
    },
    null,
    2,
  );
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const missing = typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
    if (!missing) return report([{ path: "--config", message: `cannot read ${path}: ${codeOf(error)}` }]);
  }
  const merged = mergeEntry(text, entry.value, host, path, options.force);
  if (!merged.ok) {
    report(merged.issues);
    io.stderr(`${snippet}\n`);
    return 2;
  }
  if (options.dryRun) {
    io.stdout(
      `idlink-mcp init: would ${merged.value.replaced ? "replace" : "add"} in ${path} (${host.label}):\n${snippet}\n`,
    );
    return 0;
  }
  try {
    await writeAtomically(path, merged.value.text);
  } catch (error) {
    return report([{ path: "--config", message: `cannot write ${path}: ${codeOf(error)}` }]);
  }
  io.stdout(
    `idlink-mcp init: ${merged.value.replaced ? "replaced" : "added"} the "${serverName}" server in ${path} (${host.label}, mode 0600).\n${credentialNote(options, host)}Restart ${host.label} to load it.\n`,
  );
  return 0;
}

const reasons: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "it is a folder",
  ENOTDIR: "part of the path is a file",
  ENOENT: "it cannot be created there",
  EROFS: "read-only file system",
};
const codeOf = (error: unknown): string => {
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
  return reasons[code] ?? (code || String(error));
};

/** The real process's context: its home (HOME, as a shell has it), current directory and platform. */
export function nodeInitIo(env: InitIo["env"]): InitIo {
  return {
    env,
    place: {
      home: env.HOME || homedir(),
      cwd: process.cwd(),
      platform: process.platform,
      appData: env.APPDATA,
    },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
}

function credentialNote(options: InitOptions, host: Host): string {
  if ("profile" in options.credentials) {
    return `Its tenant and credentials come from profile "${options.credentials.profile}" (IDLINK_TENANT).\n`;
  }
  const { variables } = options.credentials;
  const prompted = host.inputs ? variables.filter((v) => secretVariables.includes(v)) : [];
  const read = variables.filter((v) => !prompted.includes(v));
  const ask = prompted.length > 0 ? ` ${host.label} asks for ${prompted.join(", ")} once and keeps it.` : "";
  return `It reads ${read.join(", ")} from ${host.label}'s environment — set them where ${host.label} starts.${ask}\n`;
}
