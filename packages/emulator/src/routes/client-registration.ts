import { parseRegistration } from "../client-registration.ts";
import type { Reply, Router } from "../router.ts";
import type { Store } from "../store.ts";

const noStore = { "cache-control": "no-store", pragma: "no-cache" };

/**
 * Open Dynamic Client Registration, `POST /oidc/register` (auth0/docs-v2 main/docs/get-started/applications/
 * dynamic-client-registration.mdx): no token, a third-party application per request, while the tenant's
 * `enable_dynamic_client_registration` flag is on. Refusals are RFC 7591 §3.2.2's `{error, error_description}` with
 * 400; the answer to a tenant without the flag (403 `access_denied`) and the 201 status (RFC 7591 §3.2.1; Auth0's
 * reference lists 200) are modelled.
 */
export function registerClientRegistrationRoutes(router: Router, deps: { store: Store }): void {
  const { store } = deps;
  router.add("POST", "/oidc/register", async (req): Promise<Reply> => {
    if (!store.settings.dynamicClientRegistration) {
      return {
        status: 403,
        headers: noStore,
        body: {
          error: "access_denied",
          error_description:
            "Dynamic Client Registration is not enabled for this tenant (its enable_dynamic_client_registration flag)",
        },
      };
    }
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      body = undefined;
    }
    const result = parseRegistration(body);
    if (!result.ok) return { status: 400, headers: noStore, body: result.error };
    store.clients.push(result.client);
    return { status: 201, headers: noStore, body: result.response };
  });
}
