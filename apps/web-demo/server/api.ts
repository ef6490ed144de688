import {
  checkUserId,
  describeError,
  isProvider,
  ManagementApiError,
  type ManagementClient,
  mergeMetadata,
  NetworkError,
  OutcomeUnknownError,
  parseLinkRequest,
  planLink,
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

/** The tenant the demo talks to and the Management client that holds its credentials (server side only). */
export interface TenantSetup {
  mode: "emulator" | "tenant";
  tenant: string;
  spaClientId: string;
  client: ManagementClient;
  /** With the emulator: the users its dev login can sign in as, read fresh on each call. */
  devUsers?: () => DevUser[];
}

export interface ApiReply {
  status: number;
  body: PageConfig | UserResponse | PlanResponse | IdentitiesResponse | ErrorResponse;
}

const LinkCallSchema = z.strictObject({
  primary: z.string({ error: "primary must be a user id string like auth0|64f1…" }),
  body: z.unknown(),
  mergeMetadata: z.boolean({ error: "mergeMetadata must be true or false" }).optional(),
});

const UnlinkCallSchema = z.strictObject({
  primary: z.string({ error: "primary must be a user id string like auth0|64f1…" }),
  provider: z.string({ error: "provider must be a string, e.g. google-oauth2" }),
  user_id: z.string({ error: "user_id must be a string: the part after the first | of the secondary's id" }),
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
    const parsed = parseLinkRequest(call.body, { primary: call.primary });
    const issues = [...checkUserId(call.primary, "primary"), ...(parsed.ok ? [] : parsed.issues)];
    if (issues.length > 0 || !parsed.ok) throw new ValidationError(issues, "link request");
    if (path === "/api/plan") {
      return { status: 200, body: { plan: redact(await planLink(client, call.primary, parsed.body)) } };
    }
    let merged: string[] = [];
    if (call.mergeMetadata) {
      const plan = await planLink(client, call.primary, parsed.body);
      merged = await mergeMetadata(client, call.primary, plan.secondary.user_id);
    }
    const identities = await client.link(call.primary, parsed.body);
    return { status: 200, body: { identities: identities.map(summarizeIdentity), merged } };
  }
  if (method === "POST" && path === "/api/unlink") {
    const call = parseCall(UnlinkCallSchema, await readJson());
    if (!isProvider(call.provider)) {
      throw new ValidationError(
        [{ path: "provider", message: `provider "${call.provider}" is not an Auth0 identity provider` }],
        "unlink request",
      );
    }
    const identities = await client.unlink(call.primary, { provider: call.provider, user_id: call.user_id });
    return { status: 200, body: { identities: identities.map(summarizeIdentity), merged: [] } };
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
  else if (error instanceof ManagementApiError)
    status = error.status >= 400 && error.status < 500 ? error.status : 502;
  else if (error instanceof OutcomeUnknownError || error instanceof NetworkError) status = 502;
  return { status, body: { error: description } };
}
