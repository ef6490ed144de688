import { defineCommand } from "../command-spec.ts";
import { json } from "../options.ts";

export const emulatorSpec = defineCommand({
  name: "emulator",
  description:
    "Start the local Auth0 emulator on 127.0.0.1 and print how to point idlink at it (Ctrl-C stops).",
  args: [],
  options: {
    seed: {
      type: "string",
      value: "file",
      description:
        "a seed JSON file (default: the bundled tenant); with --users, a whole number seeds the generator",
    },
    port: { type: "string", value: "n", description: "port on 127.0.0.1 (default: a free one)" },
    users: {
      type: "string",
      value: "n",
      description:
        "add N generated users (database, social, enterprise; computed on demand, so a million is cheap)",
    },
    "duplicate-rate": {
      type: "string",
      value: "r",
      description:
        "with --users: share (0..1) of generated users that duplicate another's email (default 0.1)",
    },
    "rate-limit": {
      type: "string",
      value: "burst/rate|off",
      description:
        "Management API bucket: BURST requests refilled at RATE per second (default 50/16.7), or off",
    },
    "env-out": {
      type: "string",
      value: "file",
      description: "write AUTH0_DOMAIN and the admin client's credentials to this file (mode 600)",
    },
    json,
  },
  examples: [
    "idlink emulator --port 4010 --env-out .emulator.env",
    "source .emulator.env && idlink show 'auth0|64f1a2b3c4d5e6f708192a3b'",
    "idlink emulator --users 1000000 --duplicate-rate 0.1 --rate-limit off --env-out .emulator.env",
  ],
});
