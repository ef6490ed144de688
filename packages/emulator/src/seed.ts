import { z } from "zod";
import defaultSeedJson from "../seed.json" with { type: "json" };
import { SeedError } from "./errors.ts";
import type { ResourceServerInput } from "./resource-servers.ts";

const MetadataSchema = z.record(z.string(), z.unknown());

export const IdentitySchema = z.looseObject({
  connection: z.string().min(1),
  provider: z.string().min(1),
  user_id: z.union([z.string().min(1), z.number().int()]),
  isSocial: z.boolean().optional(),
  profileData: MetadataSchema.optional(),
  access_token: z.string().optional(),
  access_token_secret: z.string().optional(),
  refresh_token: z.string().optional(),
});

export const UserSchema = z.looseObject({
  user_id: z.string().min(3),
  email: z.string().optional(),
  email_verified: z.boolean().optional(),
  name: z.string().optional(),
  identities: z.array(IdentitySchema).min(1),
  user_metadata: MetadataSchema.optional(),
  app_metadata: MetadataSchema.optional(),
});

/**
 * A public key registered on an application for Private Key JWT, in the shape of Auth0's Management API
 * (`client_authentication_methods.private_key_jwt.credentials[]` of POST /api/v2/clients): a PEM public key and the
 * algorithm the application signs with (RS256, RS384 or PS256; RS256 when absent).
 */
export const ClientCredentialSchema = z.object({
  credential_type: z.literal("public_key").default("public_key"),
  name: z.string().optional(),
  kid: z.string().min(1).optional(),
  alg: z.enum(["RS256", "RS384", "PS256"]).optional(),
  pem: z
    .string()
    .refine(
      (pem) => !/PRIVATE KEY-----/.test(pem),
      "is a private key — register the PUBLIC key (openssl rsa -pubout)",
    )
    .refine(
      (pem) => /-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(pem),
      "must be a PEM public key (BEGIN PUBLIC KEY)",
    ),
});

export const ClientSchema = z.object({
  client_id: z.string().min(1),
  name: z.string(),
  app_type: z.enum(["non_interactive", "spa", "native", "regular_web"]),
  /**
   * `false` for a third-party application (what Dynamic Client Registration and CIMD create): consent on every new
   * scope, no OIDC scopes, an API only through a grant, errors on a page rather than at the callback.
   */
  is_first_party: z.boolean().optional(),
  client_secret: z.string().min(1).optional(),
  /** `client_secret_post`: `/oauth/token` asks for the secret in authorization_code and refresh_token grants too. */
  token_endpoint_auth_method: z.enum(["none", "client_secret_post"]).optional(),
  /** OAuth grant types; absent: any the app type allows. Without `refresh_token`, no refresh token is issued. */
  grant_types: z.array(z.string()).optional(),
  grants: z.array(z.string()).default([]),
  /** Allowed Callback URLs: `/authorize` redirects only to one of these, matched exactly. */
  callbacks: z.array(z.string()).optional(),
  /** Allowed Logout URLs: `/v2/logout` sends the browser back only to one of these. */
  allowed_logout_urls: z.array(z.string()).optional(),
  /** Allowed Web Origins: origins that may receive a `response_mode=web_message` answer (popup, iframe). */
  web_origins: z.array(z.string()).optional(),
  /** Private Key JWT: the client proves itself with an assertion signed by one of these keys, not a secret. */
  client_authentication_methods: z
    .object({ private_key_jwt: z.object({ credentials: z.array(ClientCredentialSchema).min(1) }) })
    .optional(),
});

export const ConnectionSchema = z.object({
  id: z.string().regex(/^con_[A-Za-z0-9]{16}$/),
  name: z.string().min(1),
  strategy: z.string().min(1),
});

export const SeedSchema = z.object({
  $comment: z.string().optional(),
  connections: z.array(ConnectionSchema),
  clients: z.array(ClientSchema).min(1),
  users: z.array(UserSchema),
});

export type Identity = z.infer<typeof IdentitySchema>;
export type User = z.infer<typeof UserSchema>;
export type Client = z.infer<typeof ClientSchema>;
export type ClientCredential = z.infer<typeof ClientCredentialSchema>;
export type Connection = z.infer<typeof ConnectionSchema>;
/** The tenant an emulator starts from: connections, clients (with their granted scopes) and users. */
export type Seed = z.input<typeof SeedSchema>;
type ParsedSeed = z.output<typeof SeedSchema>;

/** Validates a seed (e.g. a parsed JSON file); throws a `SeedError` naming the first bad field. */
export function parseSeed(value: unknown): ParsedSeed {
  const result = SeedSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? issue.path.join(".") : "";
    throw new SeedError(`Invalid seed at "${where}": ${issue?.message ?? "unknown problem"}`);
  }
  const seed = result.data;
  for (const client of seed.clients) {
    if (client.client_secret !== undefined && client.client_authentication_methods) {
      throw new SeedError(
        `Invalid seed: client "${client.client_id}" has a client_secret and Private Key JWT credentials — keep one`,
      );
    }
  }
  const ids = new Set<string>();
  for (const user of seed.users) {
    if (ids.has(user.user_id)) throw new SeedError(`Invalid seed: duplicate user_id "${user.user_id}"`);
    ids.add(user.user_id);
    const main = user.identities[0];
    if (main && `${main.provider}|${String(main.user_id)}` !== user.user_id) {
      throw new SeedError(`Invalid seed: the first identity of "${user.user_id}" is not its main identity`);
    }
  }
  return seed;
}

