import { redactText } from "@idlink/core";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { createFactory } from "./app.ts";
import { ConfigError, parseConfig, usage } from "./env.ts";
import { serveHttp } from "./http.ts";

// stdout belongs to the protocol: everything else goes to stderr.
const log = (message: string) => process.stderr.write(`idlink-mcp: ${redactText(message)}\n`);
const onerror = (error: Error) => log(error.message);

try {
  const config = parseConfig(process.env, process.argv.slice(2));
  if (config.help) {
    process.stderr.write(usage);
  } else if (config.http) {
    const http = await serveHttp({ factory: createFactory(config), ...config.http, onerror });
    log(`listening on ${http.url}`);
  } else {
    serveStdio(createFactory(config), { onerror });
  }
} catch (error) {
  log(
    error instanceof ConfigError
      ? error.message
      : `cannot start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 2;
}
