import { type DebugEvent, formatDebugEvent, redactText } from "@idlink/core/startup";
import pkg from "../package.json" with { type: "json" };
import { catalog } from "./catalog.ts";
import { ConfigError, parseConfig, usage } from "./env.ts";
import { serveFront } from "./front.ts";

// While serving, stdout belongs to the protocol: logs go to stderr (only --help and --version print to stdout).
// Start-up evaluates only this entry, the config checks and the stdio front: the SDK, zod and core's client are
// imported when first needed (src/front.ts), which is what lets a host list the tools at once.
const log = (message: string) => process.stderr.write(`idlink-mcp: ${redactText(message)}\n`);
const onerror = (error: Error) => log(error.message);

if (process.argv[2] === "init") {
  // `idlink-mcp init --client NAME`: writes a host's config and stops; nothing is served (src/init/).
  const { nodeInitIo, runInit } = await import("./init/init.ts");
  process.exitCode = await runInit(process.argv.slice(3), nodeInitIo(process.env));
} else {
  await serve();
}

async function serve() {
  try {
    const config = await parseConfig(process.env, process.argv.slice(2));
    for (const warning of config.credentials.warnings ?? []) log(`warning: ${warning}`);
    const onEvent = config.debug
      ? (event: DebugEvent) => log(`debug: ${formatDebugEvent(event)}`)
      : undefined;
    if (config.version) {
      process.stdout.write(`${pkg.version}\n`);
    } else if (config.help) {
      process.stdout.write(usage);
    } else if (config.http) {
      const [{ serveHttp }, { createFactory }] = await Promise.all([import("./http.ts"), import("./app.ts")]);
      const debug = config.debug ? (line: string) => log(`debug: ${line}`) : undefined;
      const http = await serveHttp({
        factory: createFactory(config, onEvent),
        ...config.http,
        onerror,
        ...(debug ? { debug } : {}),
      });
      log(`listening on ${http.url} (${http.auth})`);
    } else {
      serveFront({
        catalog,
        selection: config,
        onerror,
        load: async (handover) => {
          const { serveSdkStdio } = await import("./sdk-stdio.ts");
          serveSdkStdio(config, handover, onerror, onEvent);
        },
      });
    }
  } catch (error) {
    log(
      error instanceof ConfigError
        ? error.message
        : `cannot start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 2;
  }
}
