import {
  BlockedPlanError,
  ExportError,
  IdlinkError,
  type Issue,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  ownerText,
  ValidationError,
} from "./errors.ts";
import { redactText } from "./redact.ts";

/** An error in words for a person or a model: what happened, Auth0's own status and message, and what to do. */
export interface ErrorDescription {
  title: string;
  message: string;
  status?: number;
  code?: string;
  hint?: string;
  issues?: Issue[];
}

/** Describes any error thrown by core (or anything else) without a secret in it. */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof ValidationError) {
    return {
      title: "Invalid input — nothing was sent",
      message: error.message,
      issues: error.issues,
      hint: "Fix the fields named above and try again.",
    };
  }
  if (error instanceof BlockedPlanError) {
    return {
      title: `Cannot ${error.action} — nothing was sent`,
      message: error.message,
      issues: error.issues,
      hint: "Fix the points above, then plan again.",
    };
  }
  if (error instanceof ManagementApiError) {
    return {
      title: titles[error.status] ?? `Auth0 answered ${error.status}`,
      message: error.message,
      status: error.status,
      code: error.errorCode ?? error.error,
      hint: hintFor(error),
    };
  }
  if (error instanceof OutcomeUnknownError) {
    return {
      title: "Outcome unknown",
      message: error.message,
      ...(error.status === undefined ? {} : { status: error.status }),
      hint: "Read the primary user's identities to see whether the change was applied before trying again.",
    };
  }
  if (error instanceof NetworkError) {
    return {
      title: "Auth0 could not be reached",
      message: error.message,
      hint: "Check the domain and the network, then retry.",
    };
  }
  if (error instanceof ExportError) {
    return {
      title: "The user export could not be used",
      message: redactText(error.message),
      hint: error.issue
        ? `Line ${error.issue.line} is not a user as Auth0 exports them: fix or remove it, or skip malformed lines (the CLI's --skip-malformed), which reports each one.`
        : "Start a new export, or check that the file is Auth0's user export as downloaded (gzipped JSON lines or CSV).",
    };
  }
  if (error instanceof IdlinkError) return { title: error.name, message: redactText(error.message) };
  const message = error instanceof Error ? error.message : String(error);
  return { title: "Unexpected error", message: redactText(message) };
}

const titles: Record<number, string> = {
  400: "Auth0 rejected the request",
  401: "The token was not accepted",
  403: "Not allowed",
  404: "Not found",
  409: "Already linked",
  429: "Rate limited",
};

// A custom domain serves logins, not the Management API: a token asked for (or used) there has the wrong audience
// (node-auth0 issues 292 "Service not enabled within domain" and 787 "Bad audience"; Deploy CLI's AUTH0_AUDIENCE).
const customDomainHint =
  "The Management API lives on the tenant's canonical domain (your-tenant.eu.auth0.com), not on a custom domain: set AUTH0_DOMAIN (--domain) to the canonical domain, or keep the custom domain and set AUTH0_AUDIENCE (--audience) to https://<canonical domain>/api/v2/.";

function hintFor(error: ManagementApiError): string | undefined {
  const m = error.apiMessage;
  switch (error.status) {
    case 400:
      // Auth0 answers 400 (not 401) when the Authorization header is not "Bearer <JWT>".
      if (m.includes("Bad HTTP authentication header format"))
        return "Send the Management API access token (a JWT, three dot-separated parts) as `Authorization: Bearer <token>` — not a client id, secret or opaque token.";
      if (m.includes("Main identity and the new one are the same")) return "Pick two different accounts.";
      if (m.includes("Main identity cannot be removed"))
        return "Name a linked secondary identity, not the user's own.";
      if (m.includes("link_with"))
        return "Sign the secondary in again through the same application and tenant, and pass its ID token.";
      if (m.includes("secondary account not found"))
        return "Check the secondary's provider and user_id (the part after the first |).";
      return "Check the request against the messages above.";
    case 401:
      if (m.startsWith("Bad audience")) return customDomainHint;
      if (error.path === "/oauth/token") {
        return error.error === "invalid_client"
          ? "Auth0 refused the client assertion: check that the private key is the one whose public key is registered on the application (Credentials tab, Private Key JWT), that its algorithm matches (AUTH0_CLIENT_ASSERTION_SIGNING_ALG), and the machine's clock."
          : "Check the client id and its secret or private key (AUTH0_CLIENT_ID with AUTH0_CLIENT_SECRET or AUTH0_CLIENT_SIGNING_KEY_PATH).";
      }
      if (m.includes("Missing authentication"))
        return "Send a Management API token as `Authorization: Bearer <token>`.";
      if (m.includes("Expired token")) return "The token has expired: get a new one.";
      return "Get a new token: this one is not a Management API token of this tenant (another tenant, API or key).";
    case 403:
      if (m.includes("Service not enabled within domain")) return customDomainHint;
      return m.includes("does not match subject")
        ? "A user's own token can only act on that user; use a Management API token to act on others."
        : "Grant the application the scopes named above (Auth0 dashboard: APIs → Auth0 Management API → Machine to Machine Applications).";
    case 404:
      if (error.subject?.linkedInto) {
        const { id, linkedInto } = error.subject;
        return `${id} is an identity linked into ${ownerText(linkedInto)}, not a user of its own: act on ${linkedInto.user_id} instead, or unlink ${id} from it first.`;
      }
      return error.subject
        ? `Check the ${error.subject.role === "user" ? "user" : error.subject.role}'s id (${error.subject.id}): provider|id, exactly as Auth0 shows it.`
        : "Check the user id (provider|id).";
    case 409:
      return "The secondary is already linked to this primary; nothing to do.";
    case 429:
      return `Wait ${error.retryAfter ?? "a few"} seconds and retry, or lower the concurrency.`;
    default:
      return undefined;
  }
}
