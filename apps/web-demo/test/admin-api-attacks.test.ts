// Issue 22, item 5: the admin API acts with the demo's Management credentials. These are the attacks on it: a
// local process (or another site's page) writing or reading without the page's per-start secret, a foreign Origin,
// and a body too large to read.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startDemoServer } from "../server/demo-server.ts";
import { injectProof, proofMatches } from "../server/security.ts";
import { type RunningDemo, startDemo } from "../server/start-demo.ts";
import { type ErrorResponse, proofHeader } from "../src/lib/api-types.ts";

const alice = "auth0|64f1a2b3c4d5e6f708192a3b";
const aliceGoogle = "google-oauth2|108234567890123456789";
const frank = "auth0|6600aa11bb22cc33dd44ee55";
let clientDir: string;
let demo: RunningDemo;

beforeAll(async () => {
  clientDir = await mkdtemp(join(tmpdir(), "idlink-demo-attacks-"));
  await writeFile(
    join(clientDir, "index.html"),
    "<!doctype html><html><head><title>demo</title></head></html>",
  );
  demo = await startDemo({ mode: "emulator", port: 0 }, clientDir);
});
afterAll(async () => {
  await demo?.stop();
  await rm(clientDir, { recursive: true, force: true });
});
beforeEach(() => demo.emulator?.state.reset());

/** What the tenant heard: every Management API call and token request since the last reset. */
const tenantCalls = () =>
  (demo.emulator?.state.requests ?? []).filter(
    (r) => r.path.startsWith("/api/v2") || r.path === "/oauth/token",
  );
const identitiesOf = (id: string) => demo.emulator?.state.getUser(id)?.identities.map((i) => i.user_id);

/** The proof as the page gets it: from the `<meta name="idlink-csrf">` of the HTML the server answers. */
async function pageProof(origin = demo.server.origin): Promise<string> {
  const html = await (await fetch(`${origin}/`)).text();
  const proof = /<meta name="idlink-csrf" content="([^"]+)">/.exec(html)?.[1];
  if (!proof) throw new Error(`no proof in the page: ${html}`);
  return proof;
}

async function api(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; error: ErrorResponse["error"] | undefined; body: unknown }> {
  const response = await fetch(`${demo.server.origin}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const parsed: unknown = await response.json();
  const error = (parsed as Partial<ErrorResponse>).error;
  return { status: response.status, error, body: parsed };
}

const linkAliceGoogle = {
  primary: alice,
  body: { provider: "google-oauth2", user_id: aliceGoogle.split("|")[1] },
};
const unlinkFrankGithub = { primary: frank, provider: "github", user_id: "7700123" };

describe("the page's proof", () => {
  test("comes with the page's HTML, never cached, new at every start", async () => {
    const response = await fetch(`${demo.server.origin}/`);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html><html><head><meta name="idlink-csrf" content="[A-Za-z0-9_-]{43}">/);
    const proof = await pageProof();
    expect(proof).toBe(demo.server.proof);
    const other = await startDemoServer({ clientDir });
    try {
      expect(await pageProof(other.origin)).not.toBe(proof);
    } finally {
      await other.stop();
    }
  });

  test("is compared in constant time, whatever the length", () => {
    const proof = demo.server.proof;
    expect(proofMatches(proof, proof)).toBe(true);
    expect(proofMatches(`${proof}x`, proof)).toBe(false);
    expect(proofMatches("", proof)).toBe(false);
    expect(proofMatches(proof.slice(0, -1), proof)).toBe(false);
  });

  test("goes first in <head>, or after the doctype of a page without one", () => {
    expect(injectProof("<!doctype html><title>t</title>", "p")).toBe(
      '<!doctype html><meta name="idlink-csrf" content="p"><title>t</title>',
    );
    expect(injectProof('<html><head lang="en"><title>t</title>', "p")).toBe(
      '<html><head lang="en"><meta name="idlink-csrf" content="p"><title>t</title>',
    );
  });
});

describe("a local process without the page (curl: no Origin, no proof)", () => {
  test("cannot link: 403 naming the missing header, the user unchanged, nothing sent to the tenant", async () => {
    const { status, error } = await api("POST", "/api/link", {}, linkAliceGoogle);
    expect(status).toBe(403);
    expect(error?.message).toContain("the x-idlink-csrf header is missing");
    expect(identitiesOf(alice)).toEqual([alice.split("|")[1]]);
    expect(demo.emulator?.state.getUser(aliceGoogle)).toBeDefined();
    expect(tenantCalls()).toEqual([]);
  });

  test("cannot unlink, plan or read a user through the demo's credentials", async () => {
    expect((await api("POST", "/api/unlink", {}, unlinkFrankGithub)).status).toBe(403);
    expect(identitiesOf(frank)).toEqual([frank.split("|")[1], 7700123]);
    expect((await api("POST", "/api/plan", {}, linkAliceGoogle)).status).toBe(403);
    const read = await api("GET", `/api/users/${encodeURIComponent(alice)}`, {});
    expect(read.status).toBe(403);
    expect(JSON.stringify(read.body)).not.toContain("alice");
    for (const method of ["PUT", "PATCH", "DELETE"]) {
      expect((await api(method, "/api/link", {}, linkAliceGoogle)).status, method).toBe(403);
    }
    expect(tenantCalls()).toEqual([]);
  });

  test("cannot pass a wrong, stale or repeated proof", async () => {
    const stale = await startDemoServer({});
    const wrongs = [stale.proof, `${demo.server.proof}A`, demo.server.proof.toUpperCase(), "x"];
    await stale.stop();
    for (const wrong of wrongs) {
      const { status, error } = await api("POST", "/api/link", { [proofHeader]: wrong }, linkAliceGoogle);
      expect(status).toBe(403);
      expect(error?.message).toContain("does not match this server's token");
    }
    // The header twice (node:fetch joins them with ", "): not the proof either.
    const twice = new Headers({ "content-type": "application/json" });
    twice.append(proofHeader, demo.server.proof);
    twice.append(proofHeader, demo.server.proof);
    const response = await fetch(`${demo.server.origin}/api/link`, {
      method: "POST",
      headers: twice,
      body: JSON.stringify(linkAliceGoogle),
    });
    expect(response.status).toBe(403);
    expect(identitiesOf(alice)).toHaveLength(1);
    expect(tenantCalls()).toEqual([]);
  });

  test("still gets the page's public configuration (preloaded by the page without a header)", async () => {
    const { status, body } = await api("GET", "/api/config", {});
    expect(status).toBe(200);
    expect(body).toMatchObject({ mode: "emulator", spaClientId: "idlink-spa" });
  });
});

describe("another site's page", () => {
  test("is refused with its foreign Origin, even holding the proof", async () => {
    const proof = await pageProof();
    for (const origin of ["https://evil.example", "http://127.0.0.1:1", "null"]) {
      const { status, error } = await api(
        "POST",
        "/api/link",
        { origin, [proofHeader]: proof },
        linkAliceGoogle,
      );
      expect(status, origin).toBe(403);
      expect(error?.message).toContain(`requests from ${origin} are not allowed`);
    }
    expect(identitiesOf(alice)).toHaveLength(1);
    expect(tenantCalls()).toEqual([]);
  });
});

describe("the page itself", () => {
  test("links, reads and unlinks with the proof from its HTML", async () => {
    const proof = await pageProof();
    const headers = { origin: demo.server.origin, [proofHeader]: proof };
    const linked = await api("POST", "/api/link", headers, linkAliceGoogle);
    expect(linked.status).toBe(200);
    expect(identitiesOf(alice)).toEqual([alice.split("|")[1], aliceGoogle.split("|")[1]]);
    const read = await api("GET", `/api/users/${encodeURIComponent(alice)}`, headers);
    expect(read.status).toBe(200);
    const unlinked = await api("POST", "/api/unlink", headers, {
      primary: alice,
      provider: "google-oauth2",
      user_id: aliceGoogle.split("|")[1],
    });
    expect(unlinked.status).toBe(200);
    expect(identitiesOf(alice)).toHaveLength(1);
  });
});

/** A raw HTTP/1.1 request: the head, then only `sent` bytes of the body; answers what came back and whether the
 * server closed the connection while the client still held the rest of the body. */
function oversized(head: string, sent: Buffer): Promise<{ answer: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const port = Number(new URL(demo.server.origin).port);
    let answer = "";
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(head);
      socket.write(sent);
      // The rest of the 5 MB is never sent: a server that reads to the end would never answer.
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within 5 s; got: ${answer.slice(0, 200)}`));
    }, 5000);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    // An RST after the answer (the server closed with our bytes unread) is a close too.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ answer, closed: true });
    });
  });
}

