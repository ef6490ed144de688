/** A fetch that answers from a script and records every request: the client's tests inject it, nothing global is patched. */
export interface Recorded {
  method: string;
  url: string;
  headers: Headers;
  body: string;
}

export type Reply = Response | Error | ((request: Recorded) => Response | Error);

export function createRecordingFetch(replies: Reply[]) {
  const requests: Recorded[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const recorded: Recorded = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
    };
    requests.push(recorded);
    const next = replies.shift();
    if (next === undefined) throw new Error(`unexpected request ${request.method} ${request.url}`);
    const reply = typeof next === "function" ? next(recorded) : next;
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return { fetch, requests };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A fetch failure shaped like undici's: a TypeError whose cause carries the socket error code. */
export function networkError(code: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) });
}

export const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl-secret-management-token";
