import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { defaultSeed } from "@idlink/emulator";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { csvCell, csvDocument } from "../src/csv.ts";
import { readEnv } from "../src/env.ts";
import type { Io } from "../src/io.ts";
import { runCli } from "../src/program.ts";
import { fitLine, table } from "../src/style.ts";
import {
  alice,
  aliceGoogle,
  bob,
  bobGithub,
  expectNoSecrets,
  idlink,
  idlinkBin,
  json,
  pairIds,
  pairSeed,
  startTenant,
  type Tenant,
  tempDir,
} from "./helpers.ts";

const ansi = "\u001b[";
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const escapes = /\u001b\[[0-9;]*m/g;
const plain = (text: string) => text.replace(escapes, "");

/** A terminal session of `columns` columns for runCli. */
async function onTerminal(
  args: string[],
  env: Record<string, string>,
  options: { columns?: number; color?: boolean } = {},
) {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    env: readEnv(env),
    writeOut: (t) => {
      stdout += t;
    },
    writeErr: (t) => {
      stderr += t;
    },
    readStdin: async () => "",
    prompt: async () => "y",
    interactive: true,
    stderrIsTTY: true,
    colorOut: options.color ?? true,
    colorErr: options.color ?? true,
    outColumns: options.columns,
    errColumns: options.columns,
    interrupt: new AbortController().signal,
    cwd: process.cwd(),
    pid: process.pid,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** The lines of a CSV document (RFC 4180), unquoted: a small reader for the tests' own checks. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  return rows;
}

let tenant: Tenant;
const dir = tempDir();
beforeAll(async () => {
  const seed = defaultSeed();
  tenant = await startTenant({
    seed: { ...seed, users: [...seed.users, ...pairSeed(seed, 6).users] },
    rateLimit: { burst: 50, perSecond: 50 },
  });
});
beforeEach(() => {
  tenant.emu.state.reset();
  tenant.emu.setFaults({});
});
afterAll(async () => {
  await tenant.stop();
  dir.cleanup();
});

const debugLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("idlink debug: "));

describe("--debug and IDLINK_DEBUG", () => {
  test("trace every request and answer on stderr, the token request included, without a secret", async () => {
    // The first run of this process: core's token cache is empty, so the token request is in the trail.
    const debug = await idlink(["show", alice, "--debug"], { env: tenant.clientEnv });
    const plain = await idlink(["show", alice], { env: tenant.clientEnv });
    expect(debug.code).toBe(0);
    expect(debug.stdout).toBe(plain.stdout);
    const lines = debugLines(debug.stderr);
    expect(lines.length).toBe(debug.stderr.trimEnd().split("\n").length);
    expect(lines[0]).toMatch(/→ POST \/oauth\/token \(Get Management token\)$/);
    // The token endpoint has a rate-limit bucket of its own, whose headers the trail shows (fidelity corpus).
    expect(lines[1]).toMatch(/← 200 POST \/oauth\/token \d+ ms · limit \d+ remaining \d+ reset \d+$/);
    expect(lines[2]).toMatch(/→ GET \/api\/v2\/users\/auth0%7C64f1a2b3c4d5e6f708192a3b \(Get user\)$/);
    expect(lines[3]).toMatch(
      /← 200 GET \/api\/v2\/users\/auth0%7C\w+ \d+ ms · limit 50 remaining \d+ reset \d+$/,
    );
    expectNoSecrets(debug, tenant.secrets);

    const fromEnv = await idlink(["show", alice], { env: { ...tenant.clientEnv, IDLINK_DEBUG: "1" } });
    expect(debugLines(fromEnv.stderr).length).toBeGreaterThanOrEqual(2);
    const off = await idlink(["show", alice], { env: { ...tenant.clientEnv, IDLINK_DEBUG: "0" } });
    expect(off.stderr).toBe("");
    const requests = tenant.emu.state.requests.length;
    const unreadable = await idlink(["show", alice], { env: { ...tenant.clientEnv, IDLINK_DEBUG: "loud" } });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('IDLINK_DEBUG must be 1/true/yes or 0/false/no, not "loud"');
    expect(tenant.emu.state.requests.length).toBe(requests);
  });

  test("never show the ID token of link_with or the user's own token", async () => {
    const primary = await tenant.emu.login(alice);
    const secondary = await tenant.emu.login(aliceGoogle);
    const result = await idlink(["link", alice, "--link-with", "-", "--yes", "--debug"], {
      env: { AUTH0_DOMAIN: tenant.emu.url, AUTH0_TOKEN: primary.access_token },
      input: secondary.id_token,
    });
    expect(result.code).toBe(0);
    expect(debugLines(result.stderr).some((l) => /← 201 POST \/api\/v2\/users\/.+\/identities/.test(l))).toBe(
      true,
    );
    expectNoSecrets(result, [...tenant.secrets, primary.access_token, secondary.id_token, primary.id_token]);
  });

  test("say why a write is not repeated when its answer is lost", async () => {
    tenant.emu.setFaults({ errorRate: 1, methods: ["POST"] });
    const result = await idlink(["link", bob, bobGithub, "--yes", "--debug"], { env: tenant.env });
    const lines = debugLines(result.stderr);
    expect(lines.some((l) => /← 50\d POST \/api\/v2\/users\/auth0%7C\w+\/identities/.test(l))).toBe(true);
    expect(lines).toContainEqual(
      expect.stringMatching(/outcome unknown, not repeated — a write answered 50\d may have been applied/),
    );
    expectNoSecrets(result, tenant.secrets);
  });

  test("the built idlink writes the trail to stderr only", async () => {
    const result = await idlinkBin(["show", alice, "--json"], {
      env: { ...tenant.env, IDLINK_DEBUG: "true" },
    });
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ ok: true });
    // Exactly the request and its answer: a busy machine's pause before the request is no pacer wait.
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^idlink debug: .* → GET \/api\/v2\/users\/auth0%7C\w+ \(Get user\)$/),
      expect.stringMatching(/^idlink debug: .* ← 200 GET \/api\/v2\/users\/auth0%7C\w+ \d+ ms/),
    ]);
    expectNoSecrets(result, tenant.secrets);
  });
});

