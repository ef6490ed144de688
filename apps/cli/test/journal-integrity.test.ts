// Attacks on `idlink bulk --undo`: a journal edited, forged, cut, replayed on another tenant or brought from
// another key, each against real emulators over HTTP and real files. The point of each: nothing is unlinked that
// the run did not link on that tenant.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { defaultSeed, seedUsers } from "@idlink/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  expectNoSecrets,
  idlink,
  json,
  pairIds,
  pairSeed,
  pairsFile,
  startTenant,
  type Tenant,
  tempDir,
  testJournalKey,
  writes,
} from "./helpers.ts";

const dir = tempDir();
const count = 3;
// The default seed (frank already holds github|7700123, a link no run made) plus three pairs to link.
const seed = { ...defaultSeed(), users: [...defaultSeed().users, ...pairSeed(defaultSeed(), count).users] };
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  a = await startTenant({ seed, rateLimit: false });
  b = await startTenant({ seed, rateLimit: false });
});
afterAll(async () => {
  await a.stop();
  await b.stop();
  dir.cleanup();
});
beforeEach(() => {
  a.emu.state.reset();
  b.emu.state.reset();
});

const ids = (tenant: Tenant, user: string) =>
  (tenant.emu.state.getUser(user)?.identities ?? []).map((i) => `${i.provider}|${i.user_id}`);
const linked = (tenant: Tenant, i: number) => ids(tenant, pairIds(i).primary).includes(pairIds(i).secondary);
const frankLinked = (tenant: Tenant) => ids(tenant, seedUsers.frank).includes(seedUsers.frankGithub);

/** Links the three pairs on `tenant` with a real bulk run; answers the journal's path. */
async function linkAll(tenant: Tenant, env: Record<string, string> = {}): Promise<string> {
  const file = pairsFile(dir.path, count);
  const result = await idlink(["bulk", file, "--yes", "--json"], { env: { ...tenant.env, ...env } });
  expect(result.code).toBe(0);
  for (let i = 0; i < count; i++) expect(linked(tenant, i)).toBe(true);
  return `${file}.journal.jsonl`;
}

const lines = (path: string) => readFileSync(path, "utf8").split("\n").slice(0, -1);
const writeLines = (path: string, all: string[]) => writeFileSync(path, `${all.join("\n")}\n`);
/** The 1-based line of the `linked` outcome of pair `i`. */
const outcomeLine = (all: string[], i: number) =>
  all.findIndex((l) => l.includes('"type":"outcome"') && l.includes(`"primary":"${pairIds(i).primary}"`)) + 1;

const undo = (journal: string, tenant: Tenant, ...flags: string[]) =>
  idlink(["bulk", "--undo", journal, "--yes", "--json", ...flags], { env: tenant.env });

/** Nothing reached the tenant: not a read, not a write. */
function expectUntouched(tenant: Tenant): void {
  expect(tenant.emu.state.requests).toEqual([]);
  for (let i = 0; i < count; i++) expect(linked(tenant, i)).toBe(true);
  expect(frankLinked(tenant)).toBe(true);
}

