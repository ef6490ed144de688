import { fileURLToPath } from "node:url";

/** Auth0's official definition of the operations idlink uses, as committed in `openapi/reference/` (see its README). */
export const officialDefinition = fileURLToPath(
  new URL("../../../openapi/reference/auth0-management-api.linking.oas.json", import.meta.url),
);
