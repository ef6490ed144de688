import { fileURLToPath } from "node:url";
import { formatDebugEvent } from "@idlink/core";
import { ConfigError, readEnv } from "./env.ts";
import { startDemo } from "./start-demo.ts";

// `pnpm start`: the built page sits beside this bundle (dist/client next to dist/server).
const clientDir = fileURLToPath(new URL("../client/", import.meta.url));

try {
  const config = await readEnv();
  if (config.mode === "tenant") {
    for (const warning of config.warnings ?? []) console.error(`idlink web demo: warning: ${warning}`);
  }
  const demo = await startDemo(config, clientDir, {
    ...(config.debug
      ? { onEvent: (event) => process.stderr.write(`idlink web demo debug: ${formatDebugEvent(event)}\n`) }
      : {}),
  });
  const where = demo.emulator ? "local emulator, default seed" : "your Auth0 tenant";
  console.log(`idlink web demo (${where}) — open ${demo.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    demo.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  console.error(
    error instanceof ConfigError
      ? `idlink web demo: ${error.message}`
      : error instanceof Error
        ? error.message
        : error,
  );
  process.exit(1);
}
