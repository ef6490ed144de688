import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  createEmulator,
  defaultRateLimit,
  defaultSeed,
  type Emulator,
  type EmulatorOptions,
  type PostLoginAction,
  readContinueState,
} from "../src/index.ts";
import { callback, locationOf, signIn } from "./login-flow.ts";

/**
 * Replays the fidelity corpus (fidelity/corpus.json: real answers of Auth0, each with its public source) against
 * the emulator: exact comparison where the source is exact, a JSON Schema of the observed shape otherwise.
 */

type Json = Record<string, unknown>;
type Caller =
  | "admin"
  | "none"
  | "noScopes"
  | { authorization: string }
  | { token: { scopes: string[]; claims?: Json; expiresIn?: number } };

interface Expectation {
  status: number;
  body?: unknown;
  schema?: Json;
  headers?: { absent?: string[]; equals?: Record<string, string>; matches?: Record<string, string> };
  checks?: ("reset-within-burst-time" | "reset-is-when-bucket-is-full")[];
}

interface Step {
  method: string;
  path: string;
  body?: unknown;
  expect?: Expectation;
}

interface Replay extends Step {
  emulator?: keyof typeof variants;
  caller: Caller;
  repeat?: number;
  setup?: Step[];
  then?: Step[];
  expect: Expectation;
}

/**
 * A login through Universal Login with post-login Actions bound: sign in as `user` (optional), maybe come back to
 * /continue (by GET or a POST form) with the redirect's state (or `state`) and an HS256 token built from `claims`
 * over the standard ones (a null claim is left out), then check the Action's redirect, the app's callback, or the
 * page the emulator answers.
 */
interface LoginReplay {
  actions: PostLoginAction[];
  user?: string;
  continue?: {
    method: "GET" | "POST";
    state?: string;
    token?: { parameter: string; secret: string; claims?: Json };
  };
  expect: {
    redirectState?: Json;
    callback?: Record<string, string | { pattern: string }>;
    page?: { status: number; contains: string[] };
  };
}

interface Observation {
  id: string;
  topic: string;
  source: { kind: string; repo?: string; path?: string; commit?: string; url?: string; date: string };
  request: { method: string; path: string };
  response: { status: number; body?: unknown; headers?: Record<string, string> };
  compare: "exact" | "shape";
  note: string;
  replay: Replay | { emulator?: keyof typeof variants; login: LoginReplay } | null;
  notReplayed?: string;
  supersededBy?: string;
}

const corpus = JSON.parse(readFileSync(new URL("../fidelity/corpus.json", import.meta.url), "utf8")) as {
  observations: Observation[];
};
const observations = corpus.observations;

const noGrantSeed = () => {
  const seed = defaultSeed();
  return {
    ...seed,
    clients: [
      ...seed.clients,
      {
        client_id: "idlink-nogrant",
        name: "no grant (M2M)",
        app_type: "non_interactive" as const,
        client_secret: "emulator-only-secret-nogrant",
        grants: [],
      },
    ],
  };
};

// The emulator each replay runs on; the rate-limit ones start with a fresh bucket every time.
const variants = {
  "default-rate-limit": () => ({}),
  "slow-bucket": () => ({ rateLimit: { burst: 10, perSecond: 0.01 } }),
  "tight-bucket": () => ({ rateLimit: { burst: 1, perSecond: 0.01 } }),
  "custom-policy": () => ({ rateLimit: { burst: 1, perSecond: 0.01, mode: "custom" as const } }),
  "no-grant-client": () => ({ seed: noGrantSeed(), rateLimit: false as const }),
  "short-action-timeout": () => ({ rateLimit: false as const, actionTimeoutMs: 300 }),
} satisfies Record<string, () => EmulatorOptions>;

const ajv = new Ajv2020({ strict: false, allErrors: true });

let shared: Emulator | undefined;
beforeAll(async () => {
  shared = await createEmulator({ rateLimit: false });
});
afterAll(async () => {
  await shared?.stop();
});

const substitute = (value: unknown, em: Emulator): unknown =>
  JSON.parse(JSON.stringify(value ?? null).replaceAll("{{audience}}", em.managementAudience));

