import {
  BlockedPlanError,
  describeError,
  executeLink,
  executeUnlink,
  type Issue,
  ManagementApiError,
  type ManagementClient,
  NetworkError,
  OutcomeUnknownError,
  previewLink,
  previewUnlink,
  redact,
  summarizeIdentity,
  ValidationError,
} from "@idlink/core";
import { z } from "zod";
import type {
  DevUser,
  ErrorResponse,
  IdentitiesResponse,
  PageConfig,
  PlanResponse,
  UserResponse,
} from "../src/lib/api-types.ts";
import type { LinkErrorResponse, LinkOutcomeResponse, LinkSessionResponse } from "../src/link/link-types.ts";
import { handleLinkAtLogin, type LinkAtLoginSetup } from "./link-at-login.ts";

/** The tenant the demo talks to and the Management client that holds its credentials (server side only). */
export interface TenantSetup {
  mode: "emulator" | "tenant";
  tenant: string;
  spaClientId: string;
  client: ManagementClient;
  /** With the emulator: the users its dev login can sign in as, read fresh on each call. */
  devUsers?: () => DevUser[];
  /** The linking page (`/link`): the secret shared with the post-login Action, the tenant's keys. */
  linkAtLogin?: LinkAtLoginSetup | undefined;
}

export interface ApiReply {
  status: number;
  body:
    | PageConfig
    | UserResponse
    | PlanResponse
    | IdentitiesResponse
    | ErrorResponse
    | LinkSessionResponse
    | LinkOutcomeResponse
    | LinkErrorResponse;
}

// Only the envelope is checked here; the ids and the body are core's to judge (prepare → plan → execute).
const LinkCallSchema = z.strictObject({
  primary: z.unknown(),
  body: z.record(z.string(), z.unknown(), {
    error: "body must be a JSON object: { link_with } or { provider, user_id, connection_id? }",
  }),
  mergeMetadata: z.boolean({ error: "mergeMetadata must be true or false" }).optional(),
});

const UnlinkCallSchema = z.strictObject({
  primary: z.unknown(),
  provider: z.unknown(),
  user_id: z.unknown(),
});

/** Answers one call of the admin API; every error becomes `{ error: describeError(…) }` with no secret in it. */
export async function handleApi(
  setup: TenantSetup,
  method: string,
  path: string,
  readJson: () => Promise<unknown>,
): Promise<ApiReply> {
  try {
    return await route(setup, method, path, readJson);
  } catch (error) {
    return errorReply(error);
  }
}

async function route(
  setup: TenantSetup,
  method: string,
  path: string,
  readJson: () => Promise<unknown>,
): Promise<ApiReply> {
  const { client } = setup;
  if (method === "GET" && path === "/api/config") {
    return {
      status: 200,
      body: {
        mode: setup.mode,
        tenant: setup.tenant,
        spaClientId: setup.spaClientId,
        devUsers: setup.devUsers?.() ?? [],
      },
    };
  }
  if (method === "GET" && path.startsWith("/api/users/")) {
    const id = decodeSegment(path.slice("/api/users/".length));
    const user = await client.getUser(id);
    return {
      status: 200,
      body: {
        user: redact({
          user_id: user.user_id ?? id,
          email: user.email,
          email_verified: user.email_verified,
          identities: (user.identities ?? []).map(summarizeIdentity),
        }),
      },
    };
  }
  if (method === "POST" && (path === "/api/plan" || path === "/api/link")) {
    const call = parseCall(LinkCallSchema, await readJson());
    const previewed = await previewLink(client, { ...call.body, primary: call.primary });
    if (!previewed.ok) throw invalid(previewed.issues);
    const plan = previewed.value;
    if (path === "/api/plan") return { status: 200, body: { plan: redact(plan) } };
    const outcome = await executeLink(client, plan, { mergeMetadata: call.mergeMetadata === true });
    return { status: 200, body: { identities: outcome.identities, merged: outcome.mergedMetadataKeys } };
  }
  if (method === "POST" && path.startsWith("/api/link-at-login/")) {
    return handleLinkAtLogin(setup.linkAtLogin, client, path, readJson);
  }
  if (method === "POST" && path === "/api/unlink") {
    const call = parseCall(UnlinkCallSchema, await readJson());
    const previewed = await previewUnlink(client, call);
    if (!previewed.ok) throw invalid(previewed.issues);
    return { status: 200, body: { identities: await executeUnlink(client, previewed.value), merged: [] } };
  }
  return {
    status: 404,
    body: { error: { title: "Not found", message: `${method} ${path} is not part of the demo's API` } },
  };
}

function parseCall<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "body", message: i.message })),
    "request",
  );
}

function invalid(issues: Issue[]): ValidationError {
  return new ValidationError(issues, "request");
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ValidationError([
      { path: "id", message: "the user id in the path is not valid percent-encoding" },
    ]);
  }
}

/** Auth0's own 4xx status is passed on (the page shows it); anything from further away is a 502. */
function errorReply(error: unknown): ApiReply {
  const description = redact(describeError(error));
  let status = 500;
  if (error instanceof ValidationError) status = 400;
  else if (error instanceof BlockedPlanError) status = 409;
  else if (error instanceof ManagementApiError)
    status = error.status >= 400 && error.status < 500 ? error.status : 502;
  else if (error instanceof OutcomeUnknownError || error instanceof NetworkError) status = 502;
  return { status, body: { error: description } };
}
