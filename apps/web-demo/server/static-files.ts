import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Vite's hashed assets never change under the same name. */
  immutable: boolean;
}

/** Reads a file of the built page, or undefined when there is none (or the path tries to leave the folder). */
export async function readStaticFile(clientDir: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const relative = decoded === "/" ? "index.html" : decoded.replace(/^\/+/, "");
  const root = normalize(clientDir + sep);
  const file = normalize(join(root, relative));
  if (!file.startsWith(root) || relative.includes("\0")) return undefined;
  try {
    const body = await readFile(file);
    return {
      body,
      contentType: contentTypes[extname(file)] ?? "application/octet-stream",
      immutable: relative.startsWith("assets/"),
    };
  } catch {
    return undefined;
  }
}