async function authorization(em: Emulator, caller: Caller): Promise<string | undefined> {
  if (caller === "none") return undefined;
  if (caller === "admin") return `Bearer ${await em.mintToken({ scopes: ["read:users", "update:users"] })}`;
  if (caller === "noScopes") return `Bearer ${await em.mintToken({ scopes: [] })}`;
  if ("authorization" in caller) return caller.authorization;
  const { scopes, claims, expiresIn } = caller.token;
  return `Bearer ${await em.mintToken({ scopes, ...(claims ? { claims } : {}), ...(expiresIn === undefined ? {} : { expiresIn }) })}`;
}

async function send(em: Emulator, step: Step, caller: Caller) {
  const headers: Record<string, string> = {};
  const auth = await authorization(em, caller);
  if (auth !== undefined) headers.authorization = auth;
  let body: string | undefined;
  if (step.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(substitute(step.body, em));
  }
  const response = await fetch(`${em.url}${step.path}`, { method: step.method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

function hs256(claims: Json, secret: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const input = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

async function replayLogin(em: Emulator, login: LoginReplay): Promise<void> {
  em.setPostLoginActions(login.actions);
  let state = login.continue?.state ?? "";
  let back: URL | undefined;
  if (login.user !== undefined) {
    const { next } = await signIn(em, login.user);
    if (login.expect.redirectState) {
      const validate = ajv.compile(login.expect.redirectState);
      const fields = readContinueState(next.searchParams.get("state") ?? "");
      expect(validate(fields), `${ajv.errorsText(validate.errors)}\n${JSON.stringify(fields)}`).toBe(true);
    }
    state = login.continue?.state ?? next.searchParams.get("state") ?? "";
    back = next;
  }
  if (login.continue) {
    const params: Record<string, string> = { state };
    const token = login.continue.token;
    if (token) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Json = {
        iss: "https://linking.example",
        sub: login.user,
        iat: now,
        exp: now + 60,
        state,
      };
      for (const [key, value] of Object.entries(token.claims ?? {})) {
        if (value === null) delete claims[key];
        else claims[key] = value;
      }
      params[token.parameter] = hs256(claims, token.secret);
    }
    const answer =
      login.continue.method === "GET"
        ? await fetch(`${em.url}/continue?${new URLSearchParams(params)}`, { redirect: "manual" })
        : await fetch(`${em.url}/continue`, {
            method: "POST",
            redirect: "manual",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams(params).toString(),
          });
    if (login.expect.page) {
      expect(answer.status).toBe(login.expect.page.status);
      const page = await answer.text();
      for (const text of login.expect.page.contains) expect(page).toContain(text);
      return;
    }
    back = await locationOf(answer, em.url);
  }
  if (login.expect.callback) {
    if (!back) throw new Error("the replay reaches no callback");
    expect(back.origin + back.pathname).toBe(callback);
    for (const [key, expected] of Object.entries(login.expect.callback)) {
      const value = back.searchParams.get(key) ?? "";
      if (typeof expected === "string") expect(value, key).toBe(expected);
      else expect(value, key).toMatch(new RegExp(expected.pattern));
    }
  }
}

function check(
  em: Emulator,
  options: EmulatorOptions,
  expected: Expectation,
  answer: { status: number; headers: Headers; body: unknown },
  exactBody: unknown,
): void {
  expect(answer.status).toBe(expected.status);
  if (exactBody !== undefined) expect(answer.body).toEqual(substitute(exactBody, em));
  if (expected.schema) {
    const validate = ajv.compile(expected.schema);
    const valid = validate(answer.body);
    expect(valid, `${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.body)}`).toBe(true);
  }
  for (const name of expected.headers?.absent ?? []) expect(answer.headers.get(name), name).toBeNull();
  for (const [name, value] of Object.entries(expected.headers?.equals ?? {})) {
    expect(answer.headers.get(name), name).toBe(value);
  }
  for (const [name, pattern] of Object.entries(expected.headers?.matches ?? {})) {
    const insensitive = pattern.startsWith("(?i)");
    const regex = new RegExp(insensitive ? pattern.slice(4) : pattern, insensitive ? "i" : "");
    expect(answer.headers.get(name) ?? "", name).toMatch(regex);
  }
  const rateLimit = options.rateLimit === false ? undefined : (options.rateLimit ?? defaultRateLimit);
  for (const name of expected.checks ?? []) {
    if (!rateLimit) throw new Error(`${name} needs a rate-limited emulator`);
    const now = Date.now() / 1000;
    const limit = Number(answer.headers.get("x-ratelimit-limit"));
    const remaining = Number(answer.headers.get("x-ratelimit-remaining"));
    const reset = Number(answer.headers.get("x-ratelimit-reset"));
    expect(Number.isInteger(reset)).toBe(true);
    if (name === "reset-within-burst-time") {
      expect(reset).toBeGreaterThanOrEqual(Math.floor(now));
      expect(reset).toBeLessThanOrEqual(Math.ceil(now + rateLimit.burst / rateLimit.perSecond) + 1);
    } else {
      // Full again after (limit − remaining) refills, not after the one the next request needs.
      const full = now + (limit - remaining) / rateLimit.perSecond;
      expect(Math.abs(reset - full)).toBeLessThanOrEqual(2);
      expect(reset - now).toBeGreaterThan(1.5 / rateLimit.perSecond);
    }
  }
}

describe("fidelity corpus", () => {
  test("holds at least 40 observations from at least 10 independent sources", () => {
    expect(observations.length).toBeGreaterThanOrEqual(40);
    const sources = new Set(observations.map((o) => o.source.repo ?? o.source.url));
    expect(sources.size).toBeGreaterThanOrEqual(10);
    expect(new Set(observations.map((o) => o.id)).size).toBe(observations.length);
  });

  test.each(observations.map((o) => [o.id, o] as const))("%s names its source", (_id, o) => {
    if (o.source.url === undefined) {
      expect(o.source.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(o.source.path).toBeTruthy();
      expect(o.source.commit).toMatch(/^[0-9a-f]{40}$/);
    } else {
      expect(o.source.url).toMatch(/^https:\/\//);
    }
    expect(o.source.date).toMatch(/^\d{4}(-\d{2}-\d{2})?$/);
    expect(["exact", "shape"]).toContain(o.compare);
    if (o.replay === null) {
      // Not replayed: either an older source that a newer one contradicts, or a stated reason.
      if (o.supersededBy !== undefined) {
        const newer = observations.find((n) => n.id === o.supersededBy);
        expect(newer?.replay).toBeTruthy();
        expect((newer?.source.date ?? "") > o.source.date).toBe(true);
      } else {
        expect(o.notReplayed?.length ?? 0).toBeGreaterThan(20);
      }
    }
  });

  const replayed = observations.filter((o) => o.replay !== null).map((o) => [o.id, o] as const);

  test.each(replayed)("replays %s", async (_id, o) => {
    if (o.replay && "login" in o.replay) {
      const options: EmulatorOptions = o.replay.emulator
        ? variants[o.replay.emulator]()
        : { rateLimit: false };
      const own = o.replay.emulator ? await createEmulator(options) : undefined;
      const em = own ?? shared;
      if (!em) throw new Error("emulator not started");
      try {
        em.state.reset();
        await replayLogin(em, o.replay.login);
      } finally {
        em.setPostLoginActions([]);
        await own?.stop();
      }
      return;
    }
    const replay = o.replay as Replay;
    const options: EmulatorOptions = replay.emulator ? variants[replay.emulator]() : { rateLimit: false };
    const own = replay.emulator ? await createEmulator(options) : undefined;
    const em = own ?? shared;
    if (!em) throw new Error("emulator not started");
    try {
      em.state.reset();
      for (const step of replay.setup ?? []) {
        const done = await send(em, step, "admin");
        expect(done.status, `set-up ${step.method} ${step.path}`).toBeLessThan(300);
      }
      let answer = await send(em, replay, replay.caller);
      for (let i = 1; i < (replay.repeat ?? 1); i++) answer = await send(em, replay, replay.caller);
      const exactBody = o.compare === "exact" ? (replay.expect.body ?? o.response.body) : replay.expect.body;
      check(em, options, replay.expect, answer, exactBody);
      if (o.compare === "exact" && replay.expect.body === undefined)
        expect(answer.status).toBe(o.response.status);
      for (const step of replay.then ?? []) {
        const after = await send(em, step, "admin");
        if (step.expect) check(em, options, step.expect, after, step.expect.body);
      }
    } finally {
      await own?.stop();
    }
  });
});
