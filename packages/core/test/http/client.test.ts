import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import {
  createManagementClient,
  type LinkTarget,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  parseLinkArguments,
  parseTenantDomain,
  parseUnlinkArguments,
  type TokenContext,
  type UnlinkTarget,
  ValidationError,
} from "../../src/index.ts";
import { createRecordingFetch, json, networkError, type Reply, TOKEN } from "../fetch-recorder.ts";

const identities = [{ provider: "auth0", user_id: "1", connection: "Username-Password-Authentication" }];

function setup(replies: Reply[], retry = {}) {
  const recorder = createRecordingFetch(replies);
  const sleeps: number[] = [];
  const client = createManagementClient({
    domain: "tenant.example.auth0.com",
    token: TOKEN,
    fetch: recorder.fetch,
    retry: {
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      ...retry,
    },
  });
  return { client, requests: recorder.requests, sleeps };
}

describe("link", () => {
  test("sends the bearer token and the validated body to the encoded path", async () => {
    const { client, requests } = setup([json(201, identities)]);
    const result = await client.link("auth0|1", { provider: "google-oauth2", user_id: "108" });
    expect(result).toEqual(identities);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe("POST");
    expect(requests[0]?.url).toBe("https://tenant.example.auth0.com/api/v2/users/auth0%7C1/identities");
    expect(requests[0]?.headers.get("authorization")).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ provider: "google-oauth2", user_id: "108" });
  });

  test("sends nothing when the body is invalid", async () => {
    const { client, requests } = setup([]);
    const error = await client
      .link("auth0|1", { provider: "", connection_id: "", user_id: "", link_with: "" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual([
      "link_with",
      "provider",
      "user_id",
      "connection_id",
    ]);
    expect(requests).toHaveLength(0);
  });

  test.each([
    ["", "primary must not be empty"],
    ["..", 'primary cannot be ".."'],
    ["auth0%7C1", "looks percent-encoded"],
    [" auth0|1", "spaces at its start or end"],
  ])("rejects the primary id %j before sending", async (primary, message) => {
    const { client, requests } = setup([]);
    await expect(client.link(primary, { provider: "github", user_id: "1" })).rejects.toThrow(message);
    expect(requests).toHaveLength(0);
  });

  test("turns Auth0's error body into a ManagementApiError without the token", async () => {
    const { client } = setup([
      json(400, {
        statusCode: 400,
        error: "Bad Request",
        message: "Main identity and the new one are the same.",
        errorCode: "invalid_body",
      }),
    ]);
    const error = await client.link("auth0|1", { provider: "github", user_id: "1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    const e = error as ManagementApiError;
    expect(e.message).toBe(
      "Link failed (400 invalid_body): Main identity and the new one are the same. — POST /api/v2/users/{id}/identities",
    );
    expect(e.status).toBe(400);
    expect(e.errorCode).toBe("invalid_body");
    const shown = JSON.stringify({ ...e, message: e.message, stack: e.stack });
    recordSecrets(TOKEN);
    recordOutput("core: ManagementApiError", shown);
    expect(shown).not.toContain(TOKEN);
  });
});

describe("per-attempt timeout", () => {
  /** An answer whose headers come and whose body never ends, but errors when the request's signal aborts. */
  const stalledBody = (status: number) => (request: Request) =>
    Promise.resolve(
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"user_id":'));
            request.signal.addEventListener("abort", () => controller.error(request.signal.reason));
          },
        }),
        { status, headers: { "content-type": "application/json" } },
      ),
    );

  test("the timeout covers reading the body: a read is a network error, a write's outcome unknown", async () => {
    const options = { domain: "http://127.0.0.1:9", token: TOKEN, timeoutMs: 50, retry: { maxRetries: 0 } };
    const read = createManagementClient({ ...options, fetch: stalledBody(200) });
    const readError = await read.getUser("auth0|1").catch((e: unknown) => e);
    expect(readError).toBeInstanceOf(NetworkError);
    expect((readError as Error).message).toContain("timed out while reading the answer");
    const write = createManagementClient({ ...options, fetch: stalledBody(201) });
    const writeError = await write
      .link("auth0|1", { provider: "github", user_id: "1" })
      .catch((e: unknown) => e);
    expect(writeError).toBeInstanceOf(OutcomeUnknownError);
  });
});

