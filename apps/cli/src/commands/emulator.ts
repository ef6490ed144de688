import { resolve } from "node:path";
import type { EmulatorFlagValues } from "@idlink/emulator";
import type { Handler } from "../command-spec.ts";
import { readFileFor } from "../credentials.ts";
import { ExitCode } from "../exit-codes.ts";
import { checkTarget, type Target, writeFileAtomic } from "../files.ts";
import type { emulatorSpec } from "../specs/emulator.ts";
import { UsageError } from "../usage-error.ts";

/** `idlink emulator`: a local Auth0 tenant until Ctrl-C, and how to point idlink at it. */
export const run: Handler<typeof emulatorSpec> = async ({ flags }, { io, output }) => {
  const emulator = await import("@idlink/emulator");
  const { adminClient, createEmulator, defaultRateLimit, defaultSeed, parseSeed } = emulator;
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port ${flags.port}: not a port number.`, "Give 0-65535 (0 picks a free port).");
  }
  // The emulator's own parser, so `--users`, `--duplicate-rate`, `--seed S` and `--rate-limit` mean here what they
  // mean to `idlink-emulator`.
  let tenant: EmulatorFlagValues;
  try {
    tenant = emulator.parseEmulatorFlags({
      users: flags.users,
      duplicateRate: flags.duplicateRate,
      rateLimit: flags.rateLimit,
      seed: flags.seed,
    });
  } catch (error) {
    if (error instanceof emulator.EmulatorFlagError) throw new UsageError(error.message, error.fix);
    throw error;
  }
  const { generate, seedFile } = tenant;
  const rateLimit = tenant.rateLimit ?? defaultRateLimit;
  // Checked before the emulator starts: the file will hold a client secret.
  const envTarget: Target | undefined =
    flags.envOut === undefined
      ? undefined
      : { path: resolve(io.cwd, flags.envOut), name: `--env-out ${flags.envOut}` };
  if (envTarget !== undefined) await checkTarget(envTarget);
  let seed = defaultSeed();
  if (seedFile !== undefined) {
    const text = await readFileFor(seedFile, io, "--seed");
    try {
      seed = JSON.parse(text);
      parseSeed(seed);
    } catch (error) {
      throw new UsageError(
        `--seed ${seedFile}: ${error instanceof Error ? error.message : "not a seed"}`,
        "See the seed format in packages/emulator (the bundled seed.json is an example).",
      );
    }
  }
  let emu: Awaited<ReturnType<typeof createEmulator>>;
  try {
    emu = await createEmulator({ seed, port, rateLimit, ...(generate ? { generate } : {}) });
  } catch (error) {
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    if (code === "EADDRINUSE") throw new UsageError(`Port ${port} is in use.`, "Pick another --port, or 0.");
    throw error;
  }
  const admin = adminClient(seed);
  const clients = seed.clients
    .filter((c) => c.app_type === "non_interactive")
    .map((c) => ({ client_id: c.client_id, scopes: c.grants ?? [] }));
  if (envTarget !== undefined && admin) {
    const lines = [
      `export AUTH0_DOMAIN=${emu.url}`,
      `export AUTH0_CLIENT_ID=${admin.clientId}`,
      `export AUTH0_CLIENT_SECRET=${admin.clientSecret}`,
    ];
    try {
      await writeFileAtomic(envTarget, `${lines.join("\n")}\n`);
    } catch (error) {
      await emu.stop();
      throw error;
    }
  }
  const s = output.out;
  output.line(
    `${s.green("Emulator running")} at ${s.bold(emu.url)} — a local, fake Auth0 tenant. Ctrl-C stops it.`,
  );
  if (generate) {
    output.line(
      `Generated users: ${generate.users} besides the seed's (duplicate rate ${generate.duplicateRate}, seed ${generate.seed ?? 1}).`,
    );
  }
  output.line(
    rateLimit === false
      ? "Rate limit: off."
      : `Rate limit: bursts of ${rateLimit.burst}, ${rateLimit.perSecond} requests per second.`,
  );
  output.line("Point idlink at it:");
  if (flags.envOut !== undefined && admin) {
    output.line(`  source ${flags.envOut}`);
  } else {
    output.line(`  export AUTH0_DOMAIN=${emu.url}`);
    if (admin) {
      output.line(`  export AUTH0_CLIENT_ID=${admin.clientId}`);
      output.line(`  export AUTH0_CLIENT_SECRET=…   # client_secret of ${admin.clientId} in the seed`);
      output.detail(s.dim("  (or start with --env-out F to get these in a file, secret included)"));
    }
  }
  output.detail(`Then: idlink show '${seed.users[0]?.user_id ?? "auth0|…"}'`);
  if (output.json) {
    output.document({
      ok: true,
      url: emu.url,
      issuer: emu.issuer,
      managementAudience: emu.managementAudience,
      clients,
      generated: generate
        ? { users: generate.users, duplicateRate: generate.duplicateRate, seed: generate.seed ?? 1 }
        : null,
      rateLimit,
      envOut: flags.envOut ?? null,
    });
  }
  await new Promise<void>((done) => {
    if (io.interrupt.aborted) return done();
    io.interrupt.addEventListener("abort", () => done(), { once: true });
  });
  await emu.stop();
  output.note("Emulator stopped.");
  return ExitCode.ok;
};
