import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { duplicateExportFields } from "@idlink/core/export";
import { generatedTenant, writeExportFile } from "@idlink/emulator";
import { bins } from "./processes.ts";
import { median, type Section } from "./stats.ts";

// The fields `idlink duplicates` asks of an export job: the generated file looks like what Auth0 would send.
const fields = duplicateExportFields;
const baselineScript = fileURLToPath(new URL("../scripts/duplicates-baseline.mjs", import.meta.url));
const gnuTime = "/usr/bin/time";
const jq = "/usr/bin/jq";
// jq holds every user (3.5 GB at 1,000,000): it runs up to this size.
const jqMaxUsers = 1_000_000;
const generator = { duplicateRate: 0.1, seed: 1 };

interface Run {
  seconds: number;
  /** Peak resident set size in MiB (GNU time's %M), NaN when GNU time is missing. */
  rssMiB: number;
  /** Emails shared by two accounts or more, as each contender counts them (a cross-check, not a speed figure). */
  sharedEmails: number;
  /** Why the contender stopped, when it did. */
  failed?: string;
}

/** Runs `argv` under GNU time; answers wall time, peak RSS and the contender's count of shared emails. */
function measure(argv: string[], sharedEmails: (stdout: string) => number): Promise<Run> {
  const timed = existsSync(gnuTime);
  const command = timed ? gnuTime : (argv[0] as string);
  const args = timed ? ["-f", "@@%e %M", ...argv] : argv.slice(1);
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const wall = (performance.now() - start) / 1000;
      const figures = /@@([\d.]+) (\d+)/.exec(stderr);
      const run = {
        seconds: figures ? Number(figures[1]) : wall,
        rssMiB: figures ? Number(figures[2]) / 1024 : Number.NaN,
      };
      if (code !== 0) {
        const lines = stderr
          .replace(/@@.*\n?/, "")
          .trim()
          .split("\n")
          .filter(Boolean);
        // What the process died of (V8's failed check, a thrown error), else its last words.
        const reason =
          lines.find((l) => /Check failed|Error|FATAL|Cannot create/.test(l))?.replace(/^#\s*/, "") ??
          lines.at(-1) ??
          `exit ${code}`;
        return resolve({ ...run, sharedEmails: Number.NaN, failed: reason.slice(0, 120) });
      }
      resolve({ ...run, sharedEmails: sharedEmails(stdout) });
    });
  });
}

/**
 * The generated export of `users` users, gzipped JSON lines as an export job writes them, kept between runs in
 * `dir` (outside the repository: 10,000,000 users take minutes to write). Its name carries a fingerprint of the
 * generator's first users, so a changed generator writes a new file.
 */
async function makeExport(dir: string, users: number): Promise<string> {
  const tenant = generatedTenant({ users, ...generator });
  const sample = Array.from({ length: Math.min(users, 20) }, (_, i) => JSON.stringify(tenant.at(i)));
  const fingerprint = createHash("sha256").update(sample.join("\n")).digest("hex").slice(0, 10);
  const path = join(dir, `users-${users}-${fingerprint}.json.gz`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const partial = `${path}.partial`;
  await writeExportFile(
    partial,
    (function* () {
      for (let i = 0; i < tenant.size; i++) yield tenant.at(i);
    })(),
    { format: "json", fields },
  );
  renameSync(partial, path);
  return path;
}

/**
 * The pairs the generator's truth calls for, found without idlink: accounts belong to a person (the generator knows
 * whom), and idlink's documented rules are applied to each person's accounts — verified emails only, at most 5
 * accounts, at most one account already holding linked identities; the primary is that one, else the only database
 * account, else the oldest, else the one with most logins, else the smallest user_id. Answers a digest of the sorted
 * `primary secondary` lines and their number.
 */
function truth(users: number): { digest: string; pairs: number } {
  const tenant = generatedTenant({ users, ...generator });
  const accounts = new Uint32Array(users);
  for (let i = 0; i < users; i++) {
    const person = tenant.personOf(i);
    accounts[person] = (accounts[person] ?? 0) + 1;
  }
  interface Account {
    id: string;
    verified: boolean;
    holder: boolean;
    database: boolean;
    created: number;
    logins: number;
  }
  const byPerson = new Map<number, Account[]>();
  for (let i = 0; i < users; i++) {
    const person = tenant.personOf(i);
    if ((accounts[person] ?? 0) < 2) continue;
    const u = tenant.at(i);
    const account = {
      id: u.user_id ?? "",
      verified: u.email_verified === true,
      holder: (u.identities?.length ?? 1) > 1,
      database: (u.user_id ?? "").startsWith("auth0|"),
      created: Date.parse(String(u.created_at)),
      logins: Number(u.logins_count ?? -1),
    };
    const list = byPerson.get(person);
    if (list) list.push(account);
    else byPerson.set(person, [account]);
  }
  const lines: string[] = [];
  const narrow = (list: Account[], score: (a: Account) => number) => {
    const best = Math.max(...list.map(score));
    return list.filter((a) => score(a) === best);
  };
  for (const list of byPerson.values()) {
    const verified = list.filter((a) => a.verified);
    if (verified.length < 2 || list.length > 5) continue;
    if (verified.filter((a) => a.holder).length > 1) continue;
    let left = verified;
    for (const score of [
      (a: Account) => (a.holder ? 1 : 0),
      (a: Account) => (a.database ? 1 : 0),
      (a: Account) => -a.created,
      (a: Account) => a.logins,
    ]) {
      if (left.length > 1) left = narrow(left, score);
    }
    const primary = [...left].sort((a, b) => (a.id < b.id ? -1 : 1))[0] as Account;
    for (const a of verified) if (a !== primary) lines.push(`${primary.id} ${a.id}`);
  }
  lines.sort();
  return { digest: createHash("sha256").update(lines.join("\n")).digest("hex"), pairs: lines.length };
}

/** The same digest of a pairs file written by `idlink duplicates`. */
function pairsOf(path: string): { digest: string; pairs: number } {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const { primary, secondary } = JSON.parse(line) as { primary: string; secondary: string };
      return `${primary} ${secondary}`;
    })
    .sort();
  return { digest: createHash("sha256").update(lines.join("\n")).digest("hex"), pairs: lines.length };
}

