/**
 * The worker thread that runs one handler of one post-login Action, as JavaScript source: the emulator starts it
 * with `new Worker(actionWorkerSource, { eval: true })`, so it works the same from the TypeScript sources, the
 * library build and the bundled bin, whatever a bundler does to function names. It reads its `WorkerInput`
 * (types.ts) from `workerData`, posts `WorkerMessage`s, and touches nothing of the emulator: the Action's code runs
 * in a fresh `node:vm` context holding only what Auth0's Actions runtime offers (Node built-ins through `require`,
 * `console`, `fetch`, `URL`, `TextEncoder`, `Buffer`, timers, `crypto`, `structuredClone`, `atob`/`btoa`, a
 * `process` whose `env` is empty) and the `event`/`api` of Auth0's post-login trigger.
 *
 * The worker is terminated by the emulator when the handler settles or the time limit passes, so a loop that never
 * yields stops the Action, not the emulator; the emulator's own event loop stays free meanwhile, so an Action can
 * `fetch` the emulator itself (its Management API, its /oauth/token).
 */
// biome-ignore lint/complexity/noUselessStringRaw: keeps any backslash the worker may come to hold as written
export const actionWorkerSource = String.raw`"use strict";
(function () {
  const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");
  const vm = process.getBuiltinModule("node:vm");
  const nodeCrypto = process.getBuiltinModule("node:crypto");
  const util = process.getBuiltinModule("node:util");
  const nodeModule = process.getBuiltinModule("node:module");
  const input = workerData;
  const post = (message) => parentPort.postMessage(message);
  // Alive until the emulator ends it, even with nothing left to do: a handler whose promise never settles runs
  // into the time limit, as on Auth0, rather than ending quietly.
  parentPort.on("message", () => {});

  const context = vm.createContext({}, { name: "Action " + input.name });
  const inContext = (source) => vm.runInContext(source, context);
  const ContextError = inContext("Error");
  const contextJson = inContext("JSON");
  // Values handed to the Action are made in its own realm, so instanceof Object / Error hold there.
  const toContext = (value) => (value === undefined ? undefined : contextJson.parse(JSON.stringify(value)));
  const fail = (message) => new ContextError(message);
  const plain = (value) => {
    const text = JSON.stringify(value);
    return text === undefined ? null : JSON.parse(text);
  };
  const messageOf = (error) =>
    error !== null && typeof error === "object" && typeof error.message === "string" ? error.message : String(error);
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  const commands = {
    appMetadata: [],
    userMetadata: [],
    idTokenClaims: [],
    accessTokenClaims: [],
    methods: [],
    transactionMetadata: [],
  };

  const write = (level) => (...args) => post({ type: "log", level, text: util.format(...args) });
  const sandboxConsole = {
    log: write("log"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    debug: write("debug"),
    trace: write("trace"),
    dir: (value) => write("log")(util.inspect(value)),
  };

  // Node's built-in modules only: npm dependencies and the emulator's own files are not there.
  const requireBuiltin = (id) => {
    if (typeof id === "string" && nodeModule.isBuiltin(id)) return process.getBuiltinModule(id);
    const error = fail("Cannot find module '" + String(id) + "'");
    error.code = "MODULE_NOT_FOUND";
    throw error;
  };

  const sandboxProcess = {
    env: {},
    version: process.version,
    versions: process.versions,
    platform: process.platform,
    arch: process.arch,
    nextTick: (callback, ...args) => queueMicrotask(() => callback(...args)),
  };

  Object.assign(context, {
    console: sandboxConsole,
    require: requireBuiltin,
    process: sandboxProcess,
    fetch,
    Headers,
    Request,
    Response,
    FormData,
    Blob,
    AbortController,
    AbortSignal,
    Event,
    EventTarget,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    Buffer,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    setImmediate,
    clearImmediate,
    queueMicrotask,
    crypto: globalThis.crypto,
    structuredClone,
    atob,
    btoa,
    performance,
  });
  context.global = inContext("globalThis");

  const event = contextJson.parse(input.event);

  // HS256 session tokens (api.redirect.encodeToken / validateToken).
  const base64url = (text) => Buffer.from(text, "utf8").toString("base64url");
  const signature = (signingInput, secret) =>
    nodeCrypto.createHmac("sha256", secret).update(signingInput).digest("base64url");
  const sameText = (a, b) => {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && nodeCrypto.timingSafeEqual(left, right);
  };
  const decodePart = (part) => {
    try {
      const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
      return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
    } catch {
      return undefined;
    }
  };

  const unmodelled = (name) => () => {
    throw fail(name + " is not modelled by the emulator (see its README, Post-login Actions)");
  };

  const httpUrl = (value, what) => {
    let url;
    try {
      url = new URL(String(value));
    } catch {
      throw fail(what + " must be an absolute http: or https: URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw fail(what + " must be an absolute http: or https: URL");
    return url;
  };

  const cache = new Map(input.cache);
  const liveEntry = (key) => {
    const entry = cache.get(key);
    if (entry && entry.expires_at <= Date.now()) {
      cache.delete(key);
      return undefined;
    }
    return entry;
  };
  const bytes = (text) => Buffer.byteLength(text, "utf8");
  const cacheError = (code) => toContext({ type: "error", code });

  const api = {};
  Object.assign(api, {
    access: {
      deny(reason) {
        if (commands.deny === undefined) commands.deny = reason === undefined ? "" : String(reason);
        return api;
      },
    },
    accessToken: {
      setCustomClaim(key, value) {
        if (value !== undefined) commands.accessTokenClaims.push([String(key), plain(value)]);
        return api;
      },
      addScope: unmodelled("api.accessToken.addScope"),
      removeScope: unmodelled("api.accessToken.removeScope"),
    },
    idToken: {
      setCustomClaim(key, value) {
        if (value !== undefined) commands.idTokenClaims.push([String(key), plain(value)]);
        return api;
      },
    },
    authentication: {
      setPrimaryUser(primaryUserId) {
        if (typeof primaryUserId !== "string" || primaryUserId === "") throw fail("primary_user_id must be a non-empty string");
        if (primaryUserId.length > 128) throw fail("primary_user_id is limited to 128 characters");
        if (input.primaryUserSet || commands.primaryUser !== undefined) throw fail("setPrimaryUser can be called once per transaction");
        commands.primaryUser = primaryUserId;
        return api;
      },
      recordMethod(providerUrl) {
        if (input.handler !== "onContinuePostLogin") {
          throw fail("api.authentication.recordMethod() is only available in onContinuePostLogin");
        }
        commands.methods.push(httpUrl(providerUrl, "provider_url").toString());
        return api;
      },
      challengeWith: unmodelled("api.authentication.challengeWith"),
      challengeWithAny: unmodelled("api.authentication.challengeWithAny"),
      enrollWith: unmodelled("api.authentication.enrollWith"),
      enrollWithAny: unmodelled("api.authentication.enrollWithAny"),
    },
    multifactor: { enable: unmodelled("api.multifactor.enable") },
    prompt: { render: unmodelled("api.prompt.render") },
    rules: { wasExecuted: () => false },
    redirect: {
      canRedirect: () => input.canRedirect,
      sendUserTo(url, options) {
        const target = httpUrl(url, "The redirect URL");
        const query = {};
        const given = options !== null && typeof options === "object" ? options.query : undefined;
        if (given !== null && typeof given === "object") {
          for (const [key, value] of Object.entries(given)) if (value !== undefined && value !== null) query[key] = String(value);
        }
        commands.redirect = { url: target.toString(), query };
        return api;
      },
      encodeToken(options) {
        const o = options !== null && typeof options === "object" ? options : {};
        if (typeof o.secret !== "string" || o.secret === "") throw fail("encodeToken needs a secret (a string)");
        const lifetime = o.expiresInSeconds === undefined ? 900 : Number(o.expiresInSeconds);
        if (!(lifetime > 0) || !Number.isFinite(lifetime)) throw fail("expiresInSeconds must be a positive number");
        const payload = o.payload === undefined ? {} : plain(o.payload);
        if (payload === null || typeof payload !== "object" || Array.isArray(payload)) throw fail("payload must be an object");
        const iat = nowSeconds();
        const claims = Object.assign({}, payload, {
          iat,
          iss: input.tenantHost,
          sub: input.userId,
          exp: iat + Math.floor(lifetime),
          ip: input.ip,
        });
        const signingInput = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" })) + "." + base64url(JSON.stringify(claims));
        return signingInput + "." + signature(signingInput, o.secret);
      },
      validateToken(options) {
        if (!input.continued) throw fail("api.redirect.validateToken() reads the /continue request: use it in onContinuePostLogin");
        const o = options !== null && typeof options === "object" ? options : {};
        if (typeof o.secret !== "string" || o.secret === "") throw fail("validateToken needs a secret (a string)");
        const name = typeof o.tokenParameterName === "string" && o.tokenParameterName !== "" ? o.tokenParameterName : "session_token";
        const invalid = (why) => fail("The session token is invalid: " + why);
        const token = input.continued.params[name];
        if (typeof token !== "string" || token === "") throw invalid("no " + JSON.stringify(name) + " parameter was sent to /continue");
        const parts = token.split(".");
        if (parts.length !== 3) throw invalid("jwt malformed");
        const header = decodePart(parts[0]);
        const claims = decodePart(parts[1]);
        if (!header || !claims) throw invalid("jwt malformed");
        if (header.alg !== "HS256") throw invalid("invalid algorithm");
        if (!sameText(signature(parts[0] + "." + parts[1], o.secret), parts[2])) throw invalid("invalid signature");
        const standard =
          typeof claims.iat === "number" &&
          typeof claims.exp === "number" &&
          typeof claims.iss === "string" &&
          typeof claims.sub === "string" &&
          typeof claims.state === "string";
        if (!standard) throw invalid("Missing or invalid standard claims");
        if (claims.exp <= nowSeconds()) throw invalid("jwt expired");
        if (claims.sub !== input.userId) throw invalid("Missing or invalid standard claims");
        if (claims.state !== input.continued.state) throw invalid("State in the token does not match the /continue state.");
        return toContext(claims);
      },
    },
    user: {
      setAppMetadata(key, value) {
        commands.appMetadata.push([String(key), value === undefined ? null : plain(value)]);
        return api;
      },
      setUserMetadata(key, value) {
        commands.userMetadata.push([String(key), value === undefined ? null : plain(value)]);
        return api;
      },
    },
    transaction: {
      setMetadata(key, value) {
        const name = String(key);
        if (name.length > 64) throw fail("Transaction metadata keys are limited to 64 characters");
        const ok =
          value === null ||
          typeof value === "string" ||
          typeof value === "boolean" ||
          (typeof value === "number" && Number.isSafeInteger(Math.trunc(value)) && Number.isFinite(value));
        if (!ok) throw fail("Transaction metadata values must be strings, numbers or booleans");
        if (event.transaction && event.transaction.metadata) {
          if (value === null) delete event.transaction.metadata[name];
          else event.transaction.metadata[name] = value;
        }
        commands.transactionMetadata.push([name, value]);
        return api;
      },
    },
    cache: {
      get(key) {
        const entry = liveEntry(String(key));
        return entry ? toContext({ value: entry.value, expires_at: entry.expires_at }) : undefined;
      },
      set(key, value, options) {
        const name = String(key);
        if (typeof value !== "string") return cacheError("invalid_value");
        if (bytes(name) > 64) return cacheError("key_too_large");
        if (bytes(value) > 4096) return cacheError("value_too_large");
        const now = Date.now();
        const o = options !== null && typeof options === "object" ? options : {};
        let expiresAt = now + 15 * 60 * 1000;
        const limits = [];
        if (typeof o.ttl === "number") limits.push(now + o.ttl);
        if (typeof o.expires_at === "number") limits.push(o.expires_at);
        if (limits.length > 0) expiresAt = Math.min(...limits);
        expiresAt = Math.min(expiresAt, now + 24 * 60 * 60 * 1000);
        for (const other of [...cache.keys()]) liveEntry(other);
        if (!cache.has(name) && cache.size >= 20) return cacheError("too_many_entries");
        let total = bytes(name) + bytes(value);
        for (const [other, entry] of cache) if (other !== name) total += bytes(other) + bytes(entry.value);
        if (total > 8192) return cacheError("cache_full");
        cache.set(name, { value, expires_at: expiresAt });
        return toContext({ type: "success", record: { value, expires_at: expiresAt } });
      },
      delete(key) {
        cache.delete(String(key));
        return toContext({ type: "success" });
      },
    },
  });

  let handler;
  try {
    const wrapper = vm.compileFunction(input.code, ["exports", "require", "module", "__filename", "__dirname"], {
      parsingContext: context,
      filename: input.filename,
    });
    const module = inContext("({ exports: {} })");
    wrapper.call(module.exports, module.exports, requireBuiltin, module, input.filename, "/actions");
    handler = module.exports[input.handler];
  } catch (error) {
    post({ type: "error", message: messageOf(error) });
    return;
  }
  if (typeof handler !== "function") {
    if (input.handler === "onExecutePostLogin") post({ type: "done", commands, cache: [...cache] });
    else post({ type: "error", message: "The Action " + input.name + " has no exports.onContinuePostLogin to resume the login" });
    return;
  }
  Promise.resolve()
    .then(() => handler(event, api))
    .then(
      () => post({ type: "done", commands, cache: [...cache] }),
      (error) => post({ type: "error", message: messageOf(error) }),
    );
})();
`;
