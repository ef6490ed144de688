import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { adminClient, createEmulator, defaultSeed, type Emulator, seedUsers } from "@idlink/emulator";
import { actionPath, actionSource } from "@idlink/link-action";
import { loginAs, spaCallback } from "./login.ts";
import { median, ms, now, ratio, type Section } from "./stats.ts";

/**
 * Auth0's advised size of an Action: "Each Action should not exceed 100 kB" (auth0/docs-v2,
 * main/docs/customize/actions/limitations.mdx, "Actions"), taken here as 100,000 bytes.
 */
const advisedActionBytes = 100_000;

/** Loopback only: the Action redirects here, and nothing is ever asked of it. */
const linkPage = "http://127.0.0.1:5173/link-accounts";
/** A bench-only HS256 key for the offer the Action signs (at least 32 characters, as the Action asks). */
const sessionSecret = "idlink-bench-only-session-token-secret-5e81c0d2";

type Binding = "floor" | "trivial" | "link";
type Kind = "none" | "candidate";

/** Dave has no other account with his email; Alice's verified email is also her Google account's. */
const users: Record<Kind, string> = { none: seedUsers.dave, candidate: seedUsers.alice };
const bindings: Binding[] = ["floor", "trivial", "link"];
const kinds: Kind[] = ["none", "candidate"];

/** Throws unless the login ended where it should: the app's callback with a code, or the linking page. */
function check(next: URL, binding: Binding, kind: Kind): void {
  const at = `${next.origin}${next.pathname}`;
  if (binding === "link" && kind === "candidate") {
    if (at !== linkPage || !next.searchParams.get("session_token") || !next.searchParams.get("state")) {
      throw new Error(`expected the redirect to the linking page, got ${at}`);
    }
    return;
  }
  if (at !== spaCallback || !next.searchParams.get("code")) {
    throw new Error(
      `expected the callback with a code, got ${at} (${next.searchParams.get("error") ?? "no code"})`,
    );
  }
}

/** What the Action asked the emulator during one login: method and path, ids shortened to `{id}`. */
function actionRequests(emulator: Emulator, from: number): string[] {
  return emulator.state.requests
    .slice(from)
    .filter((r) => r.path !== "/authorize" && r.path !== "/u/login")
    .map((r) => `${r.method} ${r.path.replace(/^\/api\/v2\/users\/[^/]+/, "/api/v2/users/{id}")}`);
}

/**
 * The post-login Action of @idlink/link-action: its size beside Auth0's advised limit, and the emulator's time per
 * login with it bound, beside the same login with no Action (the floor) and with an Action that does nothing (the
 * cost of a worker and a vm context per handler, which the emulator pays for any Action). Three emulators, one per
 * binding, each bound once; the six logins (two users × three bindings) are timed in turn within each round, in a
 * rotating order, so machine noise falls on all alike.
 */
