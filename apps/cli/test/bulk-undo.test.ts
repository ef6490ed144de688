// `idlink bulk --undo` gives back what linking took: the secondaries' metadata onto the users Auth0 recreates, and
// the keys --merge-metadata added to the primaries removed. End to end on the emulator over HTTP, the users
// compared with what they were before the run.
import { randomUUID } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { defaultSeed, type Seed } from "@idlink/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { Journal, readJournal } from "../src/bulk/journal.ts";
import {
  expectNoSecrets,
  idlink,
  journalRecords,
  json,
  pairIds,
  pairSeed,
  pairsFile,
  startTenant,
  type Tenant,
  tempDir,
  testJournalKey,
  writeJournal,
  writes,
} from "./helpers.ts";

const dir = tempDir();
const count = 4;
/** Four pairs with metadata on both sides; pair 3's secondary holds more than a journal keeps (12 KiB). */
function seed(): Seed {
  const base = pairSeed(defaultSeed(), count);
  return {
    ...base,
    users: base.users.map((user) => {
      const n = Number(user.user_id.slice(-1));
      if (user.user_id.startsWith("auth0|")) {
        return {
          ...user,
          user_metadata: { lang: "fr", shared: "the primary's" },
          app_metadata: { plan: "pro" },
        };
      }
      return {
        ...user,
        name: `Secondary ${n}`,
        user_metadata: {
          theme: "dark",
          shared: "the secondary's",
          prefs: { sizes: [1, 2], on: true },
          ...(n === 3 ? { notes: "x".repeat(12 * 1024) } : {}),
        },
        app_metadata: { crm_id: 40 + n, roles_mirror: ["editor"] },
      };
    }),
  };
}

/** What Auth0 gives back of a user: all but what it manages itself on the user object (and cannot restore). */
const lost = ["created_at", "updated_at", "last_login", "last_ip", "logins_count", "blocked", "multifactor"];
function comparable(tenant: Tenant, id: string): Record<string, unknown> | undefined {
  const user = tenant.emu.state.getUser(id);
  if (user === undefined) return undefined;
  return Object.fromEntries(Object.entries(user).filter(([k]) => !lost.includes(k)));
}

let tenant: Tenant;
beforeAll(async () => {
  tenant = await startTenant({ seed: seed(), rateLimit: false });
});
afterAll(async () => {
  await tenant.stop();
  dir.cleanup();
});
beforeEach(() => tenant.emu.state.reset(seed()));

/** A Management API call with the admin token, as someone else than idlink; answers the status. */
async function api(method: string, path: string, body?: object): Promise<number> {
  const answer = await fetch(`${tenant.emu.url}/api/v2/${path}`, {
    method,
    headers: { authorization: `Bearer ${tenant.adminToken}`, "content-type": "application/json" },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  await answer.arrayBuffer();
  return answer.status;
}

const link = (primary: string, secondary: string) =>
  api("POST", `users/${encodeURIComponent(primary)}/identities`, {
    provider: secondary.split("|")[0],
    user_id: secondary.split("|")[1],
  });

/** An undo journal of the bulk run `run`, holding `records`, as an undo that stopped would have left it. */
async function writeUndoJournal(path: string, run: string, records: object[]): Promise<void> {
  const key = testJournalKey();
  const target = { path, name: path };
  const state = await readJournal({ target, kind: "undo", use: "append", key: () => key });
  const journal = new Journal<{ type: string }>(target, key, state, {
    kind: "undo",
    run: randomUUID(),
    tenant: { origin: tenant.emu.url, audience: `${tenant.emu.url}/api/v2/` },
    undoes: run,
  });
  for (const record of records) await journal.append(record as { type: string });
  journal.close();
}

const bulk = (...args: string[]) => idlink(["bulk", ...args, "--yes", "--json"], { env: tenant.env });
const before = () =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => Object.values(pairIds(i))).flatMap((ids) =>
      ids.map((id) => [id, comparable(tenant, id)]),
    ),
  );

