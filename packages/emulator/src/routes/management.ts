import { providers as coreProviders } from "@idlink/core";
import { authenticate, authorize, type Caller, insufficientScope } from "../auth.ts";
import { ApiError, badRequest } from "../errors.ts";
import type { RequestContext, Router } from "../router.ts";
import type { Identity, User } from "../seed.ts";
import { presentIdentities, presentUser, profileOf, type Store, type UserPatch } from "../store.ts";
import { type TokenContext, verifyToken } from "../tokens.ts";

export interface ManagementDeps {
  store: Store;
  tokens: TokenContext;
}

const providers: ReadonlySet<string> = new Set(coreProviders);
const connectionIdPattern = /^con_[A-Za-z0-9]{16}$/;
const linkKeys = new Set(["provider", "user_id", "connection_id", "link_with"]);
// PATCH accepts the user's root attributes beside the metadata (observed: name, given_name, family_name, picture,
// username, email_verified, connection, password). Profile attributes are stored; the rest is accepted and ignored.
const patchStrings = [
  "email",
  "phone_number",
  "given_name",
  "family_name",
  "name",
  "nickname",
  "picture",
  "username",
];
const patchBooleans = ["blocked", "email_verified", "phone_verified", "verify_email", "verify_phone_number"];
const patchIgnored = ["password", "connection", "client_id"];
const patchKeys = new Set([
  "user_metadata",
  "app_metadata",
  ...patchStrings,
  ...patchBooleans,
  ...patchIgnored,
]);
const storedAttributes = new Set([...patchStrings, "blocked", "email_verified", "phone_verified"]);

// Auth0 names the property and adds its description from the schema, without the final period (observed:
// "… on property settings (Specific provider setting)."). Descriptions of the link body, from the official document.
const propertyDescriptions: Record<string, string> = {
  provider: "Identity provider of the secondary user account being linked",
  connection_id:
    "connection_id of the secondary user account being linked when more than one `auth0` database provider exists",
  user_id: "user_id of the secondary user account being linked",
  link_with:
    "JWT for the secondary account being linked. If sending this parameter, `provider`, `user_id`, and `connection_id` must not be sent",
};
const onProperty = (property?: string) => {
  if (!property) return "";
  const description = propertyDescriptions[property];
  return description ? ` on property ${property} (${description})` : ` on property ${property}`;
};
const invalidBody = (detail: string, property?: string) =>
  badRequest(`Payload validation error: '${detail}'${onProperty(property)}.`, "invalid_body");
// Query properties are described by their own schema: users-by-email's `email` is "Email address to search for
// (case-sensitive)." in the official document; the validator drops the final period, as for payloads.
const queryDescriptions: Record<string, string> = {
  email: "Email address to search for (case-sensitive)",
};
const invalidQuery = (detail: string, property?: string) => {
  const description = property ? queryDescriptions[property] : undefined;
  const on = property ? ` on property ${property}${description ? ` (${description})` : ""}` : "";
  return badRequest(`Query validation error: '${detail}'${on}.`, "invalid_query_string");
};
const byEmailQueryKeys = new Set(["email", "fields", "include_fields"]);
// The HTML standard's valid e-mail address (a JSON Schema "email" format as validators commonly implement it): what
// Auth0's validator refuses is observed ("Object didn't pass validation for format email: …" for an empty address,
// terraform-provider-auth0's TestAccDirectorySynchronizedGroupsMetadata, and a zero-width space, node-auth0 issue 291);
// where it draws the line otherwise is not.
const emailFormat =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const userDoesNotExist = () => new ApiError(404, "The user does not exist.", "inexistent_user");
const connectionNotConfigured = () =>
  badRequest("The provider/connection is not configured.", "inexistent_connection");

export const typeName = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "array"
      : typeof value === "number"
        ? "number"
        : typeof value;

// Auth0 answers hapi's wording for a body that is not JSON.
export function parseJsonBody(body: string): unknown {
  if (body.trim() === "") return undefined;
  try {
    return JSON.parse(body);
  } catch {
    throw badRequest("Invalid request payload JSON format");
  }
}

