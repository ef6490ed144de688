import type { ErrorDescription } from "@idlink/core/browser";
import { type PageConfig, proofHeader, proofMetaName } from "../lib/api-types.ts";
import {
  type DeclineCall,
  type LinkCallBase,
  type LinkOutcomeResponse,
  type LinkProofCall,
  type LinkRefusalCode,
  type LinkSessionResponse,
  linkApi,
} from "./link-types.ts";

/** A refusal or failure of the demo server, with its code (worded by the page) and the server's English detail. */
export class LinkApiError extends Error {
  override name = "LinkApiError" as const;
  constructor(
    readonly status: number,
    readonly description: ErrorDescription & { code?: LinkRefusalCode },
  ) {
    super(description.message);
  }
}

// The demo server's per-start proof, from the page's <meta>: every call of the linking page carries it.
const proof = document.querySelector<HTMLMetaElement>(`meta[name="${proofMetaName}"]`)?.content ?? "";

async function read<T>(response: Promise<Response>, what: string): Promise<T> {
  let answer: Response;
  try {
    answer = await response;
  } catch {
    throw new LinkApiError(0, { title: "The demo server could not be reached", message: `${what} failed` });
  }
  const data = (await answer.json().catch(() => undefined)) as
    | (T & { error?: ErrorDescription & { code?: LinkRefusalCode } })
    | undefined;
  if (!answer.ok || data === undefined) {
    throw new LinkApiError(
      answer.status,
      data?.error ?? { title: "Unexpected answer", message: `${what} answered ${answer.status}` },
    );
  }
  return data;
}

const post = <T>(path: string, body: LinkCallBase) =>
  read<T>(
    fetch(path, {
      method: "POST",
      headers: { [proofHeader]: proof, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    `POST ${path}`,
  );

/** The linking page's calls; the session token and state go with each, and the server checks them each time. */
export const linkCalls = {
  // The page preloads /api/config (no header): the same request takes the preload over.
  config: () => read<PageConfig>(fetch("/api/config"), "GET /api/config"),
  session: (call: LinkCallBase) => post<LinkSessionResponse>(linkApi.session, call),
  link: (call: LinkProofCall) => post<LinkOutcomeResponse>(linkApi.link, call),
  decline: (call: DeclineCall) => post<LinkOutcomeResponse>(linkApi.decline, call),
};
