import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { parseArgs } from "node:util";
import {
  adminClient,
  createEmulator,
  defaultSeed,
  EmulatorFlagError,
  type EmulatorFlagValues,
  idlinkMcpApi,
  type PostLoginAction,
  parseEmulatorFlags,
  type Seed,
} from "./index.ts";

const usage = [
  "Usage: idlink-emulator [--seed FILE] [--port N] [--rate-limit BURST/RATE|off]",
  "                       [--users N [--duplicate-rate R] [--seed S]]",
  "                       [--action FILE]... [--action-secret KEY=VALUE]... [--mcp-api URL]",
  "  --port N             port on 127.0.0.1 (default 0: a free one)",
  "  --rate-limit B/R|off bucket of B requests refilled at R per second (default 50/16.7, a paid tenant), or off",
  "  --users N            add N generated users (database, social, enterprise; computed on demand)",
  "  --duplicate-rate R   share (0..1) of generated users that duplicate another's email (default 0.1)",
  "  --seed S             with --users, a whole number seeds the generator (default 1); otherwise a seed FILE",
  "  --action FILE        a post-login Action's code (CommonJS, as pasted in Auth0's editor); repeat, in order",
  "  --action-secret K=V  event.secrets.K of every --action; repeat. Values are never printed",
  "  --mcp-api URL        idlink-mcp's API for the MCP server at URL (its resource), with Dynamic Client Registration",
].join("\n");

function fail(message: string, fix?: string): never {
  process.stderr.write(`idlink-emulator: ${message}\n${fix ? `  ${fix}\n` : ""}${usage}\n`);
  process.exit(2);
}

let values: {
  seed?: string;
  port?: string;
  "rate-limit"?: string;
  users?: string;
  "duplicate-rate"?: string;
  action?: string[];
  "action-secret"?: string[];
  "mcp-api"?: string;
  help?: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      seed: { type: "string" },
      port: { type: "string" },
      "rate-limit": { type: "string" },
      users: { type: "string" },
      "duplicate-rate": { type: "string" },
      action: { type: "string", multiple: true },
      "action-secret": { type: "string", multiple: true },
      "mcp-api": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535)
  fail(`--port must be 0..65535, not "${values.port}"`);
let flags: EmulatorFlagValues = {};
try {
  flags = parseEmulatorFlags({
    users: values.users,
    duplicateRate: values["duplicate-rate"],
    rateLimit: values["rate-limit"],
    seed: values.seed,
    actions: values.action,
    actionSecrets: values["action-secret"],
  });
} catch (error) {
  if (error instanceof EmulatorFlagError) fail(error.message, error.fix);
  throw error;
}
const { generate, rateLimit, seedFile, actionFiles = [], actionSecrets = {} } = flags;
let seed: Seed | undefined;
if (seedFile !== undefined) {
  try {
    seed = JSON.parse(readFileSync(seedFile, "utf8")) as Seed;
  } catch (error) {
    fail(`cannot read seed ${seedFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const postLoginActions: PostLoginAction[] = [];
for (const file of actionFiles) {
  try {
    postLoginActions.push({
      name: basename(file, extname(file)),
      code: readFileSync(file, "utf8"),
      secrets: { ...actionSecrets },
    });
  } catch (error) {
    fail(`cannot read action ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const emulator = await createEmulator({
  ...(seed ? { seed } : {}),
  port,
  ...(rateLimit === undefined ? {} : { rateLimit }),
  ...(generate ? { generate } : {}),
  ...(postLoginActions.length > 0
    ? {
        postLoginActions,
        // What the Actions print, on stdout, secret values already redacted by the emulator.
        onActionLog: (entry) => {
          process.stdout.write(`[action ${entry.action}] ${entry.level}: ${entry.message}\n`);
        },
      }
    : {}),
  ...(values["mcp-api"] === undefined
    ? {}
    : { tenantSettings: { flags: { enable_dynamic_client_registration: true } } }),
}).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));

const mcpApi = values["mcp-api"];
if (mcpApi !== undefined) {
  try {
    emulator.state.addResourceServer(idlinkMcpApi(mcpApi));
  } catch (error) {
    await emulator.stop();
    fail(`--mcp-api ${error instanceof Error ? error.message : String(error)}`);
  }
}

const admin = adminClient(seed ?? defaultSeed())?.clientId ?? "(none)";
const spa = (seed ?? defaultSeed()).clients.find((c) => c.app_type === "spa");
process.stdout.write(
  [
    `idlink emulator listening on ${emulator.url}`,
    `  issuer:              ${emulator.issuer}`,
    ...(generate
      ? [
          `  generated users:     ${generate.users} (duplicate rate ${generate.duplicateRate}, seed ${generate.seed ?? 1})`,
        ]
      : []),
    `  management audience: ${emulator.managementAudience}`,
    `  admin client id:     ${admin} (its emulator-only secret is in the seed file)`,
    `  get a token:         curl -s ${emulator.url}/oauth/token -H 'content-type: application/json' \\`,
    `                         -d '{"grant_type":"client_credentials","client_id":"${admin}","client_secret":"<from seed.json>","audience":"${emulator.managementAudience}"}'`,
    ...(spa
      ? [
          `  universal login:     ${emulator.url}/authorize (Authorization Code + PKCE, SPA client ${spa.client_id},`,
          `                       callbacks: ${(spa.callbacks ?? []).join(" ") || "(none in the seed)"})`,
        ]
      : []),
    ...(postLoginActions.length > 0
      ? [
          `  post-login actions:  ${postLoginActions.map((a) => a.name).join(", ")} (in this order; /continue resumes a redirect)`,
          `                       secrets: ${Object.keys(actionSecrets).join(", ") || "(none)"} (values not shown)`,
        ]
      : []),
    ...(mcpApi !== undefined
      ? [
          `  mcp api:             ${mcpApi} (read:identities link:identities; Alice both, Erin read only)`,
          `  client registration: ${emulator.url}/oidc/register (Dynamic Client Registration is on)`,
        ]
      : []),
    `  dev login:           curl -s ${emulator.url}/emulator/login -H 'content-type: application/json' -d '{"user_id":"auth0|…"}'`,
    "",
  ].join("\n"),
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  emulator.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
