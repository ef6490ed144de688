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
import { callback, locationOf, signIn, spa } from "./login-flow.ts";

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
  | { token: { scopes: string[]; claims?: Json; expiresIn?: number } }
  /** The dev login's ID token of this user (aud = the seed's SPA client), sent as the bearer. */
  | { idToken: string }
  /** The dev login's access token of this user (for the Management API and /userinfo). */
  | { userToken: string };

interface Expectation {
  status: number;
  body?: unknown;
  schema?: Json;
  /** For an answer that is not JSON (a page, a plain-text 401): its exact text, or pieces it contains. */
  text?: string;
  contains?: string[];
  /** A redirect: where to (origin and path), and the query it carries (exact values, or a pattern). */
  redirect?: { to: string; query?: Record<string, string | { pattern: string }> };
  headers?: { absent?: string[]; equals?: Record<string, string>; matches?: Record<string, string> };
  checks?: ("reset-within-burst-time" | "reset-is-when-bucket-is-full")[];
}

interface Step {
  method: string;
  path: string;
  body?: unknown;
  /** A body sent as it is (a form, or JSON under another content type), with `contentType`. */
  rawBody?: string;
  contentType?: string;
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

/** An authorization code redeemed at /oauth/token: sign in as `user`, then send `verifier` (or the right one). */
interface CodeReplay {
  emulator?: keyof typeof variants;
  code: { user: string; verifier?: string };
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
  replay: Replay | CodeReplay | { emulator?: keyof typeof variants; login: LoginReplay } | null;
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
  if ("idToken" in caller) return `Bearer ${(await em.login(caller.idToken)).id_token}`;
  if ("userToken" in caller) return `Bearer ${(await em.login(caller.userToken)).access_token}`;
  const { scopes, claims, expiresIn } = caller.token;
  return `Bearer ${await em.mintToken({ scopes, ...(claims ? { claims } : {}), ...(expiresIn === undefined ? {} : { expiresIn }) })}`;
}

async function send(em: Emulator, step: Step, caller: Caller) {
  const headers: Record<string, string> = {};
  const auth = await authorization(em, caller);
  if (auth !== undefined) headers.authorization = auth;
  let body: string | undefined;
  if (step.rawBody !== undefined) {
    if (step.contentType !== undefined) headers["content-type"] = step.contentType;
    body = step.rawBody;
  } else if (step.body !== undefined) {
    headers["content-type"] = step.contentType ?? "application/json";
    body = JSON.stringify(substitute(step.body, em));
  }
  const response = await fetch(`${em.url}${step.path}`, {
    method: step.method,
    headers,
    body,
    redirect: "manual",
  });
  return answerOf(response);
}

async function answerOf(response: Response) {
  const text = await response.text();
  const json = (response.headers.get("content-type") ?? "").includes("json");
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : json ? JSON.parse(text) : undefined,
    text,
  };
}

/** Signs `user` in through Universal Login, then redeems the code with `verifier` (by default the right one). */
async function redeem(em: Emulator, code: CodeReplay["code"]) {
  const { next, verifier } = await signIn(em, code.user);
  const response = await fetch(`${em.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: spa,
      code: next.searchParams.get("code") ?? "",
      code_verifier: code.verifier ?? verifier,
      redirect_uri: callback,
    }).toString(),
  });
  return answerOf(response);
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
  answer: { status: number; headers: Headers; body: unknown; text: string },
  exactBody: unknown,
): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(expected.status);
  if (exactBody !== undefined) expect(answer.body).toEqual(substitute(exactBody, em));
  if (expected.text !== undefined) expect(answer.text).toBe(expected.text);
  for (const piece of expected.contains ?? []) expect(answer.text).toContain(piece);
  if (expected.redirect) {
    const location = new URL(answer.headers.get("location") ?? "", em.url);
    expect(location.origin + location.pathname).toBe(expected.redirect.to);
    for (const [key, value] of Object.entries(expected.redirect.query ?? {})) {
      const got = location.searchParams.get(key) ?? "";
      if (typeof value === "string") expect(got, key).toBe(value);
      else expect(got, key).toMatch(new RegExp(value.pattern));
    }
  }
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
    // "undated": a page that carries no date (Auth0's support articles, some documentation pages).
    expect(o.source.date).toMatch(/^(\d{4}(-\d{2}-\d{2})?|undated)$/);
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
    if (o.replay && "code" in o.replay) {
      const options: EmulatorOptions = o.replay.emulator
        ? variants[o.replay.emulator]()
        : { rateLimit: false };
      const own = o.replay.emulator ? await createEmulator(options) : undefined;
      const em = own ?? shared;
      if (!em) throw new Error("emulator not started");
      try {
        em.state.reset();
        const answer = await redeem(em, o.replay.code);
        const exactBody =
          o.compare === "exact" ? (o.replay.expect.body ?? o.response.body) : o.replay.expect.body;
        check(em, options, o.replay.expect, answer, exactBody);
      } finally {
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