describe("--quiet", () => {
  test("link prints only its result: no plan, no notes", async () => {
    const result = await idlink(["link", alice, aliceGoogle, "--yes", "--quiet"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Linked ${aliceGoogle} into ${alice}.\n`);
    expect(result.stderr).toBe("");
  });

  test("errors still show", async () => {
    const result = await idlink(["show", "auth0|nobody", "-q"], { env: tenant.env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error:");
  });

  test("bulk prints its summary and no progress", async () => {
    const file = join(dir.path, "quiet.csv");
    writeFileSync(file, `${pairIds(0).primary},${pairIds(0).secondary}\n`);
    const result = await idlink(["bulk", file, "--yes", "--quiet"], { env: tenant.env });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("linked          1");
  });
});

describe("colour and width", () => {
  test("--no-color takes colour off a terminal; NO_COLOR too, unless FORCE_COLOR", async () => {
    const coloured = await onTerminal(["show", alice], tenant.env);
    expect(coloured.stdout).toContain(ansi);
    const flag = await onTerminal(["show", alice, "--no-color"], tenant.env);
    expect(flag.stdout).not.toContain(ansi);
    expect(flag.stdout).toBe(plain(coloured.stdout));
    expect(readEnv({ NO_COLOR: "1" }).color).toBe("never");
    expect(readEnv({ NO_COLOR: "" }).color).toBe("auto");
    expect(readEnv({ FORCE_COLOR: "1", NO_COLOR: "1" }).color).toBe("always");
    expect(readEnv({ FORCE_COLOR: "" }).color).toBe("always");
    expect(readEnv({ FORCE_COLOR: "0" }).color).toBe("never");
    expect(readEnv({ FORCE_COLOR: "false" }).color).toBe("never");
    expect(readEnv({}).color).toBe("auto");
  });

  test("a table too wide for the terminal shows a record at a time; piped output is never cut", async () => {
    const narrow = await onTerminal(["show", alice], tenant.env, { columns: 50, color: false });
    for (const line of narrow.stdout.split("\n")) {
      if (!line.includes("|")) expect(line.length).toBeLessThanOrEqual(50);
    }
    expect(narrow.stdout).toContain("    PROVIDER    auth0\n");
    expect(narrow.stdout).toContain(`    USER_ID     ${alice.split("|")[1]}\n`);
    const wide = await onTerminal(["show", alice], tenant.env, { columns: 200, color: false });
    expect(wide.stdout).toMatch(/PROVIDER +USER_ID +CONNECTION/);
    const piped = await idlink(["show", alice], { env: tenant.env });
    expect(piped.stdout).toBe(wide.stdout);
  });

  test("table and fitLine keep every cell whole, and escapes whole", () => {
    const rows = [
      ["ID", "CONNECTION"],
      ["google-oauth2|108234567890123456789", "google-oauth2"],
    ];
    expect(table(rows)).toBe(
      "ID                                   CONNECTION\ngoogle-oauth2|108234567890123456789  google-oauth2",
    );
    expect(table(rows, 30)).toBe(
      "ID          google-oauth2|108234567890123456789\nCONNECTION  google-oauth2",
    );
    expect(fitLine("0123456789", undefined)).toBe("0123456789");
    expect(fitLine("0123456789", 10)).toBe("0123456789");
    expect(fitLine("0123456789", 5)).toBe("0123…");
    expect(fitLine("\u001b[32mlinked 5\u001b[39m and more", 6)).toBe("\u001b[32mlinke\u001b[39m…\u001b[0m");
  });

  test("bulk's redrawn progress line never wraps a narrow terminal", async () => {
    const file = join(dir.path, "narrow.csv");
    writeFileSync(file, [0, 1, 2].map((i) => `${pairIds(i).primary},${pairIds(i).secondary}`).join("\n"));
    const result = await onTerminal(["bulk", file, "--yes"], tenant.env, { columns: 30 });
    expect(result.code).toBe(0);
    const redraws = result.stderr.split("\r\u001b[K").slice(1);
    expect(redraws.length).toBeGreaterThan(0);
    for (const redraw of redraws) expect(plain(redraw).trimEnd().length).toBeLessThan(30);
  });
});

describe("CSV", () => {
  test("cells are quoted as RFC 4180 says and never start a formula", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('a "quoted", b')).toBe('"a ""quoted"", b"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    for (const start of ["=", "+", "-", "@", "\t", "\r"])
      expect(csvCell(`${start}1`).replace(/^"/, "")).toMatch(/^'/);
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(undefined)).toBe("");
    expect(csvDocument(["a", "b"], [["1", "x,y"]])).toBe('a,b\r\n1,"x,y"\r\n');
  });

  test("bulk --csv writes every row with its outcome, invalid rows included", async () => {
    const file = join(dir.path, "rows.csv");
    const { primary, secondary } = pairIds(1);
    writeFileSync(
      file,
      [
        "primary,secondary",
        `${primary},${secondary}`,
        "=cmd|' /C calc'!A0,",
        `${pairIds(2).primary},${pairIds(2).secondary}`,
      ].join("\n"),
    );
    const out = join(dir.path, "rows-results.csv");
    const result = await idlink(["bulk", file, "--yes", "--skip-invalid", "--csv", out, "--json"], {
      env: tenant.env,
    });
    expect(result.code).toBe(3);
    expect(json(result)).toMatchObject({ linked: 2, csvFile: out });
    const text = readFileSync(out, "utf8");
    const rows = readCsv(text);
    expect(rows[0]).toEqual(["row", "line", "primary", "secondary", "status", "via", "reason"]);
    expect(rows.slice(1).map((r) => [r[0], r[4]])).toEqual([
      ["1", "linked"],
      ["2", "invalid"],
      ["3", "linked"],
    ]);
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@]/);

    const again = join(dir.path, "rows-plan.csv");
    const plan = await idlink(["bulk", file, "--dry-run", "--csv", again], { env: tenant.env });
    expect(plan.stdout).toContain(`CSV: ${again}`);
    expect(readCsv(readFileSync(again, "utf8")).map((r) => r[4])).toEqual([
      "status",
      "done_before",
      "invalid",
      "done_before",
    ]);
    expectNoSecrets(result, tenant.secrets);
  });

  test("bulk --undo refuses --csv, sending nothing", async () => {
    const result = await idlink(["bulk", "--undo", "x.journal.jsonl", "--csv", "out.csv"], {
      env: tenant.env,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--csv writes the rows of a bulk run, not of --undo");
    expect(tenant.emu.state.requests).toEqual([]);
  });

  test("duplicates --csv writes each group an account a line", async () => {
    const users = [
      {
        user_id: "auth0|a1",
        email: "same@example.com",
        email_verified: true,
        created_at: "2020-01-01T00:00:00Z",
        identities: [{ provider: "auth0", user_id: "a1", connection: "db" }],
      },
      {
        user_id: "google-oauth2|g1",
        email: "Same@example.com",
        email_verified: true,
        created_at: "2021-01-01T00:00:00Z",
        identities: [{ provider: "google-oauth2", user_id: "g1", connection: "google-oauth2" }],
      },
      {
        user_id: "github|@evil",
        email: "same@example.com",
        email_verified: false,
        identities: [{ provider: "github", user_id: "@evil", connection: "github" }],
      },
    ];
    const from = join(dir.path, "users.json.gz");
    writeFileSync(from, gzipSync(users.map((u) => JSON.stringify(u)).join("\n")));
    const csv = join(dir.path, "dups.csv");
    const result = await idlink(
      ["duplicates", "--from", from, "--out", join(dir.path, "dups.jsonl"), "--csv", csv, "--json"],
      { env: tenant.env },
    );
    expect(result.code).toBe(0);
    expect(json(result)).toMatchObject({ groups: 1, pairs: 1, csvFile: csv });
    const rows = readCsv(readFileSync(csv, "utf8"));
    expect(rows[0]).toEqual([
      "group",
      "email",
      "role",
      "user_id",
      "provider",
      "email_verified",
      "created_at",
      "logins_count",
      "linked_identities",
      "reason",
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[2], r[3]])).toEqual([
      ["1", "primary", "auth0|a1"],
      ["1", "secondary", "google-oauth2|g1"],
      ["1", "unverified", "github|@evil"],
    ]);
  });
});
