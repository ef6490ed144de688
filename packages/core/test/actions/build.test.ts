import { describe, expect, test } from "vitest";
import { type ActionProgress, waitForBuild, waitForDeployed } from "../../src/actions/build.ts";
import { createManagementClient } from "../../src/http/client.ts";
import { noSleep } from "./fake-tenant.ts";

/** A tenant answering each GET of the Action, and of its versions, from scripts. */
function scripted(actions: unknown[], versions: unknown[] = []) {
  const seen: string[] = [];
  const client = createManagementClient({
    domain: "acme.eu.auth0.com",
    token: "t",
    pacer: false,
    retry: { maxRetries: 0 },
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      seen.push(path);
      // Each script's last answer repeats.
      const next = (list: unknown[]) => (list.length > 1 ? list.shift() : list[0]);
      const body = path.endsWith("/versions") ? { versions: [next(versions) ?? {}] } : next(actions);
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    },
  });
  return { client, seen };
}

describe("waitForBuild", () => {
  test("reads until built, through pending, building and retrying; reports each read", async () => {
    const { client } = scripted(
      ["pending", "building", "retrying", "built"].map((status) => ({ id: "a1", status })),
    );
    const progress: ActionProgress[] = [];
    const outcome = await waitForBuild(client, "a1", {
      sleep: noSleep,
      pollMs: 100,
      onProgress: (p) => progress.push(p),
    });
    expect(outcome.status).toBe("built");
    expect(progress.map((p) => `${p.status}@${p.waitedMs}`)).toEqual([
      "pending@0",
      "building@100",
      "retrying@300",
      "built@700",
    ]);
  });

  test("a failed build ends the wait; a build that never ends gives up after timeoutMs of waits", async () => {
    expect(
      (await waitForBuild(scripted([{ status: "failed" }]).client, "a1", { sleep: noSleep })).status,
    ).toBe("failed");
    const { client, seen } = scripted([{ status: "building" }]);
    const outcome = await waitForBuild(client, "a1", {
      sleep: noSleep,
      pollMs: 1000,
      maxPollMs: 1000,
      timeoutMs: 3000,
    });
    expect(outcome.status).toBe("timeout");
    expect(seen).toHaveLength(4);
  });
});

describe("waitForDeployed", () => {
  const version = { id: "v2", number: 2, status: "built" as const, deployed: false };
  test("waits until the Action's deployed version is the new one (the deploy's answer says deployed: false)", async () => {
    const { client } = scripted(
      [{ deployed_version: { id: "v1" } }, { deployed_version: { id: "v2", number: 2, status: "built" } }],
      [{ id: "v2", status: "pending" }],
    );
    const outcome = await waitForDeployed(client, "a1", version, { sleep: noSleep });
    expect(outcome.status).toBe("deployed");
  });

  test("a version whose build failed ends it with Auth0's errors; the one before keeps running", async () => {
    const { client } = scripted(
      [{ deployed_version: { id: "v1" } }],
      [{ id: "v2", status: "failed", errors: [{ id: "e", msg: "Cannot find module 'x'" }] }],
    );
    expect(await waitForDeployed(client, "a1", version, { sleep: noSleep })).toEqual({
      status: "failed",
      errors: [{ id: "e", msg: "Cannot find module 'x'" }],
    });
  });
});
