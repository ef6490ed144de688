import { type Issue, ValidationError } from "../present/errors.ts";
import { echo, isQuoted } from "../present/text.ts";
import { importSigningKey } from "./assertion-signing.ts";
import { checkSigningKeyPem, parseSigningAlg, type SigningAlg } from "./client-assertion.ts";
import type { ClientAuthentication } from "./management-token.ts";
import { expandHome } from "./paths.ts";

/** How a face authenticates to the Management API: a token, or a machine-to-machine client. */
export type Credentials = {
  /** Where they came from, for messages (`AUTH0_TOKEN`, `--token-file`, `client idlink-admin`); never a secret. */
  source: string;
  /** What the face should tell its user (a token or key file others may read), never a secret. */
  warnings?: string[];
} & ({ token: string } | { clientCredentials: ClientAuthentication });

/** The places a face may take credentials from. Readers are called only when their source is chosen. */
export interface CredentialSources {
  /** The process environment as it is (an empty variable is reported as empty, not as missing). */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * How to call each variable in messages, when it is not its own name (a profile's `clientSecretEnv`:
   * `AUTH0_CLIENT_SECRET` → `STAGING_SECRET (profile "staging")`). From `applyProfile`.
   */
  labels?: Readonly<Record<string, string>>;
  /**
   * A token read from a file the user named: `name` is how the face calls it (`--token-file`); with `path`, a file
   * others may read gets a warning (`fileMode`).
   */
  file?: { name: string; read: () => Promise<string>; path?: string } | undefined;
  /** A token read from standard input: `name` is how the face calls it (`--token-stdin`). */
  stdin?: { name: string; read: () => Promise<string> } | undefined;
  /** A private key file the user named (`--private-key-file`): wins over the key variables. */
  keyFile?: { name: string; path: string } | undefined;
  /** An audience the user named (`--audience`): wins over AUTH0_AUDIENCE. */
  audience?: { name: string; value: string } | undefined;
  /** Reads a key file (the face's I/O; its errors say why a file cannot be read). Needed when a key path is given. */
  readFile?: ((path: string) => Promise<string>) | undefined;
  /**
   * The permission bits of a file (`stat().mode`), when the face can tell: a private key that group or others may
   * read is refused (as ssh refuses one), a token file gets a warning.
   */
  fileMode?: ((path: string) => Promise<number | undefined>) | undefined;
  /** How the face lets a key others may read be used anyway (`--allow-insecure-key-file`), and whether it was given. */
  insecureKeyFile?: { name: string; allowed: boolean } | undefined;
  /** The home directory: a key path written `~/…` (in an MCP client's JSON or a profile no shell expands) starts there. */
  home?: string | undefined;
  /** The face's own ways of giving a token, named when none was given (`--token-file F`, `--token-stdin`). */
  alternatives?: readonly string[];
}

/**
 * The variables of the credential rule. Names follow Auth0's own tools: AUTH0_ACCESS_TOKEN (Deploy CLI),
 * AUTH0_CLIENT_ASSERTION_SIGNING_KEY / _ALG (nextjs-auth0, auth0-php), AUTH0_CLIENT_SIGNING_KEY_PATH (Deploy CLI),
 * AUTH0_AUDIENCE (Deploy CLI).
 */
export const credentialVariables = {
  token: "AUTH0_TOKEN",
  tokenAlias: "AUTH0_ACCESS_TOKEN",
  clientId: "AUTH0_CLIENT_ID",
  clientSecret: "AUTH0_CLIENT_SECRET",
  signingKey: "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
  signingKeyPath: "AUTH0_CLIENT_SIGNING_KEY_PATH",
  signingAlg: "AUTH0_CLIENT_ASSERTION_SIGNING_ALG",
  audience: "AUTH0_AUDIENCE",
} as const;

const v = credentialVariables;

interface Slot {
  name: string;
  value: string | undefined;
}

/**
 * The one credential rule of every face: a token file or stdin the user named wins (one of them); otherwise
 * AUTH0_TOKEN (or its alias AUTH0_ACCESS_TOKEN), or AUTH0_CLIENT_ID with either AUTH0_CLIENT_SECRET or a private key
 * (AUTH0_CLIENT_ASSERTION_SIGNING_KEY, AUTH0_CLIENT_SIGNING_KEY_PATH or the face's key file) — one way only.
 * Throws a ValidationError naming the variable or option at fault; a secret or key never appears in it.
 */