describe("rate limits", () => {
  test("gives up with a ManagementApiError carrying retryAfter past the wait cap", async () => {
    const tooMany = () =>
      json(
        429,
        { error: "too_many_requests", error_description: "Rate limit exceeded" },
        { "retry-after": "30" },
      );
    const { client, requests } = setup([tooMany(), tooMany()], { maxWaitMs: 40_000 });
    const error = await client.getUser("auth0|1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as ManagementApiError).status).toBe(429);
    expect((error as ManagementApiError).retryAfter).toBe(30);
    expect((error as Error).message).toContain("Rate limit exceeded");
    expect(requests).toHaveLength(2);
  });
});

describe("reads", () => {
  test("report an HTML error page in words", async () => {
    const { client } = setup([
      new Response("<html><body>Bad gateway</body></html>", {
        status: 404,
        headers: { "content-type": "text/html" },
      }),
    ]);
    await expect(client.getUser("auth0|1")).rejects.toThrow("Auth0 answered with an HTML page");
  });

  test("end with a NetworkError that keeps the operation and the cause", async () => {
    const { client } = setup(
      Array.from({ length: 3 }, () => networkError("ECONNREFUSED")),
      { maxRetries: 1 },
    );
    const error = await client.getUser("auth0|a1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ operation: "Get user", cause: expect.any(TypeError) });
  });

  test("report malformed JSON on success as an invalid response", async () => {
    const { client } = setup([
      new Response("{not json", { status: 200, headers: { "content-type": "application/json" } }),
    ]);
    const error = await client.getUser("auth0|1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as ManagementApiError).error).toBe("invalid_response");
  });

  test("usersByEmail sends the email as a query parameter", async () => {
    const { client, requests } = setup([json(200, [])]);
    await client.usersByEmail("jane+1@example.com");
    expect(requests[0]?.url).toBe(
      "https://tenant.example.auth0.com/api/v2/users-by-email?email=jane%2B1%40example.com",
    );
  });

  test("usersByEmail rejects a non-address without sending", async () => {
    const { client, requests } = setup([]);
    await expect(client.usersByEmail("jane")).rejects.toBeInstanceOf(ValidationError);
    expect(requests).toHaveLength(0);
  });

  test("searchUsers asks engine v3 for a page with its totals, and answers the envelope", async () => {
    const user = { user_id: "auth0|9", email: "bob@example.com" };
    const { client, requests } = setup([
      json(200, { start: 10, limit: 10, length: 1, total: 11, users: [user] }),
    ]);
    const page = await client.searchUsers({
      q: 'identities.user_id:"7" AND identities.provider:"github"',
      page: 1,
      perPage: 10,
      sort: "created_at:1",
      fields: ["user_id", "email"],
    });
    expect(page).toEqual({ users: [user], total: 11, start: 10, limit: 10 });
    const url = new URL(requests[0]?.url ?? "");
    expect(url.pathname).toBe("/api/v2/users");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      q: 'identities.user_id:"7" AND identities.provider:"github"',
      search_engine: "v3",
      page: "1",
      per_page: "10",
      include_totals: "true",
      sort: "created_at:1",
      fields: "user_id,email",
    });
  });

  test("searchUsers reads a bare array as one whole page", async () => {
    const { client } = setup([json(200, [{ user_id: "auth0|1" }])]);
    expect(await client.searchUsers({ q: "email_verified:true" })).toEqual({
      users: [{ user_id: "auth0|1" }],
      total: 1,
      start: 0,
      limit: 50,
    });
  });

  test("searchUsers refuses what Auth0 would, naming the field, without sending", async () => {
    const { client, requests } = setup([]);
    const error = await client
      .searchUsers({ q: " ", page: 10, perPage: 100, sort: "created_at", fields: ["email,name"] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["q", "page", "sort", "fields"]);
    expect((error as ValidationError).issues[1]?.message).toContain("only the first 1000 matches");
    expect(requests).toHaveLength(0);
  });
});

describe("unlink", () => {
  test("splits the secondary on its first | and encodes each segment once", async () => {
    const { client, requests } = setup([json(200, identities)]);
    await client.unlink("auth0|1", "samlp|acme|jdoe@acme.example");
    expect(requests[0]?.method).toBe("DELETE");
    expect(requests[0]?.url).toBe(
      "https://tenant.example.auth0.com/api/v2/users/auth0%7C1/identities/samlp/acme%7Cjdoe%40acme.example",
    );
  });

  test("refuses to remove the main identity", async () => {
    const { client, requests } = setup([]);
    await expect(client.unlink("auth0|1", "auth0|1")).rejects.toThrow(
      "auth0|1 is the main identity of auth0|1 — Auth0 cannot remove it; name a linked secondary",
    );
    expect(requests).toHaveLength(0);
  });

  test("rejects a secondary that is not a full id", async () => {
    const { client } = setup([]);
    await expect(client.unlink("auth0|1", "108")).rejects.toThrow("secondary must be a full user id");
  });
});

describe("createManagementClient", () => {
  test.each([
    ["tenant.auth0.com", "https://tenant.auth0.com/api/v2/users/auth0%7Cx"],
    ["https://tenant.auth0.com/", "https://tenant.auth0.com/api/v2/users/auth0%7Cx"],
    ["http://127.0.0.1:4010", "http://127.0.0.1:4010/api/v2/users/auth0%7Cx"],
  ])("accepts the domain %s", async (domain, url) => {
    const recorder = createRecordingFetch([json(200, { user_id: "auth0|x" })]);
    const client = createManagementClient({ domain, token: TOKEN, fetch: recorder.fetch });
    await client.getUser("auth0|x");
    expect(recorder.requests[0]?.url).toBe(url);
  });

  test.each([
    ["https://tenant.auth0.com/api/v2", "a path"],
    ["tenant.auth0.com?x=1", "a query"],
    ["tenant.auth0.com#top", "a fragment"],
    ["https://me:pw@tenant.auth0.com", "user or password"],
    ["", "must not be empty"],
    ["'https://tenant.auth0.com'", "is wrapped in quotes — give the host without them"],
    ['"tenant.auth0.com"', "is wrapped in quotes"],
    [
      "https://manage.auth0.com/dashboard/eu/acme-prod/applications",
      "is the Auth0 dashboard's address — give the tenant's domain, e.g. acme-prod.eu.auth0.com",
    ],
    ["manage.auth0.com", "is the Auth0 dashboard's address — give the tenant's domain (Dashboard"],
  ])("refuses the domain %j, which would be dropped silently", (domain, message) => {
    expect(() => createManagementClient({ domain, token: TOKEN })).toThrow(message);
    expect(parseTenantDomain(domain)).toMatchObject({ ok: false, issues: [{ path: "domain" }] });
  });

  test("refuses plain http to a non-loopback host", () => {
    expect(() => createManagementClient({ domain: "http://tenant.auth0.com", token: TOKEN })).toThrow(
      "must use https",
    );
  });

  test("needs a token or getToken", () => {
    expect(() => createManagementClient({ domain: "tenant.auth0.com" })).toThrow("needs token or getToken");
  });

  test("asks getToken before each request", async () => {
    const recorder = createRecordingFetch([json(200, { user_id: "x" }), json(200, { user_id: "x" })]);
    let calls = 0;
    const client = createManagementClient({
      domain: "tenant.auth0.com",
      getToken: async () => `token-${++calls}`,
      fetch: recorder.fetch,
    });
    await client.getUser("auth0|x");
    await client.getUser("auth0|x");
    expect(recorder.requests.map((r) => r.headers.get("authorization"))).toEqual([
      "Bearer token-1",
      "Bearer token-2",
    ]);
  });
});

describe("parsed targets", () => {
  const linkTarget = (args: Parameters<typeof parseLinkArguments>[0]): LinkTarget => {
    const parsed = parseLinkArguments(args);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.value;
  };
  const unlinkTarget = (args: Parameters<typeof parseUnlinkArguments>[0]): UnlinkTarget => {
    const parsed = parseUnlinkArguments(args);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.value;
  };

  test("link sends a target from parseLinkArguments as it is", async () => {
    const { client, requests } = setup([json(201, identities)]);
    const target = linkTarget({ primary: "auth0|1", secondary: "samlp|acme|jdoe" });
    expect(await client.link(target)).toEqual(identities);
    expect(requests[0]?.url).toBe("https://tenant.example.auth0.com/api/v2/users/auth0%7C1/identities");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({ provider: "samlp", user_id: "acme|jdoe" });
  });

  test("link checks a hand-built target of the same shape, and sends nothing when it is invalid", async () => {
    const { client, requests } = setup([]);
    const handBuilt = {
      primary: "auth0|1",
      variant: "identity",
      body: { provider: "github", user_id: "" },
      notes: [],
    } as unknown as LinkTarget;
    const error = await client.link(handBuilt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: "user_id", message: expect.stringContaining("user_id must not be empty") },
    ]);
    const selfLink = { ...linkTarget({ primary: "auth0|1", secondary: "github|7" }), primary: "github|7" };
    await expect(client.link(selfLink)).rejects.toThrow("the secondary is the primary itself");
    expect(requests).toHaveLength(0);
  });

  test("a parsed target cannot be changed after it was checked", () => {
    const target = linkTarget({ primary: "auth0|1", provider: "github", user_id: "7" });
    expect(() => {
      (target as { primary: string }).primary = "..";
    }).toThrow(TypeError);
    expect(() => {
      (target.body as { user_id: string }).user_id = "..";
    }).toThrow(TypeError);
  });

  test("unlink sends a target from parseUnlinkArguments as it is", async () => {
    const { client, requests } = setup([json(200, identities)]);
    await client.unlink(unlinkTarget({ primary: "auth0|1", provider: "github", user_id: 7 }));
    expect(requests[0]?.method).toBe("DELETE");
    expect(requests[0]?.url).toBe(
      "https://tenant.example.auth0.com/api/v2/users/auth0%7C1/identities/github/7",
    );
  });

  test.each([
    [{ provider: "auth0", user_id: "1" }, "auth0|1 is the main identity of auth0|1 — Auth0 cannot remove it"],
    [{ provider: "github", user_id: ".." }, 'user_id cannot be ".."'],
    [{ provider: "gihtub", user_id: "7" }, 'provider "gihtub" is not an Auth0 identity provider'],
  ])("unlink checks a hand-built target naming %j, and sends nothing", async (secondary, message) => {
    const { client, requests } = setup([]);
    const handBuilt = { primary: "auth0|1", secondary } as UnlinkTarget;
    await expect(client.unlink(handBuilt)).rejects.toThrow(message);
    expect(requests).toHaveLength(0);
  });

  test("unlink takes the identity as { provider, user_id } too, checked the same way", async () => {
    const { client, requests } = setup([json(200, identities)]);
    await client.unlink("auth0|1", { provider: "github", user_id: "7" });
    expect(requests[0]?.url).toMatch(/\/identities\/github\/7$/);
    await expect(client.unlink("auth0|1", { provider: "github", user_id: "." } as never)).rejects.toThrow(
      'user_id cannot be "."',
    );
    expect(requests).toHaveLength(1);
  });
});

