import { ExportError } from "../present/errors.ts";

/** One user of an export file, reduced to what duplicate grouping reads. Other fields are ignored. */
export interface ExportedUser {
  user_id: string;
  email?: string;
  email_verified?: boolean;
  created_at?: string;
  last_login?: string;
  logins_count?: number;
  /** Present when the export holds `identities`; more than one means linked identities. */
  identities?: { provider: string; user_id: string; connection?: string }[];
}

export interface MalformedLine {
  line: number;
  message: string;
}

export interface ReadExportOptions {
  /** `json` (one object per line, Auth0's `format: "json"`) or `csv` (a header row first). Default `json`. */
  format?: "json" | "csv";
  /** What a malformed line does: `skip` reports it through `onMalformed` and reads on; `fail` throws. Default `fail`. */
  malformed?: "skip" | "fail";
  onMalformed?: (issue: MalformedLine) => void;
  /** Called with the number of lines and bytes read so far, at most once per chunk. */
  onProgress?: (progress: { lines: number; bytes: number }) => void;
}

/** Gunzips a byte stream with the platform's `DecompressionStream` (browsers and Node alike). */
export async function* gunzip(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const stream = new DecompressionStream("gzip");
  const writer = stream.writable.getWriter();
  // A failure of the source (a download cut, a refused link) is its own error, not a gzip one.
  let sourceError: unknown;
  const pump = (async () => {
    const source = chunks[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await source.next();
      } catch (error) {
        sourceError = error;
        await writer.abort(error).catch(() => {});
        return;
      }
      if (next.done) break;
      try {
        await writer.write(next.value as Uint8Array<ArrayBuffer>);
      } catch {
        // Not gzip, or the reader stopped: the reader knows why; the source is let go.
        await source.return?.()?.catch(() => {});
        return;
      }
    }
    await writer.close().catch(() => {});
  })();
  const reader = stream.readable.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
    finished = true;
  } catch (error) {
    finished = true;
    await pump;
    if (sourceError !== undefined) throw sourceError;
    throw new ExportError(`The export is not a valid gzip file: ${(error as Error).message}`);
  } finally {
    // A reader that stops early cancels the stream, so a write waiting for room ends too.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
    await pump;
  }
}

/** Splits decoded text into lines, one chunk at a time: at most one line is ever held beyond the chunk. */
async function* lines(
  chunks: AsyncIterable<Uint8Array | string>,
  onChunk: (bytes: number) => void,
): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of chunks) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    onChunk(typeof chunk === "string" ? chunk.length : chunk.byteLength);
    const parts = (rest + text).split("\n");
    rest = parts.pop() ?? "";
    yield parts;
  }
  rest += decoder.decode();
  if (rest !== "") yield [rest];
}

const typeOf = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

/** Checks the fields grouping reads; answers the user or what is wrong with the line. */
function toUser(value: unknown): ExportedUser | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `expected a JSON object, found ${typeOf(value)}`;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.user_id !== "string" || record.user_id === "") {
    return "user_id is missing — export the user_id field";
  }
  for (const [key, type] of [
    ["email", "string"],
    ["email_verified", "boolean"],
    ["created_at", "string"],
    ["last_login", "string"],
    ["logins_count", "number"],
  ] as const) {
    const v = record[key];
    if (v !== undefined && v !== null && typeof v !== type)
      return `${key} must be a ${type}, found ${typeOf(v)}`;
  }
  if (record.identities !== undefined && !Array.isArray(record.identities)) {
    return `identities must be an array, found ${typeOf(record.identities)}`;
  }
  return record as unknown as ExportedUser;
}

/** A malformed line: an `ExportError` naming it, or with `malformed: "skip"` an issue for `onMalformed`. */
export function malformedLine(
  options: Pick<ReadExportOptions, "malformed" | "onMalformed">,
  line: number,
  message: string,
): void {
  const issue = { line, message };
  if (options.malformed !== "skip") {
    throw new ExportError(`Line ${line} of the export is malformed: ${message}`, issue);
  }
  options.onMalformed?.(issue);
}

/** One JSON line as a user, or what is wrong with it (the reader's words for a malformed line). */
export function userFromJsonLine(line: string): ExportedUser | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  return toUser(value);
}

/** Splits one CSV line into cells (RFC 4180 quoting; a quoted cell may not span lines in Auth0's export). */
function csvCells(line: string): string[] | undefined {
  const cells: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let cell = "";
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) return undefined;
        cell += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          cell += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      if (i < line.length && line[i] !== ",") return undefined;
      cells.push(cell);
      i++;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma === -1 ? line.length : comma;
      cells.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return cells;
}

function csvUser(header: string[], cells: string[]): unknown {
  const record: Record<string, unknown> = {};
  header.forEach((name, i) => {
    const cell = cells[i];
    if (cell === undefined || cell === "") return;
    if (name === "email_verified") record[name] = cell === "true" ? true : cell === "false" ? false : cell;
    else if (name === "logins_count") record[name] = Number.isFinite(Number(cell)) ? Number(cell) : cell;
    else if (name === "identities") {
      try {
        record[name] = JSON.parse(cell);
      } catch {
        record[name] = cell;
      }
    } else record[name] = cell;
  });
  return record;
}

/**
 * Reads a user export (already gunzipped: pipe the download through `gunzip` first) as a stream of users, in
 * batches (the users of one chunk of input: per-user async iteration would cost more than parsing), line by line:
 * the file is never held in memory. A malformed line is reported with its 1-based line number and is skipped or
 * fatal (`malformed: "skip" | "fail"`).
 */
export async function* readUserExport(
  chunks: AsyncIterable<Uint8Array | string>,
  options: ReadExportOptions = {},
): AsyncGenerator<ExportedUser[]> {
  const format = options.format ?? "json";
  let lineNumber = 0;
  let bytes = 0;
  let header: string[] | undefined;
  const bad = (message: string) => malformedLine(options, lineNumber, message);
  for await (const batch of lines(chunks, (n) => {
    bytes += n;
  })) {
    const users: ExportedUser[] = [];
    for (const raw of batch) {
      lineNumber++;
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line.trim() === "") continue;
      let user: ExportedUser | string;
      if (format === "json") user = userFromJsonLine(line);
      else {
        const cells = csvCells(line);
        if (!cells) {
          bad("unbalanced quotes");
          continue;
        }
        if (!header) {
          header = cells;
          if (!header.includes("user_id"))
            bad("the CSV header has no user_id column — export the user_id field");
          continue;
        }
        user = toUser(csvUser(header, cells));
      }
      if (typeof user === "string") bad(user);
      else users.push(user);
    }
    options.onProgress?.({ lines: lineNumber, bytes });
    if (users.length > 0) yield users;
  }
}