describe("idlink bulk --undo gives back the metadata", () => {
  test("link with metadata on both sides and --merge-metadata, undo: both users as before but what Auth0 keeps", async () => {
    const original = before();
    const file = pairsFile(dir.path, count);
    const linked = await bulk(file, "--merge-metadata");
    expect(linked.code).toBe(0);
    expect(json(linked)).toMatchObject({ linked: count, metadata: "kept" });
    // Merged: the secondary's keys the primary lacked (the primary wins "shared").
    expect(tenant.emu.state.getUser(pairIds(0).primary)?.user_metadata).toEqual({
      lang: "fr",
      shared: "the primary's",
      theme: "dark",
      prefs: { sizes: [1, 2], on: true },
    });
    const journal = `${file}.journal.jsonl`;
    expect(statSync(journal).mode & 0o777).toBe(0o600);
    const started = journalRecords(journal).filter((r) => r.type === "started");
    expect(started.find((r) => r.secondary === pairIds(0).secondary)).toMatchObject({
      kept: { user_metadata: { theme: "dark" }, app_metadata: { crm_id: 40 } },
      // Of what it merged, digests: the values are not kept twice.
      merged: {
        theme: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        prefs: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      },
    });
    expect(started.find((r) => r.secondary === pairIds(3).secondary)?.kept).toMatchObject({
      omitted: "too_large",
    });

    // Since the run: pair 1's primary was given another value of a key the run merged into it.
    expect(
      await api("PATCH", `users/${encodeURIComponent(pairIds(1).primary)}`, {
        user_metadata: { theme: "light" },
      }),
    ).toBe(200);
    tenant.emu.state.requests.length = 0;
    const undone = await bulk("--undo", journal);
    expect(undone.code).toBe(0);
    const doc = json(undone);
    expect(doc).toMatchObject({ unlinked: count, restored: 2, restorePending: 0 });
    const notRestored = doc.notRestored as { primary: string }[];
    expect(notRestored.sort((a, b) => a.primary.localeCompare(b.primary))).toEqual([
      {
        primary: pairIds(1).primary,
        secondary: pairIds(1).secondary,
        what: `user_metadata.theme on ${pairIds(1).primary}`,
        why: "changed since the run merged it: the primary's value now is kept",
      },
      {
        primary: pairIds(3).primary,
        secondary: pairIds(3).secondary,
        what: "metadata",
        why: "not kept: 12.2 KiB, over the 10 KiB a pair the journal keeps",
      },
    ]);
    // Each row says what it gave back and what it could not; key names only, never values.
    expect(undone.stderr).toContain(
      `unlinked ${pairIds(0).secondary} ← ${pairIds(0).primary}: gave back user_metadata.theme, user_metadata.shared, user_metadata.prefs, app_metadata.crm_id, app_metadata.roles_mirror; removed from ${pairIds(0).primary} user_metadata.theme, user_metadata.prefs`,
    );
    expect(undone.stderr).toContain("not given back: user_metadata.theme on auth0|p000001 (changed since");
    expect(undone.stderr).not.toContain("dark");
    expect(undone.stdout).toContain("sessions and refresh tokens");

    const after = before();
    for (const i of [0, 2]) {
      for (const id of Object.values(pairIds(i))) expect(after[id]).toEqual(original[id]);
    }
    // Pair 1: all back but the key changed since, kept as it is now.
    expect(after[pairIds(1).secondary]).toEqual(original[pairIds(1).secondary]);
    expect(after[pairIds(1).primary]).toEqual({
      ...original[pairIds(1).primary],
      user_metadata: { lang: "fr", shared: "the primary's", theme: "light" },
    });
    // Pair 3: unlinked, its metadata (too large to keep) not back — as undo said.
    expect(after[pairIds(3).secondary]).toEqual({
      ...original[pairIds(3).secondary],
      user_metadata: undefined,
      app_metadata: undefined,
    });
    // A PATCH for each side that had something to give back (pair 3's primary: what was merged, though its
    // secondary's metadata was too large to keep), and nothing else but the unlinks.
    expect(
      writes(tenant.emu)
        .filter((w) => w.startsWith("PATCH"))
        .sort(),
    ).toEqual(
      [
        ...[0, 1, 2].map((i) => `PATCH /api/v2/users/${encodeURIComponent(pairIds(i).secondary)}`),
        ...[0, 1, 2, 3].map((i) => `PATCH /api/v2/users/${encodeURIComponent(pairIds(i).primary)}`),
      ].sort(),
    );
    expectNoSecrets(undone, tenant.secrets);
  });

  test("--no-keep-metadata keeps none: the journal holds no metadata, undo unlinks and says it cannot give it back", async () => {
    const file = pairsFile(dir.path, 2);
    const linked = await bulk(file, "--no-keep-metadata");
    expect(json(linked)).toMatchObject({ linked: 2, metadata: "not_kept" });
    const journal = `${file}.journal.jsonl`;
    expect(readFileSync(journal, "utf8")).not.toContain("dark");
    expect(journalRecords(journal).filter((r) => r.type === "started")[0]).toMatchObject({
      kept: { omitted: "not_kept" },
    });
    const undone = await bulk("--undo", journal);
    expect(json(undone)).toMatchObject({ unlinked: 2, restored: 0 });
    expect(undone.stderr).toContain("not given back: metadata (not kept: the run had --no-keep-metadata)");
    expect(tenant.emu.state.getUser(pairIds(0).secondary)?.user_metadata).toBeUndefined();
  });

  test("a journal of the previous version (no metadata kept) still resumes and undoes", async () => {
    const file = pairsFile(dir.path, 2);
    const journal = `${file}.journal.jsonl`;
    // What the previous idlink wrote for pair 0: started and linked, no `kept`; pair 1 left to the resume.
    const { primary, secondary } = pairIds(0);
    expect(await link(primary, secondary)).toBe(201);
    const base = { key: `${primary} ${secondary}`, row: 1, primary, secondary, at: "" };
    await writeJournal(journal, tenant.emu.url, [
      { type: "started", ...base },
      { type: "outcome", ...base, status: "linked", via: "link" },
    ]);
    const resumed = await bulk(file);
    expect(json(resumed)).toMatchObject({ linked: 1, alreadyDoneInJournal: 1 });
    const undone = await bulk("--undo", journal);
    expect(json(undone)).toMatchObject({ unlinked: 2, restored: 1 });
    expect(undone.stderr).toContain(
      `unlinked ${secondary} ← ${primary}: not given back: metadata (not kept: the run's journal was written by an earlier idlink)`,
    );
    expect(tenant.emu.state.getUser(pairIds(1).secondary)?.user_metadata).toMatchObject({ theme: "dark" });
  });

  test("an undo stopped between an unlink and its restore gives back on resume, sending no unlink; a user gone is said", async () => {
    const file = pairsFile(dir.path, 2);
    const journal = `${file}.journal.jsonl`;
    expect((await bulk(file)).code).toBe(0);
    // As if an undo was killed right after both unlinks: their outcomes written, nothing given back yet.
    const undoJournal = `${file}.journal.undo.jsonl`;
    const run = journalRecords(journal)[0]?.run as string;
    for (const i of [0, 1]) {
      const { primary, secondary } = pairIds(i);
      const path = `users/${encodeURIComponent(primary)}/identities/google-oauth2/${secondary.split("|")[1]}`;
      expect(await api("DELETE", path)).toBe(200);
    }
    const records = [0, 1].map((i) => ({
      type: "outcome",
      at: "",
      key: `${pairIds(i).primary} ${pairIds(i).secondary}`,
      ...pairIds(i),
      status: "unlinked",
      via: "unlink",
    }));
    await writeUndoJournal(undoJournal, run, records);
    // Since: the user recreated for pair 1 was linked into another (it is no user of its own any more).
    expect(await link(pairIds(2).primary, pairIds(1).secondary)).toBe(201);
    tenant.emu.state.requests.length = 0;
    const resumed = await bulk("--undo", journal, "--dry-run");
    expect(json(resumed)).toMatchObject({ toUnlink: 0, toRestore: 2 });
    const undone = await bulk("--undo", journal);
    expect(undone.code).toBe(0);
    expect(json(undone)).toMatchObject({ unlinked: 0, restored: 1 });
    expect(writes(tenant.emu)).toEqual([`PATCH /api/v2/users/${encodeURIComponent(pairIds(0).secondary)}`]);
    expect(undone.stderr).toContain(
      `user_metadata.theme (${pairIds(1).secondary} no longer exists (deleted since?))`,
    );
    expect(tenant.emu.state.getUser(pairIds(0).secondary)?.app_metadata).toEqual({
      crm_id: 40,
      roles_mirror: ["editor"],
    });
    // Done: a third run has nothing to do.
    expect(json(await bulk("--undo", journal))).toMatchObject({ toUnlink: 0, toRestore: 0 });
  });

  test("a merge whose answer was lost is still recorded, and undo removes its keys; lost answers while giving back too", async () => {
    const original = before();
    const file = pairsFile(dir.path, 2);
    // Every PATCH is applied, and its answer lost: the merge's outcome is unknown, as is each write of the undo.
    tenant.emu.setFaults({ methods: ["PATCH"], dropAfterRate: 1 });
    try {
      const linked = await bulk(file, "--merge-metadata");
      expect(json(linked)).toMatchObject({ linked: 2, failed: [] });
      expect(tenant.emu.state.getUser(pairIds(0).primary)?.user_metadata).toMatchObject({ theme: "dark" });
      const started = journalRecords(`${file}.journal.jsonl`).filter((r) => r.type === "started");
      expect(started.at(-1)?.merged).toMatchObject({ theme: expect.stringMatching(/^sha256:/) });
      const undone = await bulk("--undo", `${file}.journal.jsonl`);
      expect(json(undone)).toMatchObject({ unlinked: 2, restored: 2, notRestored: [] });
    } finally {
      tenant.emu.setFaults({});
    }
    const after = before();
    for (const i of [0, 1])
      for (const id of Object.values(pairIds(i))) expect(after[id]).toEqual(original[id]);
  });

  test("a merge Auth0 refuses fails its row, unlinked: a primary that does not exist", async () => {
    const file = `${dir.path}/missing-primary.csv`;
    writeFileSync(file, `auth0|nobody,${pairIds(0).secondary}\n`);
    const result = await bulk(file, "--merge-metadata");
    expect(result.code).toBe(3);
    expect(json(result).failed).toEqual([
      expect.objectContaining({ row: 1, status: "failed", reason: expect.stringContaining("404") }),
    ]);
    expect(journalRecords(`${file}.journal.jsonl`).at(-2)).toMatchObject({ status: "failed", via: "merge" });
    expect(writes(tenant.emu)).toEqual([]);
    expect(tenant.emu.state.getUser(pairIds(0).secondary)).toBeDefined();
  });

  test("a restore that keeps failing is left for the next undo, which only gives back", async () => {
    const file = pairsFile(dir.path, 1);
    expect((await bulk(file)).code).toBe(0);
    const journal = `${file}.journal.jsonl`;
    tenant.emu.setFaults({ methods: ["PATCH"], errorRate: 1 });
    let pending: Awaited<ReturnType<typeof bulk>>;
    try {
      pending = await bulk("--undo", journal);
    } finally {
      tenant.emu.setFaults({});
    }
    expect(pending.code).toBe(3);
    expect(json(pending)).toMatchObject({ ok: false, unlinked: 1, restorePending: 1 });
    expect(pending.stderr).toContain("its metadata is not given back yet (");
    expect(pending.stderr).toContain("run the undo again");
    tenant.emu.state.requests.length = 0;
    const resumed = await bulk("--undo", journal);
    expect(json(resumed)).toMatchObject({ ok: true, toUnlink: 0, toRestore: 1, restored: 1 });
    expect(writes(tenant.emu)).toEqual([`PATCH /api/v2/users/${encodeURIComponent(pairIds(0).secondary)}`]);
    expect(tenant.emu.state.getUser(pairIds(0).secondary)?.user_metadata).toMatchObject({ theme: "dark" });
  }, 30_000);

  test("--merge-metadata and --no-keep-metadata go with a run, not --undo", async () => {
    for (const flag of ["--merge-metadata", "--no-keep-metadata"]) {
      const result = await bulk("--undo", "j.jsonl", flag);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${flag} goes with a bulk run, not --undo: drop it.`);
    }
  });
});