describe("the token source", () => {
  test("getToken receives the client's tenant, fetch, debug trail and timeout", async () => {
    const recorder = createRecordingFetch([json(200, { user_id: "auth0|x" })]);
    const contexts: TokenContext[] = [];
    const onEvent = () => {};
    const client = createManagementClient({
      domain: "https://context.eu.auth0.com/",
      getToken: (context) => {
        contexts.push(context);
        return "from-context";
      },
      fetch: recorder.fetch,
      onEvent,
      timeoutMs: 1234,
    });
    await client.getUser("auth0|x");
    expect(contexts).toHaveLength(1);
    const [context] = contexts;
    expect(context?.tenant).toBe(client.tenant);
    expect(context?.tenant).toEqual({
      origin: "https://context.eu.auth0.com",
      host: "context.eu.auth0.com",
      managementAudience: "https://context.eu.auth0.com/api/v2/",
    });
    expect(context?.fetch).toBe(recorder.fetch);
    expect(context?.onEvent).toBe(onEvent);
    expect(context?.timeoutMs).toBe(1234);
    expect(recorder.requests[0]?.headers.get("authorization")).toBe("Bearer from-context");
  });

  test("without a fetch of its own, getToken still gets one to send with", async () => {
    let seen: TokenContext | undefined;
    const client = createManagementClient({
      domain: "tenant.auth0.com",
      getToken: (context) => {
        seen = context;
        return "t";
      },
    });
    expect(await client.token()).toBe("t");
    expect(typeof seen?.fetch).toBe("function");
    expect(seen?.tenant.origin).toBe("https://tenant.auth0.com");
  });

  test("token() answers the fixed token as it is", async () => {
    const { client } = setup([]);
    expect(await client.token()).toBe(TOKEN);
  });
});

