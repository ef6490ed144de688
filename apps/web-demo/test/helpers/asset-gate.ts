import { once } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP proxy in front of the demo server that can hold back or refuse the page's files whose name
 * starts with a prefix (`mount-`, `Auth0Client-`): the network a slow or broken connection gives the page. Every
 * other request goes through unchanged but for its Host (the demo server answers only its own, as under Vite's
 * `changeOrigin`); Origin is passed on, so the demo server must allow the proxy's origin.
 */
export async function startAssetGate(target: string) {
  const held = new Map<string, Promise<void>>();
  const releases = new Map<string, () => void>();
  const refused = new Set<string>();
  /** Requests for held files that are waiting, by prefix. */
  const waiting = new Map<string, number>();
  const matching = (path: string, prefixes: Iterable<string>) =>
    [...prefixes].find((prefix) => path.startsWith(`/assets/${prefix}`));

  const server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    if (matching(path, refused)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("refused by the test's gate");
      return;
    }
    const hold = matching(path, held.keys());
    if (hold) {
      waiting.set(hold, (waiting.get(hold) ?? 0) + 1);
      await held.get(hold);
    }
    const { host } = new URL(target);
    const forwarded = request(
      new URL(path, target),
      { method: req.method, headers: { ...req.headers, host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", () => res.destroy());
    req.pipe(forwarded);
  }).listen(0, "127.0.0.1");
  await once(server, "listening");

  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Holds the files starting with `prefix` until `release` is called. */
    hold(prefix: string): void {
      held.set(prefix, new Promise((resolve) => releases.set(prefix, resolve)));
    },
    release(prefix: string): void {
      releases.get(prefix)?.();
      held.delete(prefix);
    },
    /** How many requests for the held files starting with `prefix` have come. */
    waiting: (prefix: string) => waiting.get(prefix) ?? 0,
    /** Answers 404 for the files starting with `prefix`. */
    refuse(prefix: string): void {
      refused.add(prefix);
    },
    /** Lets every file through again. */
    reset(): void {
      for (const release of releases.values()) release();
      held.clear();
      refused.clear();
      waiting.clear();
    },
    stop(): Promise<void> {
      for (const release of releases.values()) release();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
