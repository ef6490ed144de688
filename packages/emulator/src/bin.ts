#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  adminClient,
  createEmulator,
  defaultSeed,
  type GeneratedTenantOptions,
  type RateLimit,
  type Seed,
} from "./index.ts";

const usage = [
  "Usage: idlink-emulator [--seed FILE] [--port N] [--rate-limit BURST/RATE|off]",
  "                       [--users N [--duplicate-rate R] [--seed S]]",
  "  --users N            add N generated users (database, social, enterprise; computed on demand)",
  "  --duplicate-rate R   share (0..1) of generated users that duplicate another's email (default 0.1)",
  "  --seed S             with --users, a whole number seeds the generator (default 1); otherwise a seed FILE",
].join("\n");

function fail(message: string): never {
  process.stderr.write(`idlink-emulator: ${message}\n${usage}\n`);
  process.exit(2);
}

function parseRateLimit(value: string | undefined): RateLimit | false | undefined {
  if (value === undefined) return undefined;
  if (value === "off") return false;
  const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(value);
  if (!match) fail(`--rate-limit must be BURST/RATE (e.g. 50/16.7) or off, not "${value}"`);
  return { burst: Number(match[1]), perSecond: Number(match[2]) };
}

let values: {
  seed?: string;
  port?: string;
  "rate-limit"?: string;
  users?: string;
  "duplicate-rate"?: string;
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
let generate: GeneratedTenantOptions | undefined;
if (values.users !== undefined) {
  const users = Number(values.users);
  if (!Number.isInteger(users) || users < 1)
    fail(`--users must be a whole number ≥ 1, not "${values.users}"`);
  const rate = values["duplicate-rate"] === undefined ? 0.1 : Number(values["duplicate-rate"]);
  if (!(rate >= 0 && rate <= 1))
    fail(`--duplicate-rate must be between 0 and 1, not "${values["duplicate-rate"]}"`);
  generate = { users, duplicateRate: rate };
  if (values.seed !== undefined && /^\d+$/.test(values.seed)) {
    generate.seed = Number(values.seed);
    values.seed = undefined;
  }
} else if (values["duplicate-rate"] !== undefined) fail("--duplicate-rate needs --users N");
let seed: Seed | undefined;
if (values.seed !== undefined) {
  try {
    seed = JSON.parse(readFileSync(values.seed, "utf8")) as Seed;
  } catch (error) {
    fail(`cannot read seed ${values.seed}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
const rateLimit = parseRateLimit(values["rate-limit"]);

const emulator = await createEmulator({
  ...(seed ? { seed } : {}),
  port,
  ...(rateLimit === undefined ? {} : { rateLimit }),
  ...(generate ? { generate } : {}),
}).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));

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
