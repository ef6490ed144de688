import type { AccountSummary, ErrorDescription, IdentitySummary, LinkPlan } from "@idlink/core/browser";

/**
 * The admin API's proof that a call comes from the demo page: the server puts a per-start secret in the page's
 * HTML as `<meta name="idlink-csrf" content="…">`, and the page sends it back in this header on every call.
 */
export const proofHeader = "x-idlink-csrf";
export const proofMetaName = "idlink-csrf";

/** A seeded user the emulator's dev login can sign in as (the stand-in for Universal Login). */
export interface DevUser {
  user_id: string;
  name: string | undefined;
  email: string | undefined;
  email_verified: boolean | undefined;
}

/** GET /api/config: what the page needs to talk to the tenant. Nothing secret. */
export interface PageConfig {
  mode: "emulator" | "tenant";
  /** The tenant's origin, e.g. https://tenant.eu.auth0.com or the emulator's http://127.0.0.1:PORT. */
  tenant: string;
  spaClientId: string;
  /** Present with the emulator only: users the dev login can sign in as. */
  devUsers: DevUser[];
}

export interface UserResponse {
  user: AccountSummary;
}

export interface PlanResponse {
  plan: LinkPlan;
}

export interface IdentitiesResponse {
  identities: IdentitySummary[];
  /** user_metadata keys copied onto the primary before linking. */
  merged: string[];
}

export interface ErrorResponse {
  error: ErrorDescription;
}

/** POST /api/plan and /api/link. */
export interface LinkCall {
  primary: string;
  body: unknown;
  mergeMetadata?: boolean;
}

/** POST /api/unlink. */
export interface UnlinkCall {
  primary: string;
  provider: string;
  user_id: string;
}