export async function action(size: { logins: number; warmup?: number }): Promise<Section> {
  const raw = readFileSync(actionPath);
  const gzipped = gzipSync(raw, { level: 9 }).length;

  const seed = defaultSeed();
  const admin = adminClient(seed);
  if (!admin) throw new Error("the bundled seed has no admin client");
  const emulators = {} as Record<Binding, Emulator>;
  try {
    for (const binding of bindings) emulators[binding] = await createEmulator({ seed, rateLimit: false });
    emulators.trivial.setPostLoginActions([
      { name: "trivial", code: "exports.onExecutePostLogin = async () => {};", secrets: {} },
    ]);
    emulators.link.setPostLoginActions([
      {
        name: "idlink-link-action",
        code: actionSource,
        secrets: {
          MANAGEMENT_API_DOMAIN: emulators.link.url,
          MANAGEMENT_API_CLIENT_ID: admin.clientId,
          MANAGEMENT_API_CLIENT_SECRET: admin.clientSecret,
          SESSION_TOKEN_SECRET: sessionSecret,
          LINK_PAGE_URL: linkPage,
        },
      },
    ]);

    const combos = kinds.flatMap((kind) => bindings.map((binding) => ({ kind, binding })));
    const samples = new Map(combos.map((c) => [`${c.kind}/${c.binding}`, [] as number[]]));
    const asked: Partial<Record<Kind, string[]>> = {};
    const warmup = size.warmup ?? 3;
    for (let round = 0; round < warmup + size.logins; round++) {
      for (let i = 0; i < combos.length; i++) {
        const { kind, binding } = combos[(i + round) % combos.length] as (typeof combos)[number];
        const emulator = emulators[binding];
        const before = emulator.state.requests.length;
        const start = now();
        const next = await loginAs(emulator, users[kind]);
        const took = now() - start;
        check(next, binding, kind);
        if (binding === "link" && asked[kind] === undefined) asked[kind] = actionRequests(emulator, before);
        if (round >= warmup) samples.get(`${kind}/${binding}`)?.push(took);
      }
    }

    const m = (kind: Kind, binding: Binding) => median(samples.get(`${kind}/${binding}`) ?? []);
    const kib = (bytes: number) => `${bytes.toLocaleString("en-US")} B (${(bytes / 1024).toFixed(1)} KiB)`;
    const label: Record<Kind, string> = {
      none: "login, no same-email account → callback",
      candidate: "login, a verified same-email account → linking page",
    };
    const rows: string[][] = [
      [
        "dist/link-action.js, raw",
        kib(raw.length),
        "100 kB (Auth0's advice)",
        ratio(raw.length / advisedActionBytes),
        "—",
      ],
      [
        "dist/link-action.js, gzip -9",
        kib(gzipped),
        "100 kB (Auth0's advice)",
        ratio(gzipped / advisedActionBytes),
        "—",
      ],
    ];
    for (const kind of kinds) {
      const floor = m(kind, "floor");
      rows.push(
        [
          `${label[kind]}: a trivial Action`,
          ms(m(kind, "trivial")),
          `${ms(floor)} (no Action)`,
          ratio(m(kind, "trivial") / floor),
          "—",
        ],
        [
          `${label[kind]}: link-action`,
          ms(m(kind, "link")),
          `${ms(floor)} (no Action)`,
          ratio(m(kind, "link") / floor),
          ratio(m(kind, "link") / m(kind, "trivial")),
        ],
      );
    }
    const requests = (kind: Kind) => (asked[kind] ?? []).map((r) => `\`${r}\``).join(", ") || "none";
    return {
      title: "8. Link at login: the post-login Action",
      command: "pnpm bench (this section alone: pnpm --filter @idlink/bench run bench action)",
      table: [["measure", "measured", "floor", "vs floor", "vs trivial Action"], ...rows],
      notes: [
        `Size: the file as pasted into Auth0's editor, beside "Each Action should not exceed 100 kB" (auth0/docs-v2, main/docs/customize/actions/limitations.mdx, "Actions"; 100 kB taken as 100,000 bytes). The limit is on the source as stored; gzip -9 is for comparison only. The emulator does not enforce the limit.`,
        `Time: median of ${size.logins} logins each (after ${warmup} warm-up rounds), interleaved in a rotating order, on three emulators in this process (127.0.0.1, rate limit off, the bundled seed), one per binding: none (the floor), \`exports.onExecutePostLogin = async () => {}\` (the emulator's worker thread and vm context per handler, with no work), and dist/link-action.js with its secrets (the seed's admin client, LINK_PAGE_URL on loopback, never contacted).`,
        "A login is GET /authorize → its redirect to the login page → POST of the page's form with the user's id, timed until the emulator answers that POST's redirect (the Actions have run by then): the app's callback with a code (the floor and the trivial Action for both users; link-action letting the login go on), or, for link-action with a candidate, the linking page with the signed offer and Auth0's state. Every login's outcome is checked. No code is redeemed; each login has no session cookie.",
        `What link-action asked the emulator during one login: no candidate (${seedUsers.dave}): ${requests("none")}; a verified candidate (${seedUsers.alice}): ${requests("candidate")}.`,
        "The \"vs trivial Action\" column is the Action's own work (its compile in the vm, its requests, the offer it signs) beside the per-Action cost any Action pays in the emulator; Auth0 runs Actions in its own runtime, so these times are the emulator's, not Auth0's.",
      ],
      figures: {
        rawBytes: raw.length,
        gzipBytes: gzipped,
        rawVsAdvised: raw.length / advisedActionBytes,
        noneFloorMs: m("none", "floor"),
        noneTrivialVsFloor: m("none", "trivial") / m("none", "floor"),
        noneLinkVsFloor: m("none", "link") / m("none", "floor"),
        candidateFloorMs: m("candidate", "floor"),
        candidateTrivialVsFloor: m("candidate", "trivial") / m("candidate", "floor"),
        candidateLinkVsFloor: m("candidate", "link") / m("candidate", "floor"),
        noneActionRequests: asked.none?.length ?? 0,
        candidateActionRequests: asked.candidate?.length ?? 0,
      },
    };
  } finally {
    for (const emulator of Object.values(emulators)) await emulator.stop();
  }
}
