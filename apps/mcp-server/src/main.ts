import { type DebugEvent, formatDebugEvent, redactText } from "@idlink/core";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import pkg from "../package.json" with { type: "json" };
import { createFactory } from "./app.ts";
import { ConfigError, parseConfig, usage } from "./env.ts";
import { serveHttp } from "./http.ts";

// While serving, stdout belongs to the protocol: logs go to stderr (only --help and --version print to stdout).
const log = (message: string) => process.stderr.write(`idlink-mcp: ${redactText(message)}\n`);
const onerror = (error: Error) => log(error.message);

try {
  const config = await parseConfig(process.env, process.argv.slice(2));
  const onEvent = config.debug ? (event: DebugEvent) => log(`debug: ${formatDebugEvent(event)}`) : undefined;
  if (config.version) {
    process.stdout.write(`${pkg.version}\n`);
  } else if (config.help) {
    process.stdout.write(usage);
  } else if (config.http) {
    const http = await serveHttp({ factory: createFactory(config, onEvent), ...config.http, onerror });
    log(`listening on ${http.url}`);
  } else {
    serveStdio(createFactory(config, onEvent), { onerror });
  }
} catch (error) {
  log(
    error instanceof ConfigError
      ? error.message
      : `cannot start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 2;
}
