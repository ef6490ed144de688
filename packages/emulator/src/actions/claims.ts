/**
 * Which custom claims an Action may put in a token, after Auth0's "Create Custom Claims" page
 * (auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims): claims Auth0 restricts, and OpenID standard
 * claims, are never set ("the transaction won't fail, but your custom claim won't be added"); an access token for an
 * Auth0 API audience (here the Management API) takes namespaced claims only; Auth0's own domains are no namespace.
 */
const restricted = new Set([
  "acr",
  "act",
  "active",
  "amr",
  "at_hash",
  "ath",
  "attest",
  "aud",
  "auth_time",
  "authorization_details",
  "azp",
  "c_hash",
  "client_id",
  "cnf",
  "cty",
  "dest",
  "entitlements",
  "events",
  "exp",
  "groups",
  "gty",
  "htm",
  "htu",
  "iat",
  "internalService",
  "iss",
  "jcard",
  "jku",
  "jti",
  "jwe",
  "jwk",
  "kid",
  "may_act",
  "mky",
  "nbf",
  "nonce",
  "object_id",
  "org_id",
  "org_name",
  "orig",
  "origid",
  "permissions",
  "roles",
  "rph",
  "s_hash",
  "sid",
  "sip_callid",
  "sip_cseq_num",
  "sip_date",
  "sip_from_tag",
  "sip_via_branch",
  "sub",
  "sub_jwk",
  "toe",
  "txn",
  "typ",
  "uuid",
  "vot",
  "vtm",
  "x5t#S256",
  // Not in Auth0's list, but the emulator's tokens carry it: an Action does not widen a grant.
  "scope",
]);

// OpenID Connect Core 1.0 §5.1 standard claims.
const openIdStandard = new Set([
  "name",
  "given_name",
  "family_name",
  "middle_name",
  "nickname",
  "preferred_username",
  "profile",
  "picture",
  "website",
  "email",
  "email_verified",
  "gender",
  "birthdate",
  "zoneinfo",
  "locale",
  "phone_number",
  "phone_number_verified",
  "address",
  "updated_at",
]);

const auth0Domains = ["auth0.com", "webtask.io", "webtask.run"];

/** An http(s) URL, as Auth0's namespaced ("public") claims are. */
export function isNamespaced(key: string): boolean {
  try {
    const url = new URL(key);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** Why a custom claim is not added to a token, or undefined when it is. */
export function claimRefusal(key: string, token: "id" | "access", auth0Api: boolean): string | undefined {
  if (restricted.has(key)) return `"${key}" is a claim Auth0 restricts`;
  if (openIdStandard.has(key)) return `"${key}" is an OpenID standard claim`;
  if (isNamespaced(key)) {
    const host = new URL(key).hostname.toLowerCase();
    if (auth0Domains.some((domain) => host === domain || host.endsWith(`.${domain}`))) {
      return `"${key}" uses an Auth0 domain as its namespace`;
    }
    return undefined;
  }
  if (token === "access" && auth0Api) {
    return `"${key}" is not namespaced, and the access token is for an Auth0 API (the Management API)`;
  }
  return undefined;
}
