import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";

// `idlink-emulator --mcp-api URL` (the global setup built dist/bin.js): idlink-mcp's API and Dynamic Client
// Registration, for an MCP server started by hand.
const root = fileURLToPath(new URL("../../..", import.meta.url));
const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

function bin(args: string[]) {
  const child = spawn(process.execPath, ["packages/emulator/dist/bin.js", ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "" },
  });
  running.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1] && stdout.includes("dev login:")) resolve(match[1]);
    });
    void exit.then((code) => reject(new Error(`exited ${code}: ${stdout}${stderr}`)));
  });
  // A run that is expected to exit never awaits its URL: its rejection is handled here, and still seen by an await.
  url.catch(() => undefined);
  return { child, url, exit, stdout: () => stdout, stderr: () => stderr };
}

describe("idlink-emulator --mcp-api URL", () => {
  test("serves the API to registered clients and says so", async () => {
    const mcp = "http://127.0.0.1:3000/mcp";
    const run = bin(["--mcp-api", mcp]);
    const url = await run.url;
    expect(run.stdout()).toContain(`mcp api:             ${mcp} (read:identities link:identities;`);
    expect(run.stdout()).toContain(`client registration: ${url}/oidc/register`);
    const registered = await fetch(`${url}/oidc/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        redirect_uris: ["http://127.0.0.1:33418/callback"],
        token_endpoint_auth_method: "none",
      }),
    });
    expect(registered.status).toBe(201);
    const { client_id } = (await registered.json()) as { client_id: string };
    const query = new URLSearchParams({
      client_id,
      redirect_uri: "http://127.0.0.1:33418/callback",
      response_type: "code",
      resource: mcp,
      code_challenge: "a".repeat(43),
      code_challenge_method: "S256",
    });
    const authorize = await fetch(`${url}/authorize?${query}`, { redirect: "manual" });
    expect(authorize.headers.get("location")).toMatch(/^\/u\/login\?state=/);
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });

  test("refuses a URL that is not absolute, naming the flag and the fix", async () => {
    const run = bin(["--mcp-api", "idlink-mcp"]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(
      'idlink-emulator: --mcp-api Invalid API: identifier "idlink-mcp": not an absolute URI without a fragment — give the MCP server\'s URL',
    );
    expect(run.stdout()).toBe("");
  });
});
