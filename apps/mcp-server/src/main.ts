import module from "node:module";
import { type DebugEvent, formatDebugEvent, redactText } from "@idlink/core/startup";
import pkg from "../package.json" with { type: "json" };
import { catalog } from "./catalog.ts";
import { ConfigError, parseConfig, usage } from "./env.ts";
import { serveFront } from "./front.ts";

// Node 22.1 and later keep V8's compiled code of the modules loaded from here on (the SDK server's chunks, most of the
// first call's CPU) in a cache on disk (os.tmpdir()/node-compile-cache), written when the process exits, for the
// next start: the first tools/call with every message at once took 184 → 171 ms of main-thread CPU on Node 22.23
// (median of 11 runs each, the cache written by an earlier run). Node 20 has no such cache: nothing happens there.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// While serving, stdout belongs to the protocol: logs go to stderr (only --help and --version print to stdout).
// Start-up evaluates only this entry, the config checks and the stdio front: the SDK, zod and core's client are
// imported when the front hands over — a quiet moment after tools/list, or the first request it does not answer
// (src/front.ts) — which is what lets a host list the tools at once.
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
          // The token request first (its chunks, zod and core's token code, are the SDK server's too), so that it
          // travels while the rest loads: a tenant's round trip off the first call's path.
          const { prefetchToken } = await import("./prefetch-token.ts");
          prefetchToken(config, onEvent);
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