describe("the tenant", () => {
  test("a domain parseTenantDomain made is taken as it is", async () => {
    const parsed = parseTenantDomain("tenant.example.auth0.com");
    if (!parsed.ok) throw new Error("expected a domain");
    const recorder = createRecordingFetch([json(200, { user_id: "auth0|x" })]);
    const client = createManagementClient({ domain: parsed.value, token: TOKEN, fetch: recorder.fetch });
    expect(client.tenant).toBe(parsed.value);
    expect(client.origin).toBe("https://tenant.example.auth0.com");
    await client.getUser("auth0|x");
    expect(recorder.requests[0]?.url).toBe("https://tenant.example.auth0.com/api/v2/users/auth0%7Cx");
  });

  test("an object of that shape that parseTenantDomain did not make is parsed, and refused when bad", () => {
    const forged = {
      origin: "http://evil.example",
      host: "evil.example",
      managementAudience: "http://evil.example/api/v2/",
    };
    expect(() => createManagementClient({ domain: forged, token: TOKEN })).toThrow(ValidationError);
  });
});

describe("requests checked before sending", () => {
  test("send runs another module's operation through this client: its token, base URL and errors", async () => {
    const { client, requests } = setup([json(404, { statusCode: 404, error: "Not Found", message: "nope" })]);
    const error = await client
      .send({ operation: "Get job", method: "GET", path: "/jobs/{id}" }, (api, fetch) =>
        api.GET("/jobs/{id}", { params: { path: { id: "job_1" } }, fetch }),
      )
      .catch((e: unknown) => e);
    expect(requests[0]?.url).toBe("https://tenant.example.auth0.com/api/v2/jobs/job_1");
    expect(requests[0]?.headers.get("authorization")).toBe(`Bearer ${TOKEN}`);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as Error).message).toBe("Get job failed (404 Not Found): nope — GET /api/v2/jobs/{id}");
  });

  test("a metadata update needs a user id and something to update", async () => {
    const { client, requests } = setup([json(200, { user_id: "auth0|1" })]);
    const error = await client.updateMetadata("..", {}).catch((e: unknown) => e);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["user", "metadata"]);
    await client.updateMetadata("auth0|1", { user_metadata: { theme: "dark" } });
    expect(requests.map((r) => `${r.method} ${r.body}`)).toEqual([
      'PATCH {"user_metadata":{"theme":"dark"}}',
    ]);
  });

  test("getUser refuses an id that is not a full user id, naming the user", async () => {
    const { client, requests } = setup([]);
    const error = await client.getUser("108").catch((e: unknown) => e);
    expect((error as ValidationError).issues).toEqual([
      { path: "user", message: expect.stringContaining("user must be a full user id") },
    ]);
    expect(requests).toHaveLength(0);
  });
});