/** The bundled default seed (also exported as `@idlink/emulator/seed.json`). */
export function defaultSeed(): Seed {
  return structuredClone(defaultSeedJson) as Seed;
}

/**
 * The seed with a browser app's origins (e.g. `http://127.0.0.1:41237`) allowed on every SPA client: `origin/` as a
 * callback and logout URL, and the origin as a web origin, as one would set them in Auth0's dashboard.
 */
export function withSpaOrigins(seed: Seed, origins: string[]): Seed {
  const copy = structuredClone(seed);
  const add = (list: string[] | undefined, values: string[]) => [...new Set([...(list ?? []), ...values])];
  for (const client of copy.clients) {
    if (client.app_type !== "spa") continue;
    client.callbacks = add(
      client.callbacks,
      origins.map((o) => `${o}/`),
    );
    client.allowed_logout_urls = add(
      client.allowed_logout_urls,
      origins.map((o) => `${o}/`),
    );
    client.web_origins = add(client.web_origins, origins);
  }
  return copy;
}

/** Every secret-ish value a seed holds (client secrets, IdP tokens), so a test can assert none is ever printed. */
export function seedSecrets(seed: Seed = defaultSeed()): string[] {
  const secrets = new Set<string>();
  for (const client of seed.clients) if (client.client_secret) secrets.add(client.client_secret);
  for (const user of seed.users) {
    for (const identity of user.identities) {
      for (const value of [identity.access_token, identity.access_token_secret, identity.refresh_token]) {
        if (value) secrets.add(value);
      }
    }
  }
  return [...secrets];
}

/** A machine-to-machine client of a seed that may link (`update:users`) and has a secret: what the faces use. */
export function adminClient(
  seed: Seed = defaultSeed(),
): { clientId: string; clientSecret: string } | undefined {
  const admin = seed.clients.find(
    (c) => c.app_type === "non_interactive" && (c.grants ?? []).includes("update:users") && c.client_secret,
  );
  return admin?.client_secret ? { clientId: admin.client_id, clientSecret: admin.client_secret } : undefined;
}

/**
 * The seed with one more machine-to-machine client that authenticates with Private Key JWT: `publicKeyPem` is the
 * public half of the key the caller signs assertions with (tests generate the pair). Grants default to the admin's.
 */
export function withPrivateKeyJwtClient(
  seed: Seed,
  options: { clientId: string; publicKeyPem: string; alg?: "RS256" | "RS384" | "PS256"; grants?: string[] },
): Seed {
  const copy = structuredClone(seed);
  const grants =
    options.grants ?? copy.clients.find((c) => c.client_id === adminClient(copy)?.clientId)?.grants;
  copy.clients.push({
    client_id: options.clientId,
    name: `${options.clientId} (M2M, Private Key JWT)`,
    app_type: "non_interactive",
    grants: grants ?? ["read:users", "update:users"],
    client_authentication_methods: {
      private_key_jwt: {
        credentials: [
          {
            credential_type: "public_key",
            pem: options.publicKeyPem,
            ...(options.alg ? { alg: options.alg } : {}),
          },
        ],
      },
    },
  });
  return copy;
}

/**
 * The named users of the bundled seed (`seed.json`), so test suites name them instead of copying ids.
 * A test in this package checks each one against the seed.
 */
export const seedUsers = {
  alice: "auth0|64f1a2b3c4d5e6f708192a3b",
  aliceGoogle: "google-oauth2|108234567890123456789",
  bob: "auth0|64f1a2b3c4d5e6f708192a4c",
  bobGithub: "github|5812345",
  janeSaml: "samlp|acme-saml|jdoe@acme.example",
  jane: "auth0|65a0b1c2d3e4f5061728394a",
  carol: "auth0|65b7c8d9e0f1a2b3c4d5e6f7",
  carolGoogle: "google-oauth2|117700000000000000042",
  frank: "auth0|6600aa11bb22cc33dd44ee55",
  /** Linked into frank in the seed. */
  frankGithub: "github|7700123",
  dave: "github|9900112",
  erin: "auth0|66ff0011aa22bb33cc44dd55",
  grace: "google-oauth2|100000000000000000777",
} as const;

/**
 * The scopes of idlink-mcp's API, named `action:resource` so that Auth0's consent prompt groups them into one line
 * ("Identities: read and link your identities"): `read:identities` for the tools that only read, `link:identities`
 * for link and unlink.
 */
export const idlinkMcpScopes = { read: "read:identities", link: "link:identities" } as const;

/**
 * idlink-mcp's API for an MCP server at `identifier` (its URL: MCP clients send it as `resource`), for
 * `emulator.state.addResourceServer`: RBAC with the user's permissions in the token, both scopes granted by default
 * to third-party applications (what dynamically registered MCP clients get), refresh tokens allowed. In the bundled
 * seed Alice may read and link, Erin may only read, everyone else holds no permission.
 */
export function idlinkMcpApi(identifier: string): ResourceServerInput {
  const { read, link } = idlinkMcpScopes;
  return {
    identifier,
    name: "idlink MCP server",
    scopes: [
      { value: read, description: "Read users' linked identities and preview changes" },
      { value: link, description: "Link and unlink users' identities" },
    ],
    enforce_policies: true,
    token_dialect: "access_token_authz",
    allow_offline_access: true,
    third_party_scopes: [read, link],
    user_permissions: { [seedUsers.alice]: [read, link], [seedUsers.erin]: [read] },
  };
}

/** The database connection of the bundled seed (`Username-Password-Authentication`). */
export const seedDatabaseConnectionId = "con_Kq3vX8mT2pL9wR4z";
