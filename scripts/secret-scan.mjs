// The cross-suite secret scan: every token, client secret, ID token, private key (each of its lines) and client
// assertion the test suites recorded (through @idlink/test-kit), plus the emulator seed's client secrets and IdP
// tokens, is searched for in every output the suites recorded and in every committed snapshot. Prints "secret scan: …", leaves test-results/secret-scan.json
// for the CI summary, and exits 1 on a hit (or when nothing was recorded).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = process.env.IDLINK_SCAN_ROOT ?? new URL("..", import.meta.url).pathname;
const packageDirs = ["packages", "apps"]
  .flatMap((d) => (existsSync(join(root, d)) ? readdirSync(join(root, d)).map((p) => join(root, d, p)) : []))
  .concat(join(root, "bench"));
const lines = (prefix) =>
  packageDirs.flatMap((pkg) => {
    const dir = join(pkg, "test-results", "secret-scan");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.startsWith(prefix))
      .flatMap((f) =>
        readFileSync(join(dir, f), "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      );
  });

const secrets = new Set(lines("secrets-"));
// A private key leaks as soon as one of its base64 lines is printed: each line of a recorded PEM is a secret too.
for (const secret of [...secrets])
  if (secret.includes("-----BEGIN"))
    for (const line of secret.split("\n")) if (line.trim().length >= 40) secrets.add(line.trim());
const seed = JSON.parse(readFileSync(join(root, "packages/emulator/seed.json"), "utf8"));
for (const client of seed.clients) if (client.client_secret) secrets.add(client.client_secret);
for (const user of seed.users)
  for (const identity of user.identities ?? [])
    for (const key of ["access_token", "refresh_token", "access_token_secret"])
      if (identity[key]) secrets.add(identity[key]);

const outputs = lines("outputs-");
function snapshots(path) {
  if (!existsSync(path)) return [];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || e.name.startsWith(".")) return [];
    const full = join(path, e.name);
    if (e.isDirectory()) return snapshots(full);
    return full.includes("__snapshots__")
      ? [{ source: full.slice(root.length), text: readFileSync(full, "utf8") }]
      : [];
  });
}
outputs.push(...["packages", "apps"].flatMap((d) => snapshots(join(root, d))));

const hits = [];
for (const { source, text } of outputs)
  for (const secret of secrets) if (text.includes(secret)) hits.push(source);
const sources = new Set(outputs.map((o) => o.source.split(":")[0]));
console.log(
  `secret scan: ${secrets.size} secrets searched in ${outputs.length} outputs from ${sources.size} sources: ${hits.length} hits`,
);
for (const hit of new Set(hits)) console.log(`secret scan: a secret appears in ${hit}`);
if (secrets.size === 0 || outputs.length === 0)
  console.log("secret scan: nothing recorded — the suites did not run");
const failed = hits.length > 0 || secrets.size === 0 || outputs.length === 0;
mkdirSync(join(root, "test-results"), { recursive: true });
writeFileSync(
  join(root, "test-results", "secret-scan.json"),
  JSON.stringify({ secrets: secrets.size, outputs: outputs.length, hits: hits.length, failed }),
);
process.exit(failed ? 1 : 0);
