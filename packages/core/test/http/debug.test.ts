import { recordOutput, recordSecrets } from "@idlink/test-kit";
import { describe, expect, test } from "vitest";
import { clientCredentialsToken } from "../../src/auth/management-token.ts";
import { downloadExport } from "../../src/export/export-job.ts";
import type { Pacer } from "../../src/http/pacer.ts";
import { createTransport, OutgoingRequest } from "../../src/http/transport.ts";
import {
  createManagementClient,
  type DebugEvent,
  formatDebugEvent,
  OutcomeUnknownError,
} from "../../src/index.ts";
import { createRecordingFetch, json, networkError, type Reply, TOKEN } from "../fetch-recorder.ts";

const identities = [{ provider: "auth0", user_id: "1", connection: "Username-Password-Authentication" }];
const limits = {
  "x-ratelimit-limit": "50",
  "x-ratelimit-remaining": "49",
  "x-ratelimit-reset": "1764540000",
};
const ID_TOKEN =
  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJnb29nbGUtb2F1dGgyfDEwOCIsImF1ZCI6ImEifQ.c2lnbmF0dXJlLWlkLXRva2Vu";
const CLIENT_SECRET = "client-secret-that-must-never-show-9f8e7d6c5b4a";

// Unpaced, so the sequence of events is the same however loaded the machine: the pacer's waits are not the subject.
function setup(replies: Reply[], credentials: "token" | "client" = "token") {
  const recorder = createRecordingFetch(replies);
  const events: DebugEvent[] = [];
  const client = createManagementClient({
    domain: `debug-${Math.random().toString(36).slice(2)}.example.auth0.com`,
    ...(credentials === "token"
      ? { token: TOKEN }
      : { getToken: clientCredentialsToken({ clientId: "cid", clientSecret: CLIENT_SECRET }) }),
    fetch: recorder.fetch,
    retry: { sleep: async () => {} },
    pacer: false,
    onEvent: (event) => events.push(event),
  });
  const trail = () => events.map(formatDebugEvent);
  return { client, events, trail, requests: recorder.requests };
}

function expectNoSecret(trail: string[], events: DebugEvent[]) {
  recordSecrets(TOKEN, ID_TOKEN, CLIENT_SECRET);
  const text = `${trail.join("\n")}\n${JSON.stringify(events)}`;
  recordOutput("core: debug trail", text);
  for (const secret of [TOKEN, ID_TOKEN, CLIENT_SECRET, "c2lnbmF0dXJl"]) expect(text).not.toContain(secret);
}

