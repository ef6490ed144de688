import { request as httpRequest } from "node:http";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  adminClient,
  alice,
  aliceGoogle,
  eras,
  findSecrets,
  frank,
  frankGithub,
  identityIds,
  rememberOutput,
  rememberSecret,
  structured,
  textOf,
  useEmulator,
} from "./helpers.ts";
import { type Spawned, spawnServer } from "./process.ts";

const emulator = useEmulator();
const bearer = "test-only-http-bearer-0123456789abcdef";
rememberSecret(bearer);
let server: Spawned | undefined;
let url = "";

beforeAll(async () => {
  server = spawnServer(
    {
      AUTH0_DOMAIN: emulator().url,
      AUTH0_CLIENT_ID: adminClient.clientId,
      AUTH0_CLIENT_SECRET: adminClient.clientSecret,
      IDLINK_MCP_HTTP_TOKEN: bearer,
    },
    ["--http", "--port", "0"],
  );
  const match = await server.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+\/mcp)/);
  url = match[1] ?? "";
});

afterAll(async () => {
  await server?.stop();
  if (server) expect(findSecrets([server.stdout(), server.stderr()])).toEqual([]);
});

/** A JSON-RPC answer from a body that is JSON or one SSE event carrying it. */
function parseAnswer(text: string): Record<string, unknown> {
  const data = text.trim().startsWith("{") ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? "");
  return JSON.parse(data) as Record<string, unknown>;
}

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});

/** A raw POST with exactly these headers (node:http, so Host can be set too). */
function post(
  headers: Record<string, string>,
  path = "/mcp",
  body: string = initialize,
  method = "POST",
): Promise<{ status: number; headers: Headers; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path,
        method,
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
      },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString("utf8");
        });
        res.on("end", () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers: h, body });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const authorized = { authorization: `Bearer ${bearer}` };
const envelope = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "raw", version: "0" },
};
/** The standard request headers of a 2026-07-28 POST (basic/transports/streamable-http.mdx, "Request Metadata"). */
const modernHeaders = (method: string, name?: string) => ({
  ...authorized,
  "mcp-protocol-version": "2026-07-28",
  "mcp-method": method,
  ...(name ? { "mcp-name": name } : {}),
});
const body = (method: string, params: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: "2.0", id: 7, method, params });
const getFrank = { name: "get_user_identities", arguments: { user_id: frank } };
/** What reached the tenant's Management API. */
const managementRequests = () => emulator().state.requests.filter((r) => r.path.startsWith("/api/v2/"));

async function connectClient(era: (typeof eras)[number], token = bearer): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const client = new Client(
    { name: "http-e2e", version: "0" },
    era === "2026-07-28" ? { versionNegotiation: { mode: { pin: era } } } : {},
  );
  await client.connect(transport);
  return client;
}