const floorName = "gzip -dc FILE > /dev/null (the floor)";
const idlinkName = "idlink duplicates --from";
const baselineName = "baseline script (whole file, JSON.parse into an array, Map)";

function contenders(file: string, out: string, users: number) {
  const idlinkShared = (stdout: string) => {
    const doc = JSON.parse(stdout) as { groups: number; skipped: Record<string, number> };
    return doc.groups + Object.values(doc.skipped).reduce((a, b) => a + b, 0);
  };
  const list: { name: string; argv: string[]; shared: (stdout: string) => number }[] = [
    { name: floorName, argv: ["sh", "-c", `gzip -dc '${file}' > /dev/null`], shared: () => Number.NaN },
    {
      name: idlinkName,
      argv: [process.execPath, bins.idlink, "duplicates", "--from", file, "--out", out, "--json"],
      shared: idlinkShared,
    },
    {
      name: baselineName,
      argv: [process.execPath, baselineScript, file],
      shared: (stdout) => (JSON.parse(stdout) as { groups: number }).groups,
    },
  ];
  if (existsSync(jq) && users <= jqMaxUsers) {
    list.push({
      name: "gzip -dc | jq -s (group_by lower-cased email)",
      argv: [
        "sh",
        "-c",
        `gzip -dc '${file}' | ${jq} -s 'map(select(.email)) | group_by(.email | ascii_downcase) | map(select(length > 1)) | length'`,
      ],
      shared: (stdout) => Number(stdout.trim()),
    });
  }
  return list;
}

type Category =
  | "pass 1: read user_id and email, hash, remember"
  | "pass 2: read user_id and email, hash, look up"
  | "pass 2: read and keep the shared emails' accounts"
  | "split lines"
  | "report: groups, pairs, JSON, files"
  | "streams and gunzip"
  | "garbage collection"
  | "idle (waiting for gunzip or the disk)"
  | "other";

// A sample counts for the nearest function on its stack that names a category (the passes' readers are named).
const categoryOfFunction: Record<string, Category> = {
  scanJsonUser: "pass 2: read and keep the shared emails' accounts",
  fieldsOf: "pass 2: read and keep the shared emails' accounts",
  addAccount: "pass 2: read and keep the shared emails' accounts",
  slowUser: "pass 2: read and keep the shared emails' accounts",
  readFirstPass: "pass 1: read user_id and email, hash, remember",
  readSecondPass: "pass 2: read user_id and email, hash, look up",
  eachLine: "split lines",
  writeResults: "report: groups, pairs, JSON, files",
  results: "report: groups, pairs, JSON, files",
  print: "report: groups, pairs, JSON, files",
  createAsyncIterator: "streams and gunzip",
  processCallback: "streams and gunzip",
  resume_: "streams and gunzip",
  maybeReadMore_: "streams and gunzip",
  "(garbage collector)": "garbage collection",
  "(idle)": "idle (waiting for gunzip or the disk)",
};