/**
 * A Management API request body, parsed by its content type as hapi does: JSON (also when no type is sent), or a
 * form (`application/x-www-form-urlencoded`, every value a string; observed: a curl body sent as a form is validated,
 * auth0/docs pull request 6097); any other type is 415 "Unsupported Media Type" with no errorCode (observed,
 * auth0/docs pull request 6256). Multipart bodies, which hapi may parse, are refused too (modelled).
 */
export function parseRequestBody(req: Pick<RequestContext, "headers" | "body">): unknown {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "" || type === "application/json" || type.endsWith("+json")) return parseJsonBody(req.body);
  if (type === "application/x-www-form-urlencoded") {
    if (req.body.trim() === "") return undefined;
    const form: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(req.body)) {
      const seen = form[key];
      form[key] = seen === undefined ? value : [...[seen].flat(), value];
    }
    return form;
  }
  throw new ApiError(415, "Unsupported Media Type");
}

export function asObject(value: unknown): Record<string, unknown> {
  if (value === undefined) throw invalidBody("Expected type object but found type undefined");
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidBody(`Expected type object but found type ${typeName(value)}`);
  }
  return value as Record<string, unknown>;
}

function rejectUnknownKeys(body: Record<string, unknown>, allowed: ReadonlySet<string>): void {
  const unknown = Object.keys(body).filter((key) => !allowed.has(key));
  if (unknown.length > 0) throw invalidBody(`Additional properties not allowed: ${unknown.join(",")}`);
  if (Object.keys(body).length === 0) throw invalidBody("Too few properties defined (0), minimum 1");
}

type LinkBody = { link_with: string } | { provider: string; user_id: string; connection_id?: string };

// Messages follow Auth0's payload validator ("Payload validation error: '…' on property …"); the mixed-variant
// wording is ours, because the official schema states the exclusivity only in prose.
function parseLinkBody(raw: unknown): LinkBody {
  const body = asObject(raw);
  rejectUnknownKeys(body, linkKeys);
  const { link_with, provider, user_id, connection_id } = body;
  if (link_with !== undefined) {
    if (typeof link_with !== "string") {
      throw invalidBody(`Expected type string but found type ${typeName(link_with)}`, "link_with");
    }
    if (provider !== undefined || user_id !== undefined || connection_id !== undefined) {
      throw invalidBody("link_with cannot be sent together with provider, user_id or connection_id");
    }
    return { link_with };
  }
  // Observed (node-auth0 issue 554): user_id/connection_id without provider is not a payload error.
  if (provider === undefined) throw connectionNotConfigured();
  if (typeof provider !== "string" || !providers.has(provider)) {
    throw invalidBody(`No enum match for: ${JSON.stringify(provider)}`, "provider");
  }
  if (user_id === undefined) throw invalidBody("Missing required property: user_id");
  const validUserId =
    (typeof user_id === "string" && user_id.length > 0) ||
    (typeof user_id === "number" && Number.isInteger(user_id));
  if (!validUserId) throw invalidBody("Data does not match any schemas from 'oneOf'", "user_id");
  if (connection_id !== undefined) {
    if (typeof connection_id !== "string" || !connectionIdPattern.test(connection_id)) {
      throw invalidBody(
        `String does not match pattern ^con_[A-Za-z0-9]{16}$: ${String(connection_id)}`,
        "connection_id",
      );
    }
    return { provider, user_id: String(user_id), connection_id };
  }
  return { provider, user_id: String(user_id) };
}

