// Preview and execution agree (issue 25): every check that can make a link or an unlink refuse is walked through
// core's preview (`previewLink` / `previewUnlink`: parse, preflight of the caller's token, plan) and through its
// execution (`executeLink` / `executeUnlink` on a plan made without the preview's preflight, the tenant judging what is
// sent). Both must refuse, on the same field, and the preview must send nothing; a preview that lets a link through
// must see it succeed. Against the emulator over HTTP. Here and not in core's own suite: core must not depend on
// the emulator, which depends on core.
import {
  BlockedPlanError,
  createManagementClient,
  executeLink,
  executeUnlink,
  type Issue,
  type LinkArguments,
  ManagementApiError,
  type ManagementClient,
  parseLinkArguments,
  parseUnlinkArguments,
  planLink,
  planUnlink,
  previewLink,
  previewUnlink,
  ValidationError,
} from "@idlink/core";
import { type Emulator, seedUsers } from "@idlink/emulator";
import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import { alice, aliceGoogle, bob, bobGithub, frank, frankGithub, useEmulator } from "./helpers.ts";

const { carol, carolGoogle, dave } = seedUsers;
const emulator = useEmulator();

type Action = "link" | "unlink";

/** A verdict: allowed, or refused — by core before sending, or by the tenant — naming these fields. */
type Verdict = { refused: false } | { refused: true; by: "core" | "tenant"; fields: string[] };

const refusedBy = (by: "core" | "tenant", issues: readonly Issue[]): Verdict => ({
  refused: true,
  by,
  fields: [...new Set(issues.map((i) => i.path))].sort(),
});

/**
 * The field a tenant's refusal is about, from its status and message: Auth0's wording, the `x-description` lines of
 * POST /users/{id}/identities and DELETE …/identities/{provider}/{user_id} in its official OpenAPI document
 * (`openapi/reference/auth0-management-api.linking.oas.json` here), as the emulator answers them. An answer not in
 * this list fails the test, so a new kind of refusal gets a row of its own.
 */
function tenantField(error: ManagementApiError): string {
  if (error.status === 401 || error.status === 403) return "token";
  if (error.status === 400 && error.apiMessage.includes("(link_with)")) return "link_with";
  if (
    error.status === 400 &&
    /Provided secondary account not found|Main identity and the new one are the same|Main identity cannot be removed/.test(
      error.apiMessage,
    )
  ) {
    return "secondary";
  }
  if (error.status === 404 && error.subject) return error.subject.role;
  throw error;
}

async function preview(client: ManagementClient, action: Action, args: LinkArguments): Promise<Verdict> {
  const previewed = action === "link" ? await previewLink(client, args) : await previewUnlink(client, args);
  if (!previewed.ok) return refusedBy("core", previewed.issues);
  const { blockers } = previewed.value;
  return blockers.length > 0 ? refusedBy("core", blockers) : { refused: false };
}

/**
 * The execution on its own: the arguments parsed (nothing can be sent without a target), a plan made without the
 * preview's preflight, then `executeLink` / `executeUnlink` — which refuses a blocked plan — and the tenant.
 */
async function execute(client: ManagementClient, action: Action, args: LinkArguments): Promise<Verdict> {
  if (action === "link") {
    const target = parseLinkArguments(args);
    if (!target.ok) return refusedBy("core", target.issues);
    return judged(async () => executeLink(client, await planLink(client, target.value)));
  }
  const target = parseUnlinkArguments(args);
  if (!target.ok) return refusedBy("core", target.issues);
  return judged(async () => executeUnlink(client, await planUnlink(client, target.value)));
}

async function judged(send: () => Promise<unknown>): Promise<Verdict> {
  try {
    await send();
    return { refused: false };
  } catch (error) {
    recordOutput("wire-test: agreement", error instanceof Error ? error.message : String(error));
    if (error instanceof BlockedPlanError || error instanceof ValidationError) {
      return refusedBy("core", error.issues);
    }
    if (error instanceof ManagementApiError)
      return { refused: true, by: "tenant", fields: [tenantField(error)] };
    throw error;
  }
}

function clientWith(em: Emulator, token: string): ManagementClient {
  recordSecrets(token);
  return createManagementClient({ domain: em.url, token, retry: { maxRetries: 0 } });
}

/** A Management token for the SPA's own application, so that an ID token from its logins is a valid link_with. */
const spaManagement = (em: Emulator) =>
  em.mintToken({ scopes: ["read:users", "update:users"], azp: "idlink-spa" });
const management = (em: Emulator) => em.mintToken({ scopes: ["read:users", "update:users"] });

async function idToken(em: Emulator, userId: string): Promise<string> {
  const { id_token } = await em.login(userId);
  recordSecrets(id_token);
  return id_token;
}

async function userToken(em: Emulator, userId: string): Promise<string> {
  const { access_token } = await em.login(userId);
  return access_token;
}