/** Time of the main thread by category, from one `--cpu-prof` run of `idlink duplicates`. */
function profile(file: string, dir: string): Record<Category, number> {
  const out = join(dir, "profile-pairs.jsonl");
  const profDir = join(dir, "profile");
  spawnSync(
    process.execPath,
    ["--cpu-prof", `--cpu-prof-dir=${profDir}`, bins.idlink, "duplicates", "--from", file, "--out", out],
    { stdio: "ignore" },
  );
  const totals: Record<string, number> = {};
  for (const c of [...new Set(Object.values(categoryOfFunction)), "other"]) totals[c] = 0;
  const name = existsSync(profDir) ? readdirSync(profDir).find((f) => f.endsWith(".cpuprofile")) : undefined;
  if (!name) return totals as Record<Category, number>;
  const prof = JSON.parse(readFileSync(join(profDir, name), "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string }; children?: number[] }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const categoryOf = (id: number): Category => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const found = categoryOfFunction[byId.get(at)?.callFrame.functionName ?? ""];
      if (found) return found;
    }
    return "other";
  };
  prof.samples.forEach((id, i) => {
    totals[categoryOf(id)] = (totals[categoryOf(id)] ?? 0) + (prof.timeDeltas[i] ?? 0) / 1e6;
  });
  return totals as Record<Category, number>;
}

const fmtUsers = (n: number) => n.toLocaleString("en");

/**
 * Tenant-wide duplicate search: a generated export (gzipped JSON lines) grouped by `idlink duplicates --from`, by
 * the script a user would write, and by jq, beside the floor of reading the file at all (`gzip -dc`). Sizes run in
 * turn, contenders interleaved within each round; idlink's pairs are checked against the generator's truth.
 */