export function registerManagementRoutes(router: Router, deps: ManagementDeps): void {
  const { store, tokens } = deps;
  const caller = (authorization: string | undefined): Promise<Caller> => authenticate(tokens, authorization);

  router.add("GET", "/api/v2/users/:id", async (req, { id = "" }) => {
    const who = await caller(req.headers.authorization);
    authorize(who, id, {
      fullScopes: ["read:users", "read:user_idp_tokens"],
      selfScope: "read:current_user",
      // The order of Auth0's answer (auth0/nextjs-auth0 issue 254).
      listed: ["read:users", "read:current_user", "read:user_idp_tokens"],
    });
    const fields = readFieldsQuery(req.query);
    const user = store.getUser(id);
    if (!user) throw userDoesNotExist();
    return {
      status: 200,
      body: pickFields(presentUser(user, who.scopes.has("read:user_idp_tokens")), fields),
    };
  });

  router.add("GET", "/api/v2/users-by-email", async (req) => {
    const who = await caller(req.headers.authorization);
    if (!who.scopes.has("read:users")) throw insufficientScope(["read:users"]);
    // Unknown parameters are refused (observed: auth0/auth0.net issue 157, "Query validation error: Additional
    // properties not allowed" for users-by-email).
    const unknown = [...new Set(req.query.keys())].filter((key) => !byEmailQueryKeys.has(key));
    if (unknown.length > 0) throw invalidQuery(`Additional properties not allowed: ${unknown.join(",")}`);
    const fields = readFieldsQuery(req.query);
    const email = req.query.get("email");
    if (email === null) throw invalidQuery("Missing required property: email");
    if (!emailFormat.test(email)) {
      throw invalidQuery(`Object didn't pass validation for format email: ${email}`, "email");
    }
    const withTokens = who.scopes.has("read:user_idp_tokens");
    return {
      status: 200,
      body: store.usersByEmail(email).map((user) => pickFields(presentUser(user, withTokens), fields)),
    };
  });

  router.add("PATCH", "/api/v2/users/:id", async (req, { id = "" }) => {
    const who = await caller(req.headers.authorization);
    if (!who.scopes.has("update:users")) throw insufficientScope(["update:users"]);
    const body = asObject(parseRequestBody(req));
    rejectUnknownKeys(body, patchKeys);
    const patch: UserPatch = { attributes: {} };
    for (const field of ["user_metadata", "app_metadata"] as const) {
      const value = body[field];
      if (value === undefined) continue;
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw invalidBody(`Expected type object but found type ${typeName(value)}`, field);
      }
      patch[field] = value as Record<string, unknown>;
    }
    for (const [field, value] of Object.entries(body)) {
      const expected = patchStrings.includes(field)
        ? "string"
        : patchBooleans.includes(field)
          ? "boolean"
          : undefined;
      if (expected && typeof value !== expected) {
        throw invalidBody(`Expected type ${expected} but found type ${typeName(value)}`, field);
      }
      if (storedAttributes.has(field)) patch.attributes[field] = value;
    }
    if (!store.getUser(id)) throw userDoesNotExist();
    const user = store.patchUser(id, patch);
    return { status: 200, body: presentUser(user, who.scopes.has("read:user_idp_tokens")) };
  });

  router.add("POST", "/api/v2/users/:id/identities", async (req, { id = "" }) => {
    const who = await caller(req.headers.authorization);
    const access = authorize(who, id, {
      fullScopes: ["update:users"],
      selfScope: "update:current_user_identities",
    });
    const body = parseLinkBody(parseRequestBody(req));
    // A user's own token may only link with the secondary's ID token (Auth0's observed answer is a 403).
    if (access === "self" && !("link_with" in body)) throw insufficientScope(["update:users"]);
    const primary = store.getUser(id);
    if (!primary) throw userDoesNotExist();
    let secondaryId =
      "link_with" in body
        ? await secondaryFromIdToken(tokens, who, body.link_with)
        : fromIdentity(store, body);
    if (secondaryId === id) throw badRequest("Main identity and the new one are the same.");
    if (!store.getUser(secondaryId)) {
      const owner = store.linkedOwner(secondaryId);
      if (!owner) throw badRequest("Provided secondary account not found.");
      // Already linked here: modelled. Linked into another user: Auth0 moves that user, with all its identities,
      // into this primary and answers 201 (observed, Auth0 community answer 132916).
      if (owner.user_id === id) throw new ApiError(409, "Specified identity already exists.");
      secondaryId = owner.user_id;
    }
    store.link(id, secondaryId);
    return { status: 201, body: answerIdentities(store, id, who) };
  });

  router.add("DELETE", "/api/v2/users/:id/identities/:provider/:user_id", async (req, params) => {
    const { id = "", provider = "", user_id = "" } = params;
    const who = await caller(req.headers.authorization);
    authorize(who, id, { fullScopes: ["update:users"], selfScope: "update:current_user_identities" });
    if (!providers.has(provider)) {
      throw badRequest(
        `Path validation error: 'No enum match for: "${provider}"' on property provider.`,
        "invalid_uri",
      );
    }
    if (`${provider}|${user_id}` === id) throw badRequest("Main identity cannot be removed.");
    // A missing primary: modelled on the other operations' observed 404 (no observation of unlink's own).
    if (!store.getUser(id)) throw userDoesNotExist();
    // An identity the primary does not hold (the full id as user_id, say) is a 200 that removes nothing (observed).
    store.unlink(id, provider, user_id);
    return { status: 200, body: answerIdentities(store, id, who) };
  });
}