describe("a body over the 64 KiB limit", () => {
  const fiveMegabytes = 5 * 1024 * 1024;
  const headers = () =>
    `host: 127.0.0.1:${new URL(demo.server.origin).port}\r\ncontent-type: application/json\r\n` +
    `origin: ${demo.server.origin}\r\n${proofHeader}: ${demo.server.proof}\r\n`;

  function expect413(answer: string) {
    const [head = "", body = ""] = answer.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    expect(head.toLowerCase()).toContain("connection: close");
    const error = (JSON.parse(body) as ErrorResponse).error;
    expect(error.title).toBe("Request body too large");
    expect(error.message).toContain("limit of 64 KiB (65536 bytes)");
  }

  test("declared (Content-Length: 5 MB): 413 before the body is sent, and the connection closed", async () => {
    const { answer, closed } = await oversized(
      `POST /api/link HTTP/1.1\r\n${headers()}content-length: ${fiveMegabytes}\r\n\r\n`,
      Buffer.alloc(16 * 1024, 0x20),
    );
    expect413(answer);
    expect(closed).toBe(true);
    expect(tenantCalls()).toEqual([]);
  });

  test("streamed (chunked, no length): read up to the limit only, then 413 and the connection closed", async () => {
    const chunk = Buffer.alloc(128 * 1024, 0x20);
    const { answer, closed } = await oversized(
      `POST /api/link HTTP/1.1\r\n${headers()}transfer-encoding: chunked\r\n\r\n`,
      Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]),
    );
    expect413(answer);
    expect(closed).toBe(true);
    expect(tenantCalls()).toEqual([]);
  });

  test("a whole 5 MB upload (node:fetch) is answered 413, never 500", async () => {
    const response = await fetch(`${demo.server.origin}/api/link`, {
      method: "POST",
      headers: { "content-type": "application/json", [proofHeader]: demo.server.proof },
      body: Buffer.alloc(fiveMegabytes, 0x20),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as ErrorResponse).error.message).toContain("64 KiB");
    expect(tenantCalls()).toEqual([]);
  });

  test("a refused caller's upload is not read either: 403 and the connection closed", async () => {
    const { answer, closed } = await oversized(
      `POST /api/link HTTP/1.1\r\nhost: 127.0.0.1:${new URL(demo.server.origin).port}\r\n` +
        `content-type: application/json\r\ncontent-length: ${fiveMegabytes}\r\n\r\n`,
      Buffer.alloc(16 * 1024, 0x20),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).toContain("x-idlink-csrf header is missing");
    expect(closed).toBe(true);
  });
});
