import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
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

interface Run {
  seconds: number;
  /** Peak resident set size in MiB (GNU time's %M), NaN when GNU time is missing. */
  rssMiB: number;
  /** Emails shared by two accounts or more, as each contender counts them (a cross-check, not a speed figure). */
  sharedEmails: number;
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
      if (code !== 0) return reject(new Error(`${argv.join(" ")} exited ${code}: ${stderr.slice(-500)}`));
      const figures = /@@([\d.]+) (\d+)/.exec(stderr);
      resolve({
        seconds: figures ? Number(figures[1]) : wall,
        rssMiB: figures ? Number(figures[2]) / 1024 : Number.NaN,
        sharedEmails: sharedEmails(stdout),
      });
    });
  });
}

async function makeExport(dir: string, users: number): Promise<string> {
  const tenant = generatedTenant({ users, duplicateRate: 0.1, seed: 1 });
  const path = join(dir, `users-${users}.json.gz`);
  await writeExportFile(
    path,
    (function* () {
      for (let i = 0; i < tenant.size; i++) yield tenant.at(i);
    })(),
    { format: "json", fields },
  );
  return path;
}

function contenders(file: string, out: string) {
  const idlinkShared = (stdout: string) => {
    const doc = JSON.parse(stdout) as { groups: number; skipped: Record<string, number> };
    return doc.groups + Object.values(doc.skipped).reduce((a, b) => a + b, 0);
  };
  const list: { name: string; argv: string[]; shared: (stdout: string) => number }[] = [
    {
      name: "idlink duplicates --from",
      argv: [process.execPath, bins.idlink, "duplicates", "--from", file, "--out", out, "--json"],
      shared: idlinkShared,
    },
    {
      name: "baseline script (whole file, JSON.parse into an array, Map)",
      argv: [process.execPath, baselineScript, file],
      shared: (stdout) => (JSON.parse(stdout) as { groups: number }).groups,
    },
  ];
  if (existsSync(jq)) {
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
  | "waiting for gunzip (idle)"
  | "garbage collection"
  | "JSON parse + checks"
  | "decode + split lines"
  | "grouping + report"
  | "other";

/** Self time of the main thread by category, from one `--cpu-prof` run of `idlink duplicates`. */
function profile(file: string, dir: string): Record<Category, number> {
  const out = join(dir, "profile-pairs.jsonl");
  spawnSync(
    process.execPath,
    ["--cpu-prof", `--cpu-prof-dir=${dir}`, bins.idlink, "duplicates", "--from", file, "--out", out],
    {
      stdio: "ignore",
    },
  );
  const name = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  const totals: Record<Category, number> = {
    "waiting for gunzip (idle)": 0,
    "garbage collection": 0,
    "JSON parse + checks": 0,
    "decode + split lines": 0,
    "grouping + report": 0,
    other: 0,
  };
  if (!name) return totals;
  const prof = JSON.parse(readFileSync(join(dir, name), "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n.callFrame.functionName]));
  const categoryOf = (fn: string): Category => {
    if (fn === "(idle)") return "waiting for gunzip (idle)";
    if (fn === "(garbage collector)") return "garbage collection";
    if (["readUserExport", "toUser", "parse"].includes(fn)) return "JSON parse + checks";
    if (["lines", "decode", "split"].includes(fn)) return "decode + split lines";
    if (
      [
        "add",
        "normalizeEmail",
        "finish",
        "choosePrimary",
        "account",
        "pairsJsonl",
        "seconds",
        "isoOf",
        "print",
        "duplicates",
      ].includes(fn)
    ) {
      return "grouping + report";
    }
    return "other";
  };
  prof.samples.forEach((id, i) => {
    totals[categoryOf(byId.get(id) ?? "")] += (prof.timeDeltas[i] ?? 0) / 1e6;
  });
  return totals;
}

/**
 * Tenant-wide duplicate search: a generated export (gzipped JSON lines) grouped by `idlink duplicates --from`, by
 * the script a user would write, and by jq. Sizes are run in turn, contenders interleaved within each round.
 */
export async function duplicates(size: {
  users: number[];
  runs: number;
  profile?: boolean;
}): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), "idlink-bench-dup-"));
  const load = loadavg()[0] ?? 0;
  try {
    const rows: string[][] = [];
    const figures: Record<string, number> = {};
    const perSize: Record<number, Record<string, { seconds: number; rss: number }>> = {};
    for (const users of size.users) {
      const file = await makeExport(dir, users);
      const list = contenders(file, join(dir, "pairs.jsonl"));
      const samples = new Map(list.map((c) => [c.name, [] as Run[]]));
      for (let round = 0; round < size.runs; round++) {
        for (const c of list) samples.get(c.name)?.push(await measure(c.argv, c.shared));
      }
      perSize[users] = {};
      for (const c of list) {
        const runs = samples.get(c.name) ?? [];
        const seconds = median(runs.map((r) => r.seconds));
        const rss = median(runs.map((r) => r.rssMiB));
        perSize[users][c.name] = { seconds, rss };
        rows.push([
          users.toLocaleString("en"),
          c.name,
          `${seconds.toFixed(2)} s`,
          Math.round(users / seconds).toLocaleString("en"),
          Number.isNaN(rss) ? "n/a" : `${rss.toFixed(0)} MiB`,
          String(runs[0]?.sharedEmails ?? ""),
        ]);
      }
      const [idlinkName, baselineName] = list.map((c) => c.name);
      const idl = perSize[users][idlinkName as string];
      const base = perSize[users][baselineName as string];
      if (idl && base) {
        figures[`speedup${users}`] = base.seconds / idl.seconds;
        figures[`rssRatio${users}`] = idl.rss / base.rss;
      }
      const shared = list.map((c) => samples.get(c.name)?.[0]?.sharedEmails);
      figures[`sharedEmailsAgree${users}`] = shared.every((n) => n === shared[0]) ? 1 : 0;
      figures[`sharedEmails${users}`] = shared[0] ?? 0;
    }
    const notes = [
      `Median of ${size.runs} run(s) per contender and size, contenders interleaved; wall time and peak RSS from GNU time (${gnuTime}). Load average when the section started: ${load.toFixed(1)} on this machine (other work shares its cores; compare ratios within a run).`,
      "The file is what an export job of `idlink duplicates` asks for (user_id, email, email_verified, created_at, last_login, logins_count, identities), 10% duplicate accounts, generated by `@idlink/emulator`'s tenant generator.",
      "idlink streams (gunzip on the libuv thread pool → lines → JSON.parse → one compact record per distinct email) and also writes the pairs file and the report; the baseline holds the whole text and every parsed user; jq is the one-liner a user would write, `jq -s 'group_by(.email | ascii_downcase)'`, which holds every user (jq 1.6's streaming `reduce inputs` with `.[$k] += [$id]` copies its object per input and was still running after minutes at 100k users).",
      "Target: at least 2× the baseline's users/s and under a third of its peak RSS. 'shared emails' (emails held by two accounts or more, verified or not) is a cross-check that the three count alike.",
    ];
    for (const users of size.users) {
      const speed = figures[`speedup${users}`];
      const rss = figures[`rssRatio${users}`];
      if (speed !== undefined && rss !== undefined) {
        notes.push(
          `${users.toLocaleString("en")} users: idlink ${speed.toFixed(2)}× the baseline's users/s, ${(rss * 100).toFixed(0)}% of its peak RSS.`,
        );
      }
    }
    const [small, large] = size.users;
    if (small !== undefined && large !== undefined && perSize[small] && perSize[large]) {
      const growth = Object.keys(perSize[large]).map((name) => {
        const a = perSize[small]?.[name];
        const b = perSize[large]?.[name];
        return a && b
          ? `${name.split(" (")[0]}: time ×${(b.seconds / a.seconds).toFixed(1)}, peak RSS ×${(b.rss / a.rss).toFixed(1)}`
          : "";
      });
      notes.push(
        `From ${small.toLocaleString("en")} to ${large.toLocaleString("en")} users (×${large / small}): ${growth.join("; ")}.`,
      );
    }
    if (size.profile && large !== undefined) {
      const file = join(dir, `users-${large}.json.gz`);
      const cats = profile(file, dir);
      const total = Object.values(cats).reduce((a, b) => a + b, 0);
      notes.push(
        `Profile of idlink's main thread (--cpu-prof, ${large.toLocaleString("en")} users, ${total.toFixed(1)} s): ${Object.entries(
          cats,
        )
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${((v / total) * 100).toFixed(0)}%`)
          .join(
            ", ",
          )}. "Waiting for gunzip" is the main thread idle while zlib inflates on the thread pool; the largest share is what bounds the speed in this run.`,
      );
      for (const [k, v] of Object.entries(cats)) figures[`profile:${k}`] = v / (total || 1);
    }
    return {
      title: "6. Tenant-wide duplicates from a user export",
      command: "pnpm bench",
      table: [["users", "contender", "wall time", "users/s", "peak RSS", "shared emails"], ...rows],
      notes,
      figures,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