export async function duplicates(size: {
  users: number[];
  runs: number;
  /** Profiles idlink on the file of this many users (one of `users`). */
  profile?: number;
  /** Where generated exports are kept between runs. Default: the system's temporary folder. */
  cacheDir?: string;
}): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), "idlink-bench-dup-"));
  const cacheDir = size.cacheDir ?? join(tmpdir(), "idlink-bench-duplicates");
  const loads: string[] = [];
  const load = () => (loadavg()[0] ?? 0).toFixed(1);
  try {
    const rows: string[][] = [];
    const figures: Record<string, number> = {};
    const notes: string[] = [];
    let profiled: string | undefined;
    for (const users of size.users) {
      const file = await makeExport(cacheDir, users);
      if (users === size.profile) profiled = file;
      const out = join(dir, "pairs.jsonl");
      const list = contenders(file, out, users);
      const samples = new Map(list.map((c) => [c.name, [] as Run[]]));
      loads.push(`${fmtUsers(users)}: ${load()}`);
      let pairsChecked: { digest: string; pairs: number } | undefined;
      for (let round = 0; round < size.runs; round++) {
        for (const c of list) {
          samples.get(c.name)?.push(await measure(c.argv, c.shared));
          if (c.name === idlinkName && round === 0 && existsSync(out)) pairsChecked = pairsOf(out);
        }
      }
      const expected = truth(users);
      figures[`pairsMatchTruth${users}`] = pairsChecked?.digest === expected.digest ? 1 : 0;
      figures[`pairs${users}`] = expected.pairs;
      const medianOf = (name: string) => {
        const runs = (samples.get(name) ?? []).filter((r) => r.failed === undefined);
        return { seconds: median(runs.map((r) => r.seconds)), rss: median(runs.map((r) => r.rssMiB)) };
      };
      const floor = medianOf(floorName);
      for (const c of list) {
        const runs = samples.get(c.name) ?? [];
        const failed = runs.find((r) => r.failed !== undefined);
        const { seconds, rss } = medianOf(c.name);
        const checks =
          c.name === idlinkName
            ? figures[`pairsMatchTruth${users}`] === 1
              ? `${fmtUsers(expected.pairs)} = truth`
              : `${fmtUsers(pairsChecked?.pairs ?? 0)} ≠ truth ${fmtUsers(expected.pairs)}`
            : "";
        rows.push(
          failed
            ? [
                fmtUsers(users),
                c.name,
                `fails after ${failed.seconds.toFixed(1)} s: ${failed.failed}`,
                "",
                "",
                `${failed.rssMiB.toFixed(0)} MiB`,
                "",
                "",
              ]
            : [
                fmtUsers(users),
                c.name,
                `${seconds.toFixed(2)} s`,
                c.name === floorName ? "" : Math.round(users / seconds).toLocaleString("en"),
                c.name === floorName ? "1×" : `${(seconds / floor.seconds).toFixed(2)}×`,
                Number.isNaN(rss) ? "n/a" : `${rss.toFixed(0)} MiB`,
                Number.isNaN(runs[0]?.sharedEmails ?? Number.NaN) ? "" : String(runs[0]?.sharedEmails),
                checks,
              ],
        );
      }
      const idl = medianOf(idlinkName);
      const base = medianOf(baselineName);
      figures[`floorRatio${users}`] = idl.seconds / floor.seconds;
      figures[`rss${users}`] = idl.rss;
      if (!Number.isNaN(base.seconds)) {
        figures[`speedup${users}`] = base.seconds / idl.seconds;
        figures[`rssRatio${users}`] = idl.rss / base.rss;
      }
      const shared = list
        .map((c) => samples.get(c.name)?.[0]?.sharedEmails)
        .filter((n): n is number => n !== undefined && !Number.isNaN(n));
      figures[`sharedEmailsAgree${users}`] = shared.every((n) => n === shared[0]) ? 1 : 0;
      figures[`sharedEmails${users}`] = shared[0] ?? 0;
      const parts = [
        `idlink ${figures[`floorRatio${users}`]?.toFixed(2)}× the floor (target ≤ 3×)`,
        ...(figures[`speedup${users}`] === undefined
          ? ["the baseline failed"]
          : [
              `${figures[`speedup${users}`]?.toFixed(2)}× the baseline's users/s (target ≥ 2×)`,
              `${((figures[`rssRatio${users}`] ?? 0) * 100).toFixed(0)}% of its peak RSS (target ≤ 33%)`,
            ]),
        `peak RSS ${idl.rss.toFixed(0)} MiB`,
        `pairs ${figures[`pairsMatchTruth${users}`] === 1 ? "equal" : "DIFFER FROM"} the generator's truth (${fmtUsers(expected.pairs)})`,
      ];
      notes.push(`${fmtUsers(users)} users: ${parts.join(", ")}.`);
    }
    notes.unshift(
      `Median of ${size.runs} run(s) per contender and size, contenders interleaved; wall time and peak RSS from GNU time (${gnuTime}). Load average (1 min) as each size started — ${loads.join("; ")} — on ${cpus().length} shared cores: compare ratios within a row's size, not across runs.`,
      "The file is what an export job of `idlink duplicates` asks for (user_id, email, email_verified, created_at, last_login, logins_count, identities), 10% duplicate accounts, generated by `@idlink/emulator`'s tenant generator and kept between runs outside the repository.",
      "'× floor' is wall time over `gzip -dc`'s on the same file in the same round: the cost of reading the file at all. idlink reads the file twice, each line from its bytes up to user_id and email (a first pass notes which emails are held twice, in memory that does not grow with distinct emails; a second reads those emails' accounts in full and keeps them), and writes the pairs file and the report; the baseline holds the whole text and every parsed user; jq is the one-liner a user would write, `jq -s 'group_by(.email | ascii_downcase)'`, which holds every user (up to 1,000,000 users here).",
      "'pairs' checks idlink's pairs file against the generator's truth: each person's accounts (the generator knows whose they are) under idlink's documented rules, computed without idlink. 'shared emails' (emails held by two accounts or more, verified or not) is a cross-check that the contenders count alike.",
    );
    if (size.profile && profiled) {
      const cats = profile(profiled, dir);
      const total = Object.values(cats).reduce((a, b) => a + b, 0);
      notes.push(
        `Profile of idlink's main thread (--cpu-prof, the ${fmtUsers(size.profile)}-user file, ${total.toFixed(1)} s sampled): ${Object.entries(
          cats,
        )
          .filter(([, v]) => v > 0)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${((v / total) * 100).toFixed(0)}%`)
          .join(", ")}. gunzip itself runs on libuv's thread pool, beside the main thread.`,
      );
      for (const [k, v] of Object.entries(cats)) figures[`profile:${k}`] = v / (total || 1);
    }
    return {
      title: "6. Tenant-wide duplicates from a user export",
      command: "pnpm --filter @idlink/bench run bench duplicates",
      table: [
        ["users", "contender", "wall time", "users/s", "× floor", "peak RSS", "shared emails", "pairs"],
        ...rows,
      ],
      notes,
      figures,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