describe("a journal bound to its run and tenant", () => {
  test("records the tenant, a run id and the key's id in a MAC'd header; lines are chained", async () => {
    const journal = await linkAll(a);
    const all = lines(journal);
    const header = JSON.parse(all[0] ?? "");
    expect(header).toMatchObject({
      type: "journal",
      version: 2,
      kind: "bulk",
      run: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenant: { origin: a.emu.url, audience: `${a.emu.url}/api/v2/` },
      key: testJournalKey().id,
      mac: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    for (const line of all) expect(line).toMatch(/,"mac":"[0-9a-f]{64}"\}$/);
    expect(statSync(journal).mode & 0o777).toBe(0o600);
    // The key itself is nowhere in the journal.
    expect(readFileSync(journal, "utf8")).not.toContain(testJournalKey().secret.toString("hex"));
  });

  test("a valid journal undoes its run; a pair changed since the run is read, left alone, never sent", async () => {
    const journal = await linkAll(a);
    // Someone unlinked pair 1 by hand since the run, and linked it back elsewhere: not as the run left it.
    const { primary, secondary } = pairIds(1);
    const removed = await fetch(
      `${a.emu.url}/api/v2/users/${encodeURIComponent(primary)}/identities/google-oauth2/${secondary.split("|")[1]}`,
      { method: "DELETE", headers: { authorization: `Bearer ${a.adminToken}` } },
    );
    expect(removed.status).toBe(200);
    a.emu.state.requests.length = 0;
    const result = await undo(journal, a);
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ ok: true, unlinked: 2, notLinked: 1, tenant: a.emu.url });
    expect(writes(a.emu).sort()).toEqual(
      [0, 2].map(
        (i) =>
          `DELETE /api/v2/users/${encodeURIComponent(pairIds(i).primary)}/identities/google-oauth2/s00000${i}`,
      ),
    );
    expect(result.stderr).toContain(`${secondary} is no longer linked to ${primary}: left alone`);
    expect(frankLinked(a)).toBe(true);
    expectNoSecrets(result, a.secrets);
  });

  test("an edited line (a user id changed) is refused, naming the line; nothing is sent, the link stays", async () => {
    const journal = await linkAll(a);
    const all = lines(journal);
    const n = outcomeLine(all, 0);
    const { primary, secondary } = pairIds(0);
    // The forger points the outcome at a link no run made: frank's GitHub identity.
    all[n - 1] = (all[n - 1] ?? "")
      .replaceAll(primary, seedUsers.frank)
      .replaceAll(secondary, seedUsers.frankGithub);
    writeLines(journal, all);
    a.emu.state.requests.length = 0;
    for (const flags of [[], ["--trust-journal"]]) {
      const result = await undo(journal, a, ...flags);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${journal} line ${n} has been changed, removed or moved`);
      expect(result.stderr).toContain("A journal is never edited");
      expectUntouched(a);
    }
  });

  test("two lines swapped, a line removed from the middle, a line inserted: refused at the first bad line", async () => {
    const journal = await linkAll(a);
    const original = lines(journal);
    const cases: [string, string[], number][] = [
      ["swapped", [original[0], original[2], original[1], ...original.slice(3)] as string[], 2],
      ["removed", [...original.slice(0, 3), ...original.slice(4)], 4],
      ["inserted", [...original.slice(0, 3), original[3] ?? "", ...original.slice(3)], 5],
      ["header dropped", original.slice(1), 1],
    ];
    a.emu.state.requests.length = 0;
    for (const [, edited, line] of cases) {
      writeLines(journal, edited);
      const result = await undo(journal, a);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${journal} line ${line} has been changed, removed or moved`);
      expectUntouched(a);
    }
  });

  test("a header rewritten to name another tenant is refused at line 1", async () => {
    const journal = await linkAll(b);
    const all = lines(journal);
    all[0] = (all[0] ?? "").replaceAll(b.emu.url, a.emu.url);
    writeLines(journal, all);
    const result = await undo(journal, a);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("line 1 has been changed");
    expect(a.emu.state.requests).toEqual([]);
  });

  test("a journal replayed on another tenant is refused, naming both; nothing is sent to either", async () => {
    const journal = await linkAll(a);
    await linkAll(b); // the same pairs are linked on b too: an unbound undo would unlink them there
    a.emu.state.requests.length = 0;
    b.emu.state.requests.length = 0;
    for (const flags of [[], ["--trust-journal"]]) {
      const result = await undo(journal, b, ...flags);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`it was made on ${a.emu.url}, but this connection is to ${b.emu.url}`);
      expect(result.stderr).toContain(`Undo it on ${a.emu.url}`);
      expectUntouched(a);
      expectUntouched(b);
    }
  });

  test("a journal cut at its end (a crash mid-write) still undoes what it records", async () => {
    const journal = await linkAll(a);
    const text = readFileSync(journal, "utf8");
    writeFileSync(journal, text.slice(0, text.length - 20)); // the `end` record torn
    const result = await undo(journal, a);
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ unlinked: count });
  });

  test("a journal made with another key (another user or machine) is refused, saying how to proceed", async () => {
    const otherConfig = join(dir.path, "other-machine", "config.json");
    const journal = await linkAll(a, { IDLINK_CONFIG: otherConfig });
    a.emu.state.requests.length = 0;
    const refused = await undo(journal, a);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${journal} was made with another journal key`);
    expect(refused.stderr).toContain("pass --trust-journal");
    expectUntouched(a);
    // Trusted, it is still bound to its tenant…
    const elsewhere = await undo(journal, b, "--trust-journal");
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(`this connection is to ${b.emu.url}`);
    expect(b.emu.state.requests).toEqual([]);
    // …and on it, undoes the run, said as taken on trust.
    const trusted = await undo(journal, a, "--trust-journal");
    expect(trusted.code).toBe(0);
    expect(json(trusted)).toMatchObject({ unlinked: count, trusted: true });
    expect(trusted.stderr).toContain("taken on trust (--trust-journal)");
    expect(frankLinked(a)).toBe(true);
    // Neither key ever shows.
    for (const key of [testJournalKey(), testJournalKey(otherConfig)]) {
      expect(refused.stdout + refused.stderr + trusted.stdout + trusted.stderr).not.toContain(
        key.secret.toString("hex"),
      );
    }
  });

  test("a journal of an older idlink (no header, no MACs) is refused; --trust-journal undoes it on this tenant", async () => {
    const journal = await linkAll(a);
    // What idlink wrote before journals had headers: the same records without MACs.
    writeLines(
      journal,
      lines(journal)
        .slice(1)
        .map((l) => l.replace(/,"mac":"[0-9a-f]{64}"\}$/, "}")),
    );
    a.emu.state.requests.length = 0;
    const refused = await undo(journal, a);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${journal} was written by an older idlink`);
    expect(refused.stderr).toContain("--trust-journal");
    expectUntouched(a);
    const trusted = await undo(journal, a, "--trust-journal");
    expect(trusted.code).toBe(0);
    expect(json(trusted)).toMatchObject({ unlinked: count, tenant: null, trusted: true });
    expect(trusted.stderr).toContain(`names no tenant: it will be undone on ${a.emu.url}`);
  });

  test("what is not a bulk journal is refused: a pairs file, an undo journal, another run's undo journal", async () => {
    const journal = await linkAll(a);
    const pairs = journal.replace(/\.journal\.jsonl$/, "");
    a.emu.state.requests.length = 0;
    const notJournal = await undo(pairs, a);
    expect(notJournal.code).toBe(2);
    expect(notJournal.stderr).toContain(`${pairs} is not an idlink journal: line 1 is not a journal record`);

    const shared = join(dir.path, "shared.undo.jsonl");
    expect((await undo(journal, a, "--journal", shared)).code).toBe(0);
    const ofUndo = await undo(shared, a);
    expect(ofUndo.code).toBe(2);
    expect(ofUndo.stderr).toContain(`${shared} is the journal of an undo, not of a bulk run`);

    const second = await linkAll(a);
    a.emu.state.requests.length = 0;
    const otherRun = await undo(second, a, "--journal", shared);
    expect(otherRun.code).toBe(2);
    expect(otherRun.stderr).toContain(`--journal ${shared} is the undo journal of another run`);
    expect(a.emu.state.requests).toEqual([]);
  });
});

