// The package's typed entry for tools (`idlink action deploy`): the built Action's text and path. Inside the
// workspace this reads dist/link-action.js (build the package first); the published dist/index.mjs, written by
// build.mjs, carries the text itself.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The absolute path of dist/link-action.js in this package. */
export const actionPath: string = fileURLToPath(new URL("../dist/link-action.js", import.meta.url));

if (!existsSync(actionPath)) {
  throw new Error(
    "@idlink/link-action: dist/link-action.js is missing — run `npx -y pnpm@12.4.2 --filter @idlink/link-action run build`",
  );
}

/** The Action's JavaScript, as Auth0's editor or the Management API (`POST /api/v2/actions/actions`) takes it. */
export const actionSource: string = readFileSync(actionPath, "utf8");