describe("network errors", () => {
  test("name the host the request went to, so a typo or a look-alike shows", async () => {
    const { client } = setup([
      networkError("ENOTFOUND"),
      networkError("ENOTFOUND"),
      networkError("ENOTFOUND"),
      networkError("ENOTFOUND"),
      networkError("ENOTFOUND"),
    ]);
    const error = await client.getUser("auth0|x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).host).toBe("tenant.example.auth0.com");
    expect((error as Error).message).toMatch(/^Get user could not reach tenant\.example\.auth0\.com \(/);
  });
});

describe("redirects", () => {
  // The emulator answers none, as Auth0's Management API; this loopback server answers every request with one, to
  // show what the platform's fetch does with the client's requests.
  test("are not followed: the token never goes where one points, a read is not retried, a write is unknown", async () => {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(
        `${request.method} ${request.url} ${request.headers.authorization === undefined ? "" : "with token"}`,
      );
      response.writeHead(302, { location: "/elsewhere" }).end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const client = createManagementClient({
        domain: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        token: TOKEN,
        pacer: false,
      });
      const read = await client.getUser("auth0|1").catch((e: unknown) => e);
      expect(read).toBeInstanceOf(NetworkError);
      expect((read as Error).message).toContain("answered with a redirect, which is not followed");
      const write = await client
        .link("auth0|1", { provider: "github", user_id: "1" })
        .catch((e: unknown) => e);
      expect(write).toBeInstanceOf(OutcomeUnknownError);
      expect(seen).toEqual([
        "GET /api/v2/users/auth0%7C1 with token",
        "POST /api/v2/users/auth0%7C1/identities with token",
      ]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
