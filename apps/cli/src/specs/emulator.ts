import { defineCommand } from "../command-spec.ts";
import { json } from "../options.ts";

export const emulatorSpec = defineCommand({
  name: "emulator",
  description:
    "Start the local Auth0 emulator on 127.0.0.1 and print how to point idlink at it (Ctrl-C stops).",
  args: [],
  options: {
    seed: { type: "string", value: "file", description: "a seed JSON file (default: the bundled tenant)" },
    port: { type: "string", value: "n", description: "port on 127.0.0.1 (default: a free one)" },
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
  ],
});