describe("bulk resumes only its own tenant's journal", () => {
  test("a journal of another tenant is refused before the question, naming both; nothing sent", async () => {
    const journal = await linkAll(a);
    const file = journal.replace(/\.journal\.jsonl$/, "");
    const result = await idlink(["bulk", file, "--yes"], { env: b.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`it was made on ${a.emu.url}, but this connection is to ${b.emu.url}`);
    expect(result.stderr).toContain("--journal F");
    expect(b.emu.state.requests).toEqual([]);
  });

  test("an edited journal is refused, naming the line; nothing sent", async () => {
    const journal = await linkAll(a);
    const file = journal.replace(/\.journal\.jsonl$/, "");
    const all = lines(journal);
    const n = outcomeLine(all, 2);
    all[n - 1] = (all[n - 1] ?? "").replace('"status":"linked"', '"status":"failed"');
    writeLines(journal, all);
    a.emu.state.requests.length = 0;
    for (const args of [["--yes"], ["--dry-run"]]) {
      const result = await idlink(["bulk", file, ...args], { env: a.env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`journal ${file}.journal.jsonl line ${n} has been changed`);
    }
    expect(a.emu.state.requests).toEqual([]);
  });

  test("a journal of an older idlink, or of another key, is not resumed; nothing sent", async () => {
    const journal = await linkAll(a);
    const file = journal.replace(/\.journal\.jsonl$/, "");
    const original = lines(journal);
    writeLines(
      journal,
      original.slice(1).map((l) => l.replace(/,"mac":"[0-9a-f]{64}"\}$/, "}")),
    );
    a.emu.state.requests.length = 0;
    const legacy = await idlink(["bulk", file, "--yes"], { env: a.env });
    expect(legacy.code).toBe(2);
    expect(legacy.stderr).toContain(`journal ${file}.journal.jsonl was written by an older idlink`);
    expect(legacy.stderr).toContain("Give this run a new journal (--journal F)");
    writeLines(journal, original);
    const foreign = await idlink(["bulk", file, "--yes"], {
      env: { ...a.env, IDLINK_CONFIG: join(dir.path, "someone-else", "config.json") },
    });
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain("was made with another journal key");
    expect(foreign.stderr).toContain("Resume the run as the user, on the machine, that started it");
    expect(a.emu.state.requests).toEqual([]);
  });

  test("--trust-journal goes with --undo only", async () => {
    const result = await idlink(["bulk", pairsFile(dir.path, 1), "--trust-journal", "--yes"], { env: a.env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--trust-journal goes with --undo");
    expect(a.emu.state.requests).toEqual([]);
  });
});

describe("the journal key", () => {
  test("is made 0600 in a 0700 folder on first use, never shown, and refused when others could read or swap it", async () => {
    const folder = join(dir.path, "fresh-user", "idlink");
    const env = { IDLINK_CONFIG: join(folder, "config.json") };
    const journal = await linkAll(a, env);
    const keyPath = join(folder, "journal.key");
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(lstatSync(keyPath).isFile()).toBe(true);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const secret = readFileSync(keyPath, "utf8").trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(journal, "utf8")).not.toContain(secret);

    chmodSync(keyPath, 0o644);
    a.emu.state.requests.length = 0;
    const open = await idlink(["bulk", "--undo", journal, "--yes"], { env: { ...a.env, ...env } });
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(
      `The journal key ${keyPath} can be read or changed by other users (mode 644)`,
    );
    expect(open.stderr).toContain(`chmod 600 ${keyPath}`);
    expect(open.stdout + open.stderr).not.toContain(secret);
    expectUntouched(a);

    // A key swapped for a link to another file: refused, not followed.
    chmodSync(keyPath, 0o600);
    copyFileSync(keyPath, join(folder, "elsewhere.key"));
    rmSync(keyPath);
    symlinkSync(join(folder, "elsewhere.key"), keyPath);
    const linkedKey = await idlink(["bulk", "--undo", journal, "--yes"], { env: { ...a.env, ...env } });
    expect(linkedKey.code).toBe(2);
    expect(linkedKey.stderr).toContain(`The journal key ${keyPath} is a symbolic link`);
    expect(linkedKey.stdout + linkedKey.stderr).not.toContain(secret);
    expectUntouched(a);
    expect(existsSync(keyPath)).toBe(true);

    // Not a key idlink made (a file put there by hand): refused, its content never shown.
    rmSync(keyPath);
    writeFileSync(keyPath, "hunter2-not-a-key\n", { mode: 0o600 });
    const odd = await idlink(["bulk", "--undo", journal, "--yes"], { env: { ...a.env, ...env } });
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain(`The journal key ${keyPath} is not a key idlink made`);
    expect(odd.stdout + odd.stderr).not.toContain("hunter2");
    expectUntouched(a);
  });

  test("a key folder any user may write into is refused (they could swap the key)", async () => {
    const folder = join(dir.path, "shared-folder");
    const env = { IDLINK_CONFIG: join(folder, "config.json") };
    const journal = await linkAll(a, env);
    chmodSync(folder, 0o777);
    a.emu.state.requests.length = 0;
    const result = await idlink(["bulk", "--undo", journal, "--yes"], { env: { ...a.env, ...env } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The folder ${folder} of the journal key can be written by any user`);
    expect(result.stderr).toContain(`chmod 700 ${folder}`);
    expectUntouched(a);
  });
});