/** A JWT with this header and claims and a signature that is no one's (never sent anywhere as valid). */
function forged(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part(header)}.${part(claims)}.c2lnbmF0dXJl`;
}

/** The same token with one character of its signature changed: a signature the tenant's key did not make. */
function tampered(jwt: string): string {
  const [header, payload, signature = ""] = jwt.split(".");
  const middle = Math.floor(signature.length / 2);
  const changed = signature[middle] === "A" ? "B" : "A";
  return `${header}.${payload}.${signature.slice(0, middle)}${changed}${signature.slice(middle + 1)}`;
}

interface Case {
  name: string;
  action: Action;
  token(em: Emulator): Promise<string>;
  args(em: Emulator): Promise<LinkArguments>;
  /** The fields both refusals name. */
  fields: string[];
  /** Who refuses the execution: core (a blocked plan, or no target), or the tenant it is sent to. */
  execution: "core" | "tenant";
}

const given = (args: LinkArguments) => async () => args;

const refusals: Case[] = [
  {
    name: "a token without update:users (read-only)",
    action: "link",
    token: (em) => em.mintToken({ scopes: ["read:users"] }),
    args: given({ primary: alice, secondary: aliceGoogle }),
    fields: ["token"],
    execution: "tenant",
  },
  {
    name: "a user's token linking into another user",
    action: "link",
    token: (em) => userToken(em, bob),
    args: async (em) => ({ primary: alice, link_with: await idToken(em, dave) }),
    fields: ["token"],
    execution: "tenant",
  },
  {
    name: "a user's token naming the secondary by id (only link_with is theirs to send)",
    action: "link",
    token: (em) => userToken(em, bob),
    args: given({ primary: bob, secondary: bobGithub }),
    fields: ["token"],
    execution: "tenant",
  },
  {
    name: "link_with issued to another application (aud is not the caller's azp)",
    action: "link",
    token: management,
    args: async (em) => ({ primary: bob, link_with: await idToken(em, dave) }),
    fields: ["link_with"],
    execution: "tenant",
  },
  {
    name: "link_with expired",
    action: "link",
    token: spaManagement,
    args: async (em) => {
      const expired = await em.mintToken({
        scopes: [],
        sub: dave,
        claims: { aud: "idlink-spa", exp: Math.floor(Date.now() / 1000) - 60 },
      });
      recordSecrets(expired);
      return { primary: bob, link_with: expired };
    },
    fields: ["link_with"],
    execution: "tenant",
  },
  {
    name: "link_with from another tenant (iss)",
    action: "link",
    token: spaManagement,
    args: async (em) => {
      const foreign = await em.mintToken({
        scopes: [],
        sub: dave,
        claims: { aud: "idlink-spa", iss: "https://another-tenant.eu.auth0.com/" },
      });
      recordSecrets(foreign);
      return { primary: bob, link_with: foreign };
    },
    fields: ["link_with"],
    execution: "tenant",
  },
  {
    name: "link_with signed with HS256",
    action: "link",
    token: spaManagement,
    args: async (em) => ({
      primary: bob,
      link_with: forged({ alg: "HS256", typ: "JWT" }, { iss: em.issuer, sub: dave, aud: "idlink-spa" }),
    }),
    fields: ["link_with"],
    execution: "tenant",
  },
  {
    name: "link_with whose signature is not the tenant's",
    action: "link",
    token: spaManagement,
    args: async (em) => ({ primary: bob, link_with: tampered(await idToken(em, dave)) }),
    fields: ["link_with"],
    execution: "tenant",
  },
  {
    name: "link_with that is not a JWT",
    action: "link",
    token: spaManagement,
    args: given({ primary: bob, link_with: "not-a-jwt" }),
    fields: ["link_with"],
    execution: "core",
  },
  {
    name: "a primary that is not provider|id",
    action: "link",
    token: management,
    args: given({ primary: "64f1a2b3c4d5e6f708192a3b", secondary: aliceGoogle }),
    fields: ["primary"],
    execution: "core",
  },
  {
    name: "a secondary that is a provider without an id",
    action: "link",
    token: management,
    args: given({ primary: alice, secondary: "google-oauth2|" }),
    fields: ["secondary"],
    execution: "core",
  },
  {
    name: "a secondary that does not exist",
    action: "link",
    token: management,
    args: given({ primary: alice, secondary: "github|404404404" }),
    fields: ["secondary"],
    execution: "core",
  },
  {
    name: "a secondary that is the primary",
    action: "link",
    token: management,
    args: given({ primary: alice, secondary: alice }),
    fields: ["secondary"],
    execution: "core",
  },
  {
    name: "a secondary already linked to the primary",
    action: "link",
    token: management,
    args: given({ primary: frank, secondary: frankGithub }),
    fields: ["secondary"],
    execution: "core",
  },
  {
    name: "unverified emails, under the default policy (idlink's rule: Auth0 would link them)",
    action: "link",
    token: management,
    args: given({ primary: carol, secondary: carolGoogle }),
    fields: ["primary", "secondary"],
    execution: "core",
  },
  {
    name: "unlink with a token without update:users (read-only)",
    action: "unlink",
    token: (em) => em.mintToken({ scopes: ["read:users"] }),
    args: given({ primary: frank, secondary: frankGithub }),
    fields: ["token"],
    execution: "tenant",
  },
  {
    name: "unlink with a user's token from another user",
    action: "unlink",
    token: (em) => userToken(em, bob),
    args: given({ primary: frank, secondary: frankGithub }),
    fields: ["token"],
    execution: "tenant",
  },
  {
    name: "unlink of the main identity",
    action: "unlink",
    token: management,
    args: given({ primary: frank, secondary: frank }),
    fields: ["secondary"],
    execution: "core",
  },
  {
    name: "unlink of an identity that is not linked (idlink's rule: Auth0 answers 200 and removes nothing)",
    action: "unlink",
    token: management,
    args: given({ primary: frank, secondary: aliceGoogle }),
    fields: ["secondary"],
    execution: "core",
  },
  {
    name: "unlink of an identity given as a provider without an id",
    action: "unlink",
    token: management,
    args: given({ primary: frank, provider: "github" }),
    fields: ["user_id"],
    execution: "core",
  },
  {
    name: "unlink given link_with (link only)",
    action: "unlink",
    token: management,
    args: given({ primary: frank, secondary: frankGithub, link_with: "not-a-jwt" }),
    fields: ["link_with"],
    execution: "core",
  },
];

/** What changes the tenant: its users (identities included) as the emulator holds them. */
const snapshot = (em: Emulator) => JSON.stringify(em.state.listUsers());
const writes = (em: Emulator) =>
  em.state.requests.filter((r) => r.method !== "GET" && r.path !== "/oauth/token").map((r) => r.path);

describe("a refusal of the preview is a refusal of the execution, on the same field", () => {
  test.each(refusals.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const em = emulator();
    const client = clientWith(em, await c.token(em));
    const args = await c.args(em);
    const before = snapshot(em);

    const previewed = await preview(client, c.action, args);
    expect(previewed).toEqual({ refused: true, by: "core", fields: c.fields });
    expect(writes(em)).toEqual([]);
    expect(snapshot(em)).toBe(before);

    const executed = await execute(client, c.action, args);
    expect(executed).toEqual({ refused: true, by: c.execution, fields: c.fields });
    expect(snapshot(em)).toBe(before);
  });

  test("the table covers every field a link or an unlink can be refused on", () => {
    const fields = new Set(refusals.flatMap((c) => c.fields));
    expect([...fields].sort()).toEqual(["link_with", "primary", "secondary", "token", "user_id"]);
  });
});

interface Accepted {
  name: string;
  action: Action;
  token(em: Emulator): Promise<string>;
  args(em: Emulator): Promise<LinkArguments>;
  /** The primary's identities once executed. */
  after: string[];
}

const accepted: Accepted[] = [
  {
    name: "a link by id with a Management token",
    action: "link",
    token: management,
    args: given({ primary: alice, secondary: aliceGoogle }),
    after: [alice, aliceGoogle],
  },
  {
    name: "a link with link_with and a Management token of the same application",
    action: "link",
    token: spaManagement,
    args: async (em) => ({ primary: bob, link_with: await idToken(em, dave) }),
    after: [bob, dave],
  },
  {
    name: "a link with a user's own token and link_with",
    action: "link",
    token: (em) => userToken(em, bob),
    args: async (em) => ({ primary: bob, link_with: await idToken(em, dave) }),
    after: [bob, dave],
  },
  {
    name: "an unlink with a Management token",
    action: "unlink",
    token: management,
    args: given({ primary: frank, secondary: frankGithub }),
    after: [frank],
  },
  {
    name: "an unlink with the primary's own token",
    action: "unlink",
    token: (em) => userToken(em, frank),
    args: given({ primary: frank, provider: "github", user_id: "7700123" }),
    after: [frank],
  },
];

/** Previews, checks the preview let it through and changed nothing, then executes the preview's own plan. */
async function previewThenExecute(em: Emulator, client: ManagementClient, c: Accepted, args: LinkArguments) {
  const before = snapshot(em);
  const unchanged = (blockers: Issue[]) => {
    expect(blockers).toEqual([]);
    expect(snapshot(em)).toBe(before);
  };
  if (c.action === "link") {
    const previewed = await previewLink(client, args);
    if (!previewed.ok) throw new Error(`the preview refused: ${JSON.stringify(previewed.issues)}`);
    unchanged(previewed.value.blockers);
    return (await executeLink(client, previewed.value)).identities;
  }
  const previewed = await previewUnlink(client, args);
  if (!previewed.ok) throw new Error(`the preview refused: ${JSON.stringify(previewed.issues)}`);
  unchanged(previewed.value.blockers);
  return executeUnlink(client, previewed.value);
}

describe("a preview that lets a change through sees the execution succeed", () => {
  test.each(accepted.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const em = emulator();
    const client = clientWith(em, await c.token(em));
    const identities = await previewThenExecute(em, client, c, await c.args(em));
    expect(identities.map((i) => i.id)).toEqual(c.after);
    const [primary = ""] = c.after;
    expect(em.state.getUser(primary)?.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual(c.after);
  });
});