export async function resolveCredentials(sources: CredentialSources): Promise<Credentials> {
  const fail = (path: string, message: string): never => {
    throw new ValidationError([{ path, message }], "credentials");
  };
  const { file, stdin } = sources;
  if (file && stdin) fail(file.name, `${file.name} and ${stdin.name} both give the token: use one`);
  const explicitToken = file ?? stdin;
  for (const other of [sources.keyFile, sources.audience]) {
    if (explicitToken && other) {
      fail(
        other.name,
        `${other.name} is for a machine-to-machine application, and ${explicitToken.name} gives a token — use one`,
      );
    }
  }
  for (const explicit of [file, stdin]) {
    if (!explicit) continue;
    const token = (await explicit.read()).trim();
    if (token === "")
      fail(explicit.name, `${explicit.name} gave an empty token — put the Management API token there`);
    checkPasted(explicit.name, token, "token");
    const exposed = explicit === file && file.path ? await exposure(sources, file.path) : undefined;
    const warnings = exposed
      ? [
          `${explicit.name} ${echo(file?.path ?? "", 80)} is readable by ${exposed} — a token file should be yours alone: chmod 600 it`,
        ]
      : [];
    return { source: explicit.name, token, ...(warnings.length > 0 ? { warnings } : {}) };
  }
  const { env } = sources;
  const label = (name: string) => sources.labels?.[name] ?? name;
  const slot = (name: string): Slot => {
    const value = env[name]?.trim();
    return { name: label(name), value: value === "" ? undefined : value };
  };
  const empty = Object.values(v).filter((name) => env[name] !== undefined && env[name]?.trim() === "");
  const issues: Issue[] = empty.map((name) => ({
    path: label(name),
    message: `${label(name)} is set but empty — give it a value or unset it`,
  }));
  if (issues.length > 0) throw new ValidationError(issues, "credentials");

  const token = tokenSlot(slot(v.token), slot(v.tokenAlias));
  const clientId = slot(v.clientId);
  const clientSecret = slot(v.clientSecret);
  const alg = slot(v.signingAlg);
  const audience = sources.audience ?? (slot(v.audience).value === undefined ? undefined : slot(v.audience));
  const key = keySlot(sources.keyFile, slot(v.signingKey), slot(v.signingKeyPath));
  const keyName = key && (key.kind === "pem" ? key.name : `${key.name} (${echo(key.path, 80)})`);

  const clientParts = [clientId, clientSecret].filter((s) => s.value !== undefined).map((s) => s.name);
  if (token !== undefined && (clientParts.length > 0 || key)) {
    fail(
      token.name,
      `both ${token.name} and ${[...clientParts, ...(keyName ? [keyName] : [])].join("/")} are set — keep one way of authenticating`,
    );
  }
  if (token !== undefined) checkPasted(token.name, token.value, "token");
  for (const part of [clientId, clientSecret]) {
    if (part.value !== undefined) checkPasted(part.name, part.value, "value");
  }
  if (token !== undefined) {
    for (const extra of [audience, alg.value === undefined ? undefined : alg]) {
      if (extra) {
        fail(
          extra.name,
          `${extra.name} only applies to a machine-to-machine application (client id and secret or private key), not to ${token.name} — unset it`,
        );
      }
    }
    return { source: token.name, token: token.value };
  }
  if (clientSecret.value !== undefined && key) {
    fail(
      clientSecret.name,
      `${clientSecret.name} and ${keyName} are both set — an application authenticates with one: keep the private key (Private Key JWT, what Auth0 recommends) or the secret`,
    );
  }
  if (alg.value !== undefined && !key) {
    fail(
      alg.name,
      `${alg.name} is set but no private key is — it goes with ${v.signingKey} or ${v.signingKeyPath}`,
    );
  }
  if (clientId.value !== undefined) {
    const common = {
      clientId: clientId.value,
      ...(audience ? { audience: audience.value } : {}),
    };
    const source = `client ${clientId.value}`;
    if (clientSecret.value !== undefined) {
      return { source, clientCredentials: { ...common, clientSecret: clientSecret.value } };
    }
    if (key) {
      const signingAlg = alg.value === undefined ? "RS256" : checked(parseSigningAlg(alg.value, alg.name));
      const warnings: string[] = [];
      if (key.kind === "path") {
        const exposed = await exposure(sources, expandHome(key.path, sources.home));
        if (exposed && !sources.insecureKeyFile?.allowed) {
          const override = sources.insecureKeyFile
            ? `, or pass ${sources.insecureKeyFile.name} to use it anyway`
            : "";
          fail(
            key.name,
            `${keyName} is readable by ${exposed} — a private key must be yours alone: chmod 600 it${override}`,
          );
        }
        if (exposed) warnings.push(`${keyName} is readable by ${exposed}: chmod 600 it`);
      }
      const pem = key.kind === "pem" ? key.value : await readKey(sources, key);
      const signingKey = checked(checkSigningKeyPem(pem, keyName ?? key.name));
      // Imported now so that a key that is not RSA, or not for this algorithm, fails before anything is sent.
      await importSigningKey(signingKey, signingAlg, keyName ?? key.name);
      return {
        source,
        clientCredentials: assertion(common, signingKey, signingAlg, keyName ?? key.name),
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    }
    fail(
      clientSecret.name,
      `${clientId.name} is set without a way to authenticate — set ${v.signingKeyPath} (a private key file, Private Key JWT) or ${clientSecret.name}`,
    );
  }
  if (clientSecret.value !== undefined)
    fail(clientId.name, `${clientId.name} is not set — it goes with ${clientSecret.name}`);
  if (key) fail(clientId.name, `${clientId.name} is not set — it goes with ${keyName}`);
  const alternatives = (sources.alternatives ?? []).map((a) => `, pass ${a}`).join("");
  return fail(
    v.token,
    `no Auth0 credentials — set ${v.token} (a Management API token)${alternatives}, or set ${v.clientId} with ${v.signingKeyPath} (Private Key JWT) or ${v.clientSecret} (a machine-to-machine application with read:users and update:users)`,
  );
}

/**
 * Refuses a value pasted with what does not belong to it — the quotes a `.env` file or a host's JSON config passed
 * on, a header's `Bearer ` — before Auth0 answers "Invalid token" for it. Never echoes the value.
 */
function checkPasted(name: string, value: string, kind: "token" | "value"): void {
  const message = isQuoted(value)
    ? `${name} is wrapped in quotes — remove them (a .env file or a host's JSON config passes them on)`
    : kind === "token" && /^bearer\s/i.test(value)
      ? `${name} starts with "Bearer" — give the token alone; idlink sends the Authorization header`
      : undefined;
  if (message) throw new ValidationError([{ path: name, message }], "credentials");
}

function assertion(
  common: { clientId: string; audience?: string },
  pem: string,
  alg: SigningAlg,
  source: string,
): ClientAuthentication {
  return {
    ...common,
    clientAssertionSigningKey: pem,
    clientAssertionSigningAlg: alg,
    signingKeySource: source,
  };
}

function checked<T>(parsed: { ok: true; value: T } | { ok: false; issues: Issue[] }): T {
  if (!parsed.ok) throw new ValidationError(parsed.issues, "credentials");
  return parsed.value;
}

function tokenSlot(token: Slot, alias: Slot): { name: string; value: string } | undefined {
  if (token.value !== undefined && alias.value !== undefined && token.value !== alias.value) {
    throw new ValidationError(
      [
        {
          path: token.name,
          message: `${token.name} and ${alias.name} are both set and differ — they are the same setting: keep one`,
        },
      ],
      "credentials",
    );
  }
  if (token.value !== undefined) return { name: token.name, value: token.value };
  if (alias.value !== undefined) return { name: alias.name, value: alias.value };
  return undefined;
}

type KeySlot = { kind: "pem"; name: string; value: string } | { kind: "path"; name: string; path: string };

function keySlot(flag: CredentialSources["keyFile"], pem: Slot, path: Slot): KeySlot | undefined {
  if (flag) return { kind: "path", name: flag.name, path: flag.path };
  if (pem.value !== undefined && path.value !== undefined) {
    throw new ValidationError(
      [{ path: pem.name, message: `${pem.name} and ${path.name} both give the private key — keep one` }],
      "credentials",
    );
  }
  if (pem.value !== undefined) return { kind: "pem", name: pem.name, value: pem.value };
  if (path.value !== undefined) return { kind: "path", name: path.name, path: path.value };
  return undefined;
}

/** Who else may read a file, from its permission bits: "its group", "every user", or undefined. */
async function exposure(sources: CredentialSources, path: string): Promise<string | undefined> {
  const mode = await sources.fileMode?.(path).catch(() => undefined);
  if (mode === undefined) return undefined;
  const others = (mode & 0o004) !== 0;
  const group = (mode & 0o040) !== 0;
  if (!others && !group) return undefined;
  return `${others ? "every user" : "its group"} (mode ${(mode & 0o777).toString(8).padStart(3, "0")})`;
}

async function readKey(sources: CredentialSources, key: { name: string; path: string }): Promise<string> {
  if (!sources.readFile) throw new TypeError(`resolveCredentials needs readFile to read ${key.name}`);
  return sources.readFile(expandHome(key.path, sources.home));
}
