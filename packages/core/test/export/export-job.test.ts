import { describe, expect, test } from "vitest";
import {
  downloadExport,
  downloadJobExport,
  getJob,
  runUsersExport,
  startUsersExport,
} from "../../src/export/export-job.ts";
import { createManagementClient } from "../../src/http/client.ts";
import { ExportError, IdlinkError, ValidationError } from "../../src/present/errors.ts";

type Answer = { status: number; body?: unknown };

function fakeTenant(answers: Answer[]) {
  const seen: Request[] = [];
  const fetch = async (request: Request) => {
    seen.push(request);
    const next = answers.shift() ?? { status: 500 };
    return new Response(next.body === undefined ? null : JSON.stringify(next.body), {
      status: next.status,
      headers: { "content-type": "application/json" },
    });
  };
  const client = createManagementClient({
    domain: "tenant.example.com",
    token: "t0k3n-secret",
    fetch,
    retry: { maxRetries: 0 },
  });
  return { client, seen };
}

const job = (status: string, extra = {}) => ({
  id: "job_AbCdEfGhIjKlMnOp",
  type: "users_export",
  status,
  ...extra,
});
const noSleep = async () => {};

describe("startUsersExport and getJob", () => {
  test("validate before sending; nothing is sent when the request or the id is bad", async () => {
    const sent: Request[] = [];
    const client = createManagementClient({
      domain: "export-check.eu.auth0.com",
      token: "t",
      fetch: async (request) => {
        sent.push(request);
        return new Response("{}");
      },
    });
    const error = await startUsersExport(client, {
      connection_id: "con_x",
      limit: 0,
      format: "xml" as never,
      fields: [{ name: "" }],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual([
      "connection_id",
      "format",
      "limit",
      "fields[0].name",
    ]);
    await expect(getJob(client, "../users")).rejects.toThrow(ValidationError);
    expect(sent).toHaveLength(0);
  });
});

describe("runUsersExport", () => {
  test("starts the job, polls until completed and answers its location", async () => {
    const { client, seen } = fakeTenant([
      { status: 200, body: job("pending") },
      { status: 200, body: job("processing", { percentage_done: 40 }) },
      { status: 200, body: job("completed", { location: "https://files.example/x.json.gz" }) },
    ]);
    const statuses: string[] = [];
    const done = await runUsersExport(
      client,
      { format: "json", fields: [{ name: "email" }] },
      {
        sleep: noSleep,
        onProgress: (j) => statuses.push(j.status),
      },
    );
    expect(done.location).toBe("https://files.example/x.json.gz");
    expect(statuses).toEqual(["pending", "processing", "completed"]);
    expect(seen.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      "POST /api/v2/jobs/users-exports",
      "GET /api/v2/jobs/job_AbCdEfGhIjKlMnOp",
      "GET /api/v2/jobs/job_AbCdEfGhIjKlMnOp",
    ]);
    expect(await seen[0]?.json()).toEqual({ format: "json", fields: [{ name: "email" }] });
  });

  test.each(["failed", "expired"])("a %s job is an ExportError", async (status) => {
    const { client } = fakeTenant([
      { status: 200, body: job("pending") },
      { status: 200, body: job(status, { status_details: "boom" }) },
    ]);
    const error = await runUsersExport(client, {}, { sleep: noSleep }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect(error).toBeInstanceOf(IdlinkError);
    expect((error as Error).message).toBe(
      `Export job job_AbCdEfGhIjKlMnOp ${status}: boom — start a new export`,
    );
  });

  test("a completed job without a location is an ExportError", async () => {
    const { client } = fakeTenant([
      { status: 200, body: job("pending") },
      { status: 200, body: job("completed") },
    ]);
    await expect(runUsersExport(client, {}, { sleep: noSleep })).rejects.toThrow(
      "Export job job_AbCdEfGhIjKlMnOp completed without a location",
    );
  });

  test("waits longer between polls, doubling up to maxPollMs", async () => {
    const { client } = fakeTenant([
      { status: 200, body: job("pending") },
      ...Array.from({ length: 4 }, () => ({ status: 200, body: job("processing") })),
      { status: 200, body: job("completed", { location: "https://files.example/x.json.gz" }) },
    ]);
    const waits: number[] = [];
    await runUsersExport(
      client,
      {},
      {
        pollMs: 100,
        maxPollMs: 500,
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    expect(waits).toEqual([100, 200, 400, 500, 500]);
  });

  test("waits what the job says it still needs (time_left_seconds), within pollMs and maxPollMs", async () => {
    const { client } = fakeTenant([
      { status: 200, body: job("pending") },
      { status: 200, body: job("processing", { time_left_seconds: 3 }) },
      { status: 200, body: job("processing", { time_left_seconds: 0 }) },
      { status: 200, body: job("processing", { time_left_seconds: 600 }) },
      { status: 200, body: job("processing") },
      { status: 200, body: job("completed", { location: "https://files.example/x.json.gz" }) },
    ]);
    const waits: number[] = [];
    await runUsersExport(
      client,
      {},
      {
        pollMs: 1000,
        maxPollMs: 10_000,
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    expect(waits).toEqual([1000, 3000, 1000, 10_000, 10_000]);
  });

  test("gives up with an ExportError once timeoutMs has passed", async () => {
    const { client } = fakeTenant([
      { status: 200, body: job("pending") },
      ...Array.from({ length: 5 }, () => ({ status: 200, body: job("processing") })),
    ]);
    const error = await runUsersExport(
      client,
      {},
      {
        timeoutMs: 20,
        pollMs: 15,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExportError);
    expect((error as Error).message).toBe("Export job job_AbCdEfGhIjKlMnOp did not finish in time");
  });

  test("an abort during the wait between polls stops it at once, polling no more", async () => {
    const { client, seen } = fakeTenant([{ status: 200, body: job("pending") }]);
    const stop = new AbortController();
    // The first wait is an hour: only the abort can end it.
    const run = runUsersExport(client, {}, { signal: stop.signal, pollMs: 3_600_000 });
    while (seen.length === 0) await new Promise((r) => setImmediate(r));
    stop.abort(new Error("interrupted"));
    await expect(run).rejects.toThrow("interrupted");
    expect(seen).toHaveLength(1);
  });
});

describe("downloadExport", () => {
  test("sends no Authorization header and streams the bytes", async () => {
    const seen: Request[] = [];
    const fetch = async (request: Request) => {
      seen.push(request);
      return new Response(new Uint8Array([1, 2, 3]), { status: 200 });
    };
    const bytes: number[] = [];
    for await (const chunk of downloadExport("https://files.example/x.gz", { fetch })) bytes.push(...chunk);
    expect(bytes).toEqual([1, 2, 3]);
    expect(seen[0]?.headers.has("authorization")).toBe(false);
  });

  test("an expired link says to start a new export", async () => {
    const fetch = async () => new Response("<Error/>", { status: 403 });
    const read = (async () => {
      for await (const _ of downloadExport("https://files.example/x.gz", { fetch })) {
      }
    })();
    await expect(read).rejects.toThrow(
      "The export's download link was refused (it expires): start a new export",
    );
  });

  test("tells the file's size when the storage sends it", async () => {
    const fetch = async () =>
      new Response(new Uint8Array([1, 2, 3]), { status: 200, headers: { "content-length": "3" } });
    const sizes: number[] = [];
    for await (const _ of downloadExport("https://files.example/x.gz", {
      fetch,
      onSize: (n) => sizes.push(n),
    })) {
    }
    expect(sizes).toEqual([3]);
  });

  test("any other failed download says its status", async () => {
    const fetch = async () => new Response("busy", { status: 503 });
    const read = (async () => {
      for await (const _ of downloadExport("https://files.example/x.gz", { fetch })) {
      }
    })();
    await expect(read).rejects.toThrow(new ExportError("Downloading the export failed (503)"));
  });
});

describe("downloadJobExport", () => {
  const storage = (statuses: number[]) => {
    const seen: string[] = [];
    const fetch = async (request: Request) => {
      seen.push(request.url);
      const status = statuses.shift() ?? 500;
      return new Response(status === 200 ? new Uint8Array([7]) : "<Error/>", { status });
    };
    return { fetch, seen };
  };
  const read = async (chunks: AsyncIterable<Uint8Array>) => {
    const bytes: number[] = [];
    for await (const chunk of chunks) bytes.push(...chunk);
    return bytes;
  };

  test("without a location, asks the job for a fresh one", async () => {
    const { client, seen } = fakeTenant([
      { status: 200, body: job("completed", { location: "https://f.example/b" }) },
    ]);
    const files = storage([200]);
    expect(
      await read(downloadJobExport(client, { id: "job_AbCdEfGhIjKlMnOp" }, { fetch: files.fetch })),
    ).toEqual([7]);
    expect(seen.map((r) => new URL(r.url).pathname)).toEqual(["/api/v2/jobs/job_AbCdEfGhIjKlMnOp"]);
    expect(files.seen).toEqual(["https://f.example/b"]);
  });

  test("a refused link (it lasts 60 seconds) is renewed once from the job", async () => {
    const { client } = fakeTenant([
      { status: 200, body: job("completed", { location: "https://f.example/new" }) },
    ]);
    const files = storage([403, 200]);
    const given = { id: "job_AbCdEfGhIjKlMnOp", location: "https://f.example/old" };
    expect(await read(downloadJobExport(client, given, { fetch: files.fetch }))).toEqual([7]);
    expect(files.seen).toEqual(["https://f.example/old", "https://f.example/new"]);
  });

  test("a job without its file any more says to start a new export", async () => {
    const { client } = fakeTenant([{ status: 200, body: job("expired") }]);
    const files = storage([]);
    await expect(
      read(downloadJobExport(client, { id: "job_AbCdEfGhIjKlMnOp" }, { fetch: files.fetch })),
    ).rejects.toThrow(
      new ExportError(
        "Export job job_AbCdEfGhIjKlMnOp is expired and has no file any more (a job's files last 24 hours) — start a new export",
      ),
    );
    expect(files.seen).toEqual([]);
  });

  test("a fresh link refused too is the download's error", async () => {
    const { client } = fakeTenant([
      { status: 200, body: job("completed", { location: "https://f.example/new" }) },
    ]);
    const files = storage([403, 403]);
    const given = { id: "job_AbCdEfGhIjKlMnOp", location: "https://f.example/old" };
    await expect(read(downloadJobExport(client, given, { fetch: files.fetch }))).rejects.toThrow(
      "The export's download link was refused (it expires): start a new export",
    );
  });
});
