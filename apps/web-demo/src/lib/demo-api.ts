import type { ErrorDescription } from "@idlink/core/browser";
import {
  type ErrorResponse,
  type IdentitiesResponse,
  type LinkCall,
  type PageConfig,
  type PlanResponse,
  proofHeader,
  proofMetaName,
  type UnlinkCall,
  type UserResponse,
} from "./api-types.ts";

/** The demo server answered an error; `description` is already in plain words, with Auth0's status kept. */
export class DemoApiError extends Error {
  override name = "DemoApiError" as const;
  readonly description: ErrorDescription;
  constructor(description: ErrorDescription) {
    super(description.message);
    this.description = description;
  }
}

function isErrorResponse(value: unknown): value is ErrorResponse {
  return typeof value === "object" && value !== null && "error" in value && typeof value.error === "object";
}

/**
 * The demo server's per-start secret, from the page's `<meta name="idlink-csrf">`: the admin API refuses any call
 * without it but `/api/config` (public, and preloaded by the page with no header).
 */
const proof =
  typeof document === "undefined" // the build's prerender
    ? ""
    : (document.querySelector<HTMLMetaElement>(`meta[name="${proofMetaName}"]`)?.content ?? "");

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(path === "/api/config" ? {} : { [proofHeader]: proof }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new DemoApiError({
      title: "The demo server could not be reached",
      message: `${method} ${path} failed before an answer came back`,
      hint: "Is `pnpm start` still running?",
    });
  }
  const data: unknown = await response.json().catch(() => undefined);
  if (!response.ok || data === undefined) {
    throw new DemoApiError(
      isErrorResponse(data)
        ? data.error
        : { title: "Unexpected answer", message: `${method} ${path} answered ${response.status}` },
    );
  }
  return data as T;
}

/** The demo server's admin API: it holds the Management credentials and calls the tenant through core. */
export const demoApi = {
  config: () => call<PageConfig>("GET", "/api/config"),
  user: (id: string) => call<UserResponse>("GET", `/api/users/${encodeURIComponent(id)}`),
  plan: (request: LinkCall) => call<PlanResponse>("POST", "/api/plan", request),
  link: (request: LinkCall) => call<IdentitiesResponse>("POST", "/api/link", request),
  unlink: (request: UnlinkCall) => call<IdentitiesResponse>("POST", "/api/unlink", request),
};
