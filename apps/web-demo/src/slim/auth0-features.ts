// Stands in, inside the page's build of Auth0's SPA SDK (see vite.config.ts), for the parts of the SDK this page
// never calls: its auth-js client (and what that bundles: openid-client, oauth4webapi, jose), MFA, passkeys,
// anonymous sessions, My Account (connected accounts, with its `fetchWithAuth` fetcher) and DPoP, and the caches of
// options the page does not set. The SDK builds these in its constructor whether or not they are used, so a bundler
// keeps them all; they were two thirds of its bytes. Sign-in (redirect and popup), the code exchange with PKCE, the
// ID token's checks, the in-memory cache, refresh tokens in the worker and logout are the SDK's own code, built
// unchanged from the source it ships.

/** The error a left-out feature throws, should the page ever reach it. */
export class NotInThisPage extends Error {
  constructor(feature: string) {
    super(`${feature} is not part of this page's build of Auth0's SPA SDK.`);
    this.name = "NotInThisPage";
  }
}

type Constructor = new (...args: unknown[]) => object;

/**
 * A class whose instances answer `answers` as the real feature does when it is not in use, and throw
 * NotInThisPage from any other method.
 */
function leftOut(feature: string, answers: Record<string, () => unknown> = {}): Constructor {
  function LeftOut() {
    return new Proxy(
      {},
      {
        get(_target, name) {
          if (typeof name === "symbol" || name === "then") return undefined;
          if (Object.hasOwn(answers, name)) return answers[name];
          return () => {
            throw new NotInThisPage(`${feature} (${name})`);
          };
        },
      },
    );
  }
  return LeftOut as unknown as Constructor;
}

export const AuthClient = leftOut("Auth0's auth-js client");
// The SDK hands an `mfa_required` answer's context to its MFA client, then throws MfaRequiredError, which reaches
// the page as a sign-in error: the page has no MFA step of its own.
export const MfaApiClient = leftOut("MFA", { setMFAAuthDetails: () => undefined });
export const PasskeyApiClient = leftOut("Passkeys");
// Every authorize request asks whether an anonymous session exists (to transfer it): here, never.
export const AnonymousSessionApiClient = leftOut("Anonymous sessions", {
  hasSession: () => false,
  mintTransferToken: async () => null,
});
export const MyAccountApiClient = leftOut("My Account");
/** Built only with `useDpop: true`, which the page does not set. */
export const Dpop = leftOut("DPoP");
// The SDK's constructor builds one for My Account (left out above); the page calls its APIs with core's client.
export const Fetcher = leftOut("fetchWithAuth");
// Options the page does not set: `cacheLocation: "localstorage"` (its tokens stay in memory), and a custom cache
// without `allKeys` (the SDK's in-memory cache has it).
export const LocalStorageCache = leftOut("cacheLocation: localstorage");
export const CacheKeyManifest = leftOut("A cache without allKeys");
