import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import {
  createManagementClient,
  ManagementApiError,
  NetworkError,
  OutcomeUnknownError,
  parseTenantDomain,
  ValidationError,
} from "../src/index.ts";
import { createRecordingFetch, json, networkError, type Reply, TOKEN } from "./fetch-recorder.ts";

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

  test("never repeats a POST after a 5xx: the outcome is unknown", async () => {
    const { client, requests } = setup([
      json(503, { statusCode: 503, error: "Service Unavailable", message: "x" }),
    ]);
    const error = await client.link("auth0|1", { provider: "github", user_id: "1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toContain("read the primary user's identities");
    expect(requests).toHaveLength(1);
  });

  test("never repeats a POST after a dropped connection", async () => {
    const { client, requests } = setup([networkError("ECONNRESET")]);
    const error = await client.link("auth0|1", { provider: "github", user_id: "1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toContain("ECONNRESET");
    expect(requests).toHaveLength(1);
  });

  test("reports a refused connection as not sent", async () => {
    const { client } = setup([networkError("ECONNREFUSED")]);
    await expect(client.link("auth0|1", { provider: "github", user_id: "1" })).rejects.toBeInstanceOf(
      NetworkError,
    );
  });

  test("times out a request that gets no answer", async () => {
    const client = createManagementClient({
      domain: "http://127.0.0.1:9",
      token: TOKEN,
      timeoutMs: 50,
      fetch: (request) =>
        new Promise((_, reject) =>
          request.signal.addEventListener("abort", () => reject(request.signal.reason)),
        ),
    });
    const error = await client.link("auth0|1", { provider: "github", user_id: "1" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toContain("no answer within 0.05 s");
  });
});

describe("per-attempt timeout and the client's signal", () => {
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

  test("the client's signal aborts the attempts in flight with its reason", async () => {
    const stop = new AbortController();
    let started = 0;
    const client = createManagementClient({
      domain: "http://127.0.0.1:9",
      token: TOKEN,
      signal: stop.signal,
      fetch: (request) => {
        started++;
        return new Promise((_, reject) =>
          request.signal.addEventListener("abort", () => reject(request.signal.reason)),
        );
      },
    });
    const calls = [client.getUser("auth0|1"), client.getUser("auth0|2")].map((p) =>
      p.catch((e: unknown) => e),
    );
    while (started < 1) await new Promise((r) => setImmediate(r));
    stop.abort(new Error("interrupted"));
    for (const error of await Promise.all(calls)) expect((error as Error).message).toBe("interrupted");
  });
});

describe("rate limits", () => {
  test("retries a 429 after Retry-After and exposes the rate-limit state", async () => {
    const { client, requests, sleeps } = setup([
      json(
        429,
        { statusCode: 429, error: "Too Many Requests", message: "Global limit has been reached" },
        {
          "retry-after": "2",
          "x-ratelimit-limit": "50",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": "1700000000",
        },
      ),
      json(201, identities, {
        "x-ratelimit-limit": "50",
        "x-ratelimit-remaining": "49",
        "x-ratelimit-reset": "1700000003",
      }),
    ]);
    await client.link("auth0|1", { provider: "github", user_id: "1" });
    expect(requests).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(sleeps[0]).toBeLessThanOrEqual(2000 + 250);
    expect(client.rateLimit).toEqual({ limit: 50, remaining: 49, reset: 1700000003 });
  });

  test("waits one refill, read from x-ratelimit-reset, when there is no Retry-After", async () => {
    const reset = Math.ceil(Date.now() / 1000) + 5;
    const { client, sleeps } = setup([
      json(
        429,
        { statusCode: 429, error: "Too Many Requests", message: "x" },
        {
          "x-ratelimit-limit": "10",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(reset),
        },
      ),
      json(200, { user_id: "auth0|1" }),
    ]);
    await client.getUser("auth0|1");
    // The bucket of 10 is full in 5–6 s (whole seconds): one refill is a tenth of that, jitter ≤ 55 ms. The lower
    // bound leaves a busy machine a second between reading the clock here and in the client (the exact arithmetic,
    // on a fixed clock, is fidelity.test.ts's).
    expect(sleeps[0]).toBeGreaterThan(400);
    expect(sleeps[0]).toBeLessThanOrEqual(600 + 55);
  });

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

  test("keeps retrying 429s within the wait cap, however many", async () => {
    const tooMany = () =>
      json(429, { statusCode: 429, error: "Too Many Requests", message: "x" }, { "retry-after": "1" });
    const { client, requests } = setup(
      [...Array.from({ length: 7 }, tooMany), json(200, { user_id: "auth0|1" })],
      {
        maxRetries: 2,
      },
    );
    expect(await client.getUser("auth0|1")).toEqual({ user_id: "auth0|1" });
    expect(requests).toHaveLength(8);
  });

  test("stops retrying a read's 5xx after maxRetries", async () => {
    const failing = () => json(503, { statusCode: 503, error: "Service Unavailable", message: "x" });
    const { client, requests } = setup([failing(), failing(), failing()], { maxRetries: 2 });
    await expect(client.getUser("auth0|1")).rejects.toBeInstanceOf(ManagementApiError);
    expect(requests).toHaveLength(3);
  });
});

describe("reads", () => {
  test("retry a 5xx and a dropped connection", async () => {
    const { client, requests } = setup([
      json(500, { statusCode: 500, error: "Internal Server Error", message: "x" }),
      networkError("ECONNRESET"),
      json(200, { user_id: "auth0|1" }),
    ]);
    expect(await client.getUser("auth0|1")).toEqual({ user_id: "auth0|1" });
    expect(requests).toHaveLength(3);
  });

  test("end with a NetworkError when the retries run out", async () => {
    const { client } = setup(Array.from({ length: 5 }, () => networkError("ECONNRESET")));
    await expect(client.getUser("auth0|1")).rejects.toBeInstanceOf(NetworkError);
  });

  test("report an HTML error page in words", async () => {
    const { client } = setup([
      new Response("<html><body>Bad gateway</body></html>", {
        status: 404,
        headers: { "content-type": "text/html" },
      }),
    ]);
    await expect(client.getUser("auth0|1")).rejects.toThrow("Auth0 answered with an HTML page");
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
      "main identity, which Auth0 cannot remove",
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
    expect(() => createManagementClient({ domain: "tenant.auth0.com" })).toThrow(
      "needs token, getToken or clientCredentials",
    );
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