describe("idlink-mcp --http", () => {
  test("listens on 127.0.0.1 only", () => {
    expect(new URL(url).hostname).toBe("127.0.0.1");
  });

  test.each([
    ["no Authorization header", {}],
    ["a wrong bearer token", { authorization: "Bearer not-the-token-0123456789abcdef0123" }],
    ["the token with one character changed", { authorization: `Bearer ${bearer.slice(0, -1)}x` }],
    ["another scheme", { authorization: `Basic ${Buffer.from(`x:${bearer}`).toString("base64")}` }],
  ])("answers 401 to %s", async (_name, headers) => {
    const response = await post(headers);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("Bearer");
    expect(response.body).not.toContain(bearer);
  });

  test.each([
    ["a foreign Origin", { origin: "https://evil.example" }],
    ["the null Origin", { origin: "null" }],
    ["a foreign Host (DNS rebinding)", { host: "evil.example" }],
  ])("answers 403 to %s, even with the right token", async (_name, headers) => {
    const response = await post({ authorization: `Bearer ${bearer}`, ...headers });
    expect(response.status).toBe(403);
  });

  test("accepts a loopback Origin with the right token", async () => {
    const response = await post({ authorization: `Bearer ${bearer}`, origin: "http://localhost:6274" });
    expect(response.status).toBe(200);
    expect(response.body).toContain('"serverInfo"');
  });

  test("answers 404 off the MCP endpoint", async () => {
    const response = await post({ authorization: `Bearer ${bearer}` }, "/other");
    expect(response.status).toBe(404);
  });

  test.each(["GET", "DELETE", "PUT"])(
    "answers 405 to %s, which a stateless endpoint does not take",
    async (method) => {
      const response = await post(modernHeaders("tools/list"), "/mcp", "", method);
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      expect(JSON.parse(response.body)).toMatchObject({
        jsonrpc: "2.0",
        id: null,
        error: { message: expect.stringContaining(`${method} — the MCP endpoint takes POST only`) },
      });
    },
  );

  test("answers a 2026-07-28 request on its own: no initialize before it, no session after it", async () => {
    const response = await post(
      modernHeaders("tools/call", "get_user_identities"),
      "/mcp",
      body("tools/call", { ...getFrank, _meta: envelope }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("mcp-session-id")).toBeNull();
    const answer = parseAnswer(response.body);
    expect(answer).toMatchObject({
      id: 7,
      result: { resultType: "complete", structuredContent: { user_id: frank } },
    });
    rememberOutput("http", response.body);
  });

  test.each<[string, Record<string, string>, string, number, Record<string, unknown>]>([
    [
      "a forged Mcp-Method (the body calls a tool)",
      modernHeaders("tools/list", "get_user_identities"),
      body("tools/call", { ...getFrank, _meta: envelope }),
      -32020,
      {
        message: expect.stringMatching(
          /the body names method tools\/call but the Mcp-Method header names tools\/list/,
        ),
      },
    ],
    [
      "an Mcp-Name naming another tool",
      modernHeaders("tools/call", "link_accounts"),
      body("tools/call", { ...getFrank, _meta: envelope }),
      -32020,
      { message: expect.stringContaining('the Mcp-Name header names "link_accounts"') },
    ],
    [
      "no Mcp-Method header",
      { ...authorized, "mcp-protocol-version": "2026-07-28", "mcp-name": "get_user_identities" },
      body("tools/call", { ...getFrank, _meta: envelope }),
      -32020,
      { message: expect.stringContaining("the required Mcp-Method header is absent") },
    ],
    [
      "a 2026-07-28 body under a 2025 MCP-Protocol-Version",
      { ...modernHeaders("tools/call", "get_user_identities"), "mcp-protocol-version": "2025-11-25" },
      body("tools/call", { ...getFrank, _meta: envelope }),
      -32020,
      { message: expect.stringContaining("but the MCP-Protocol-Version header names 2025-11-25") },
    ],
    [
      "initialize (a 2025 session) under a 2026-07-28 MCP-Protocol-Version",
      modernHeaders("initialize"),
      initialize,
      -32020,
      { message: expect.stringContaining("an initialize request (legacy handshake) was sent with a modern") },
    ],
    [
      "a 2025 call (no _meta) under a 2026-07-28 MCP-Protocol-Version",
      modernHeaders("tools/call", "get_user_identities"),
      body("tools/call", getFrank),
      -32602,
      { message: expect.stringContaining("missing the required per-request envelope key(s): _meta") },
    ],
  ])(
    "answers 400 to %s, and nothing reaches Auth0 (streamable-http.mdx, Server Validation)",
    async (_, headers, sent, code, error) => {
      const response = await post(headers, "/mcp", sent);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ jsonrpc: "2.0", error: { code, ...error } });
      expect(managementRequests()).toEqual([]);
    },
  );

  test.each(eras)("serves a real client (%s), calling Auth0 with its own credentials", async (era) => {
    const client = await connectClient(era);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(era);
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(7);
      const result = await client.callTool({ name: "get_user_identities", arguments: { user_id: frank } });
      rememberOutput("http", JSON.stringify(result));
      expect(structured(result).identities).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  test("asks a 2026-07-28 client with elicitation, over HTTP, before unlinking", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${bearer}` } },
    });
    const client = new Client(
      { name: "http-e2e", version: "0" },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const asked: string[] = [];
    client.setRequestHandler("elicitation/create", async (req) => {
      asked.push(req.params.message);
      return { action: "accept", content: {} };
    });
    await client.connect(transport);
    try {
      const result = await client.callTool({
        name: "unlink_identity",
        arguments: { primary: frank, secondary: frankGithub },
      });
      rememberOutput("http", JSON.stringify(result), ...asked);
      expect(asked).toEqual([expect.stringContaining(`Unlink "${frankGithub}" from "${frank}"`)]);
      expect(structured(result)).toMatchObject({ status: "unlinked" });
      expect(identityIds(emulator(), frank)).toEqual([frank]);
    } finally {
      await client.close();
    }
  });

  test("confirms with a token across requests (each request gets a fresh server instance)", async () => {
    const client = await connectClient("2026-07-28");
    try {
      const refused = await client.callTool({
        name: "link_accounts",
        arguments: { primary: alice, secondary: aliceGoogle },
      });
      expect(textOf(refused)).toContain("Confirmation required");
      const preview = await client.callTool({
        name: "preview_link",
        arguments: { primary: alice, secondary: aliceGoogle },
      });
      const token = String(structured(preview).confirmation_token);
      const linked = await client.callTool({
        name: "link_accounts",
        arguments: { primary: alice, secondary: aliceGoogle, confirmation_token: token },
      });
      rememberOutput("http", JSON.stringify(refused), JSON.stringify(preview), JSON.stringify(linked));
      expect(structured(linked)).toMatchObject({ status: "linked" });
      expect(identityIds(emulator(), alice)).toEqual([alice, aliceGoogle]);
    } finally {
      await client.close();
    }
  });
});