// Link and unlink answer the primary's identities with profileData on every one, its main identity included
// (observed in every recorded link and unlink answer); a read of the user shows none on the main identity.
function answerIdentities(store: Store, id: string, who: Caller): Identity[] {
  const user = store.getUser(id);
  if (!user) throw userDoesNotExist();
  const [main, ...others] = presentIdentities(user.identities, who.scopes.has("read:user_idp_tokens"));
  return main ? [{ ...main, profileData: profileOf(user) }, ...others] : others;
}

function fromIdentity(
  store: Store,
  body: { provider: string; user_id: string; connection_id?: string },
): string {
  // The documented form is the part after the first "|"; Auth0 also accepts the full id (observed in recordings of
  // go-auth0 and ruby-auth0: provider "auth0", user_id "auth0|…"), so a bare id that matches no one falls back to it.
  const bare = `${body.provider}|${body.user_id}`;
  const full = body.user_id.startsWith(`${body.provider}|`) ? body.user_id : undefined;
  const known = (candidate: string) => store.getUser(candidate) ?? store.linkedOwner(candidate);
  const secondaryId = full !== undefined && !known(bare) && known(full) ? full : bare;
  if (body.connection_id !== undefined) {
    const connection = store.connections.find((c) => c.id === body.connection_id);
    if (!connection || connection.strategy !== body.provider) {
      throw connectionNotConfigured();
    }
    const secondary = store.getUser(secondaryId);
    if (secondary && secondary.identities[0]?.connection !== connection.name) {
      throw badRequest("Provided secondary account not found.");
    }
  }
  return secondaryId;
}

// The spec's x-description-N wording for every link_with failure.
async function secondaryFromIdToken(tokens: TokenContext, who: Caller, idToken: string): Promise<string> {
  const result = await verifyToken(tokens, idToken, { issuer: false });
  if (!result.ok) {
    if (result.failure === "alg") throw badRequest("JWT (link_with) must have an alg of RS256.");
    throw badRequest("Invalid token (link_with).");
  }
  const { iss, sub, aud } = result.payload;
  if (iss !== tokens.issuer)
    throw badRequest("JWT (link_with) must have the same issuer as the calling user.");
  if (sub === undefined) throw badRequest("JWT (link_with) must contains sub claim.");
  if (typeof sub !== "string" || !/^[^|]+\|.+$/.test(sub)) {
    throw badRequest("JWT (link_with) contains an invalid sub claim.");
  }
  const audiences = typeof aud === "string" ? [aud] : aud;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== "string")) {
    throw badRequest("JWT (link_with) contains an invalid aud claim.");
  }
  if (who.azp === undefined || !audiences.includes(who.azp)) {
    throw badRequest("JWT (link_with) must have an aud claim that matches that of the calling token's azp.");
  }
  return sub;
}

export function readFieldsQuery(query: URLSearchParams): { names: string[]; include: boolean } | undefined {
  const include = query.get("include_fields");
  if (include !== null && include !== "true" && include !== "false") {
    throw invalidQuery("Expected type boolean but found type string", "include_fields");
  }
  const fields = query.get("fields");
  if (!fields) return undefined;
  return { names: fields.split(",").filter(Boolean), include: include !== "false" };
}

export function pickFields(
  user: User,
  fields: { names: string[]; include: boolean } | undefined,
): User | Partial<User> {
  if (!fields) return user;
  const names = new Set(fields.names);
  return Object.fromEntries(Object.entries(user).filter(([key]) => names.has(key) === fields.include));
}
