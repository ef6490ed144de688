// What the Actions tests deploy: idlink's secrets (fake values), two versions of a code, and a deploy in one call.
import { executeActionDeploy, planActionDeploy } from "../../src/actions/deploy.ts";
import { type ActionDeployInput, parseActionDeployInput } from "../../src/actions/request.ts";
import { type fakeTenant, fast } from "./fake-tenant.ts";

export const secrets = {
  MANAGEMENT_API_DOMAIN: "acme.eu.auth0.com",
  MANAGEMENT_API_CLIENT_ID: "clientid0123",
  MANAGEMENT_API_CLIENT_SECRET: "s3cr3t-value-never-printed-0123456789ABCDEF",
  SESSION_TOKEN_SECRET: "session-secret-0123456789abcdefghijklmnopqrstuv",
  LINK_PAGE_URL: "https://link.example.com/",
};
export const codeV1 = "exports.onExecutePostLogin = async (event, api) => { /* v1 */ };";
export const codeV2 = "exports.onExecutePostLogin = async (event, api) => { /* v2 */ };";

export function request(overrides: Partial<ActionDeployInput> = {}) {
  const parsed = parseActionDeployInput({ code: codeV1, secrets, ...overrides });
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join("; "));
  return parsed.value;
}

/** Plans, then carries out, a deploy. */
export async function deploy(
  tenant: ReturnType<typeof fakeTenant>,
  overrides: Partial<ActionDeployInput> = {},
  options = {},
) {
  const req = request(overrides);
  const plan = await planActionDeploy(tenant.client, req, options);
  const outcome = await executeActionDeploy(tenant.client, plan, req, { ...fast, ...options });
  return { plan, outcome };
}