describe("debug trail", () => {
  test("shows each attempt, its status, timing and rate-limit headers, and the pause after a 429", async () => {
    const { client, events, trail } = setup([
      json(
        429,
        { error: "too_many_requests" },
        { ...limits, "x-ratelimit-remaining": "0", "retry-after": "1" },
      ),
      json(201, identities, limits),
    ]);
    await client.link("auth0|1", { link_with: ID_TOKEN });
    expect(events.map((e) => (e.type === "decision" ? `decision:${e.decision}` : e.type))).toEqual([
      "request",
      "response",
      "decision:pause",
      "wait",
      "request",
      "response",
    ]);
    const lines = trail();
    expect(lines[0]).toMatch(/→ POST \/api\/v2\/users\/auth0%7C1\/identities \(Link\)$/);
    expect(lines[1]).toMatch(
      /← 429 POST \/api\/v2\/users\/auth0%7C1\/identities \d+ ms · limit 50 remaining 0 reset 1764540000 · retry-after 1$/,
    );
    expect(lines[2]).toMatch(/pause every call, retry in \d+ ms — 429/);
    expect(lines[3]).toContain("every call is paused after a 429");
    expect(lines[4]).toContain("(Link, attempt 2)");
    expect(lines[5]).toMatch(/← 201 POST .* · limit 50 remaining 49 reset 1764540000$/);
    expectNoSecret(lines, events);
  });

  test("says a write without an answer is not repeated", async () => {
    const { client, events, trail } = setup([json(503, { error: "unavailable" })]);
    await expect(client.link("auth0|1", { provider: "github", user_id: "1" })).rejects.toBeInstanceOf(
      OutcomeUnknownError,
    );
    expect(events.at(-1)).toMatchObject({ type: "decision", decision: "outcome-unknown" });
    expect(trail().at(-1)).toContain(
      "outcome unknown, not repeated — a write answered 503 may have been applied",
    );
  });

  test("shows a read retried after a dropped connection", async () => {
    const { client, trail } = setup([networkError("ECONNRESET"), json(200, { user_id: "auth0|1" })]);
    await client.getUser("auth0|1");
    const lines = trail();
    expect(lines[1]).toMatch(
      /← no answer GET \/api\/v2\/users\/auth0%7C1 after \d+ ms: connection failed: ECONNRESET/,
    );
    expect(lines[2]).toMatch(/retry in \d+ ms — connection failed: ECONNRESET; a read is safe to repeat/);
    expect(lines.at(-1)).toMatch(/← 200 GET/);
  });

  test("shows the token request without its body or the token", async () => {
    const { client, events, trail } = setup(
      [
        json(200, { access_token: TOKEN, expires_in: 86400, token_type: "Bearer" }),
        json(200, { user_id: "u" }),
      ],
      "client",
    );
    await client.getUser("auth0|1");
    const lines = trail();
    expect(lines[0]).toMatch(/→ POST \/oauth\/token \(Get Management token\)$/);
    expect(lines[1]).toMatch(/← 200 POST \/oauth\/token \d+ ms$/);
    expect(lines[2]).toMatch(/→ GET \/api\/v2\/users\/auth0%7C1 \(Get user\)$/);
    expectNoSecret(lines, events);
  });

  test("redacts a token that reaches a path, and shows a download without its signed query", async () => {
    const line = formatDebugEvent({
      type: "request",
      at: 0,
      attempt: 1,
      operation: "Get user",
      method: "GET",
      path: `/api/v2/users/${ID_TOKEN}`,
    });
    expect(line).toBe("00:00:00.000 → GET /api/v2/users/[redacted] (Get user)");

    const events: DebugEvent[] = [];
    const signed = "https://exports.example/tenant/users.json.gz?X-Amz-Signature=abcdef0123456789";
    const { fetch } = createRecordingFetch([new Response("data", { status: 200 })]);
    for await (const _ of downloadExport(signed, { fetch, onEvent: (e) => events.push(e) })) {
      // drain
    }
    expect(events.map((e) => e.path)).toEqual(["/tenant/users.json.gz", "/tenant/users.json.gz"]);
    expect(JSON.stringify(events)).not.toContain("X-Amz-Signature");
  });

  test("shows the pacer holding a call back while the tenant's bucket refills", async () => {
    // Full again in 3–4 s, a tenth of that per request: the second call waits about 0.35 s, and still waits when a
    // busy machine stalls between the two calls for up to 2 s.
    const reset = String(Math.ceil(Date.now() / 1000) + 3);
    const empty = { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset };
    const recorder = createRecordingFetch([
      json(200, { user_id: "auth0|1" }, empty),
      json(200, { user_id: "auth0|1" }),
    ]);
    const events: DebugEvent[] = [];
    const client = createManagementClient({
      domain: "paced.example.auth0.com",
      token: TOKEN,
      fetch: recorder.fetch,
      onEvent: (event) => events.push(event),
    });
    await client.getUser("auth0|1");
    await client.getUser("auth0|1");
    const waits = events.filter((e) => e.type === "wait");
    expect(waits).toEqual([expect.objectContaining({ reason: "pacer", method: "GET" })]);
    expect(formatDebugEvent(waits[0] as DebugEvent)).toMatch(
      /… GET \/api\/v2\/users\/auth0%7C1 waited \d+ ms for the pacer \(spacing calls to the tenant's bucket\)$/,
    );
  });

  test("reports only the waits the pacer chose, not a slow machine's pause while asking it", async () => {
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // A machine busy elsewhere: time passes while the pacer is asked.
      }
    };
    const trail = async (pacer: Pacer) => {
      const events: DebugEvent[] = [];
      const transport = createTransport({
        fetch: async () => json(200, { user_id: "auth0|1" }),
        pacer,
        onEvent: (event) => events.push(event),
      });
      const sent = await transport.send(
        new OutgoingRequest("https://t.example.auth0.com/api/v2/users/auth0%7C1"),
        { operation: "Get user", method: "GET", path: "/api/v2/users/{id}" },
      );
      sent.release();
      return events.map((e) => e.type);
    };
    let ticket = 0;
    const pacer = (free: boolean): Pacer => ({
      tryAcquire: () => {
        busy(5);
        return free ? ++ticket : undefined;
      },
      acquire: async () => {
        await new Promise((r) => setTimeout(r, 20));
        return ++ticket;
      },
      settle: () => {},
    });
    expect(await trail(pacer(true))).toEqual(["request", "response"]);
    expect(await trail(pacer(false))).toEqual(["wait", "request", "response"]);
  });

  test("a sink that throws changes nothing", async () => {
    const recorder = createRecordingFetch([json(200, { user_id: "auth0|1" })]);
    const client = createManagementClient({
      domain: "tenant.example.auth0.com",
      token: TOKEN,
      fetch: recorder.fetch,
      onEvent: () => {
        throw new Error("sink broke");
      },
    });
    await expect(client.getUser("auth0|1")).resolves.toEqual({ user_id: "auth0|1" });
  });
});
