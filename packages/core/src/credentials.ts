import { type Issue, ValidationError } from "./errors.ts";

/** How a face authenticates to the Management API: a token, or a machine-to-machine client. */
export type Credentials = {
  /** Where they came from, for messages (`AUTH0_TOKEN`, `--token-file`, `client idlink-admin`); never a secret. */
  source: string;
} & ({ token: string } | { clientCredentials: { clientId: string; clientSecret: string } });

/** The places a face may take credentials from. Readers are called only when their source is chosen. */
export interface CredentialSources {
  /** The process environment as it is (an empty variable is reported as empty, not as missing). */
  env: Readonly<Record<string, string | undefined>>;
  /** A token read from a file the user named: `name` is how the face calls it (`--token-file`). */
  file?: { name: string; read: () => Promise<string> } | undefined;
  /** A token read from standard input: `name` is how the face calls it (`--token-stdin`). */
  stdin?: { name: string; read: () => Promise<string> } | undefined;
  /** The face's own ways of giving a token, named when none was given (`--token-file F`, `--token-stdin`). */
  alternatives?: readonly string[];
}

const tokenVariable = "AUTH0_TOKEN";
const idVariable = "AUTH0_CLIENT_ID";
const secretVariable = "AUTH0_CLIENT_SECRET";

/**
 * The one credential rule of every face: a file or stdin the user named wins (one of them); otherwise AUTH0_TOKEN,
 * or AUTH0_CLIENT_ID with AUTH0_CLIENT_SECRET — not both ways at once. Throws a ValidationError naming the variable
 * or option at fault; a secret never appears in it.
 */
export async function resolveCredentials(sources: CredentialSources): Promise<Credentials> {
  const fail = (path: string, message: string): never => {
    throw new ValidationError([{ path, message }], "credentials");
  };
  const { file, stdin } = sources;
  if (file && stdin) fail(file.name, `${file.name} and ${stdin.name} both give the token: use one`);
  for (const explicit of [file, stdin]) {
    if (!explicit) continue;
    const token = (await explicit.read()).trim();
    if (token === "")
      fail(explicit.name, `${explicit.name} gave an empty token — put the Management API token there`);
    return { source: explicit.name, token };
  }
  return credentialsFromEnv(sources.env, sources.alternatives);
}

/** The environment part of `resolveCredentials`, for faces that take credentials from the environment only. */
export function credentialsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  alternativeOptions: readonly string[] = [],
): Credentials {
  const fail = (path: string, message: string): never => {
    throw new ValidationError([{ path, message }], "credentials");
  };
  const empty = [tokenVariable, idVariable, secretVariable].filter(
    (name) => env[name] !== undefined && env[name]?.trim() === "",
  );
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const token = value(tokenVariable);
  const clientId = value(idVariable);
  const clientSecret = value(secretVariable);
  const issues: Issue[] = empty.map((name) => ({
    path: name,
    message: `${name} is set but empty — give it a value or unset it`,
  }));
  if (issues.length > 0) throw new ValidationError(issues, "credentials");
  if (token !== undefined && (clientId !== undefined || clientSecret !== undefined)) {
    fail(
      tokenVariable,
      `both ${tokenVariable} and ${idVariable}/${secretVariable} are set — keep one way of authenticating`,
    );
  }
  if (token !== undefined) return { source: tokenVariable, token };
  if (clientId !== undefined && clientSecret !== undefined) {
    return { source: `client ${clientId}`, clientCredentials: { clientId, clientSecret } };
  }
  if (clientId !== undefined)
    fail(secretVariable, `${secretVariable} is not set — it goes with ${idVariable}`);
  if (clientSecret !== undefined)
    fail(idVariable, `${idVariable} is not set — it goes with ${secretVariable}`);
  const alternatives = alternativeOptions.map((a) => `, pass ${a}`).join("");
  return fail(
    tokenVariable,
    `no Auth0 credentials — set ${tokenVariable} (a Management API token)${alternatives}, or set ${idVariable} and ${secretVariable} (a machine-to-machine application with read:users and update:users)`,
  );
}
