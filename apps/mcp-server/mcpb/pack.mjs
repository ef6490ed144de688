// Packs dist/idlink-mcp.mcpb, the MCP Bundle a desktop host installs in one step: a zip of manifest.json and the
// bundled server (MANIFEST.md and README.md of modelcontextprotocol/mcpb @ 27083dcf93c4d1c589af6b539ec746e50d6068e7:
// "MCPB are simple zip files containing your entire MCP server and a manifest.json"). The server is the build's own
// dist/ (no node_modules: it needs none). test/mcpb.test.ts installs it the way Claude Desktop does, with the
// official @anthropic-ai/mcpb code.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

/**
 * The manifest: mcpb/manifest.json (what a person writes) with the version from package.json and the tools from the
 * generated catalog, so neither is declared twice.
 */
export async function bundleManifest(dir) {
  const [template, pkg, catalog] = await Promise.all(
    ["mcpb/manifest.json", "package.json", "src/generated/catalog.json"].map(async (path) =>
      JSON.parse(await readFile(join(dir, path), "utf8")),
    ),
  );
  const { manifest_version, name, display_name, ...rest } = template;
  const tools = catalog.toolsList.result.tools.map((t) => ({ name: t.name, description: t.description }));
  return { manifest_version, name, display_name, version: pkg.version, ...rest, tools };
}

/** Writes dist/idlink-mcp.mcpb from dist/ (run after the bundle is built) and answers its path. */
export async function packMcpb(dir) {
  const manifest = await bundleManifest(dir);
  const dist = join(dir, "dist");
  const server = (await files(dist)).filter((path) => path.endsWith(".js"));
  const entries = [
    { name: "manifest.json", data: json(manifest) },
    // The server is ESM: without "type": "module" beside it, Node would read its .js files as CommonJS.
    { name: "package.json", data: json({ name: manifest.name, version: manifest.version, type: "module" }) },
    { name: "LICENSE", data: await readFile(join(dir, "LICENSE")) },
    ...(await Promise.all(
      server.map(async (path) => ({
        name: `server/${relative(dist, path).split(sep).join("/")}`,
        data: await readFile(path),
      })),
    )),
  ];
  const out = join(dist, `${manifest.name}.mcpb`);
  await writeFile(out, zip(entries));
  return out;
}

const json = (value) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

async function files(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await files(path)));
    else found.push(path);
  }
  return found.sort();
}

/**
 * A zip archive (PKWARE APPNOTE 6.3.x: local headers, central directory, end record) of deflated files, each
 * `-rw-r--r--` and dated 1980-01-01 so that the same input gives the same bytes (and the same SHA-256).
 */
export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const path = Buffer.from(name, "utf8");
    const deflated = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // flags: the name is UTF-8
    local.writeUInt16LE(8, 8); // method: deflate
    local.writeUInt16LE(0, 10); // time 00:00
    local.writeUInt16LE(0x21, 12); // date 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(path.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 — so the mode below is read
    local.copy(central, 6, 4, 30); // version needed … name length, as in the local header
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, path, deflated);
    centrals.push(central, path);
    offset += local.length + path.length + deflated.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
