import type { ErrorDescription } from "@idlink/core/browser";
import { useCallback, useEffect, useState } from "react";
import type { PageConfig } from "../lib/api-types.ts";
import { demoApi } from "../lib/demo-api.ts";
import { createSignIn, type SignIn, takeCallbackUrl } from "../lib/sign-in.ts";
import { linkPagePath } from "../link/link-types.ts";
import { AdminFlow } from "./admin-flow.tsx";
import { toDescription } from "./describe.ts";
import { ErrorNotice } from "./error-notice.tsx";
import { UserFlow } from "./user-flow.tsx";

// Not on the linking page (a route of its own, see main.tsx): nothing below runs there.
const onDemoPage = typeof window !== "undefined" && window.location.pathname !== linkPagePath;

// A Universal Login answer (`?code=…&state=…`) leaves the address bar before the first render.
const callbackUrl = onDemoPage ? takeCallbackUrl(window.location, window.history) : undefined;

// One SDK set-up per tenant: the same code for the emulator and a real tenant, only domain and client id differ.
const signIns = new Map<string, Promise<SignIn>>();
function signInFor({ tenant, spaClientId }: Pick<PageConfig, "tenant" | "spaClientId">): Promise<SignIn> {
  const key = `${tenant} ${spaClientId}`;
  let signIn = signIns.get(key);
  if (!signIn) {
    signIn = createSignIn({ tenant, spaClientId }, window.location.origin);
    signIns.set(key, signIn);
  }
  return signIn;
}

interface Loaded {
  config: PageConfig;
  signIn?: SignIn;
  /** Auth0's SDK could not be set up; the administrator's flow still works. */
  signInError?: ErrorDescription;
}

/** The configuration, then the sign-in for its tenant, so that one render shows both. */
function load(): Promise<Loaded> {
  return demoApi.config().then((config) =>
    signInFor(config).then(
      (signIn) => ({ config, signIn }),
      (e: unknown) => ({ config, signInError: toDescription(e) }),
    ),
  );
}

// The first load starts as this module is evaluated (Auth0's SDK chunk is already on its way, see sign-in.ts),
// rather than after the first render.
let firstLoad = onDemoPage ? load() : undefined;
firstLoad?.catch(() => undefined); // its failure is shown once the page has rendered

/** The demo page: the two ways to link accounts, against the tenant the demo server names. */
export function App() {
  const [config, setConfig] = useState<PageConfig | undefined>();
  const [signIn, setSignIn] = useState<SignIn | undefined>();
  const [error, setError] = useState<ErrorDescription | undefined>();

  const refresh = useCallback(() => {
    const request = firstLoad ?? load();
    firstLoad = undefined;
    request.then(
      (loaded) => {
        setConfig(loaded.config);
        setSignIn(loaded.signIn);
        if (loaded.signInError) setError(loaded.signInError);
      },
      (e: unknown) => setError(toDescription(e)),
    );
  }, []);
  useEffect(() => refresh(), [refresh]);

  return (
    <>
      <header className="top">
        <div className="wrap top-inner">
          <div>
            <p className="brand">idlink</p>
            <h1>Link Auth0 accounts</h1>
            <p className="lede">
              Join a secondary login into a primary user, see what will change before it does, and take it
              apart again.
            </p>
          </div>
          {config && (
            <p className="tenant" title="The tenant this page talks to">
              <span className={`dot ${config.mode}`} aria-hidden="true" />
              {config.mode === "emulator" ? "Local emulator" : "Auth0 tenant"} <code>{config.tenant}</code>
            </p>
          )}
        </div>
      </header>
      <main className="wrap">
        {error && <ErrorNotice error={error} />}
        {!config && !error && <p className="muted">Loading…</p>}
        {config && (
          <>
            <section className="card" aria-labelledby="user-flow-heading">
              <h2 id="user-flow-heading">
                <span className="step-number" aria-hidden="true">
                  1
                </span>
                Link as the signed-in user
              </h2>
              <p className="muted">
                Auth0's client-side flow: sign in to both accounts, then this page calls the tenant with the
                primary's own access token and the secondary's ID token (<code>link_with</code>).
              </p>
              {signIn ? (
                <UserFlow
                  config={config}
                  signIn={signIn}
                  callbackUrl={callbackUrl}
                  onTenantChanged={refresh}
                />
              ) : (
                <p className="muted">Loading Auth0's sign-in…</p>
              )}
            </section>
            <section className="card" aria-labelledby="admin-flow-heading">
              <h2 id="admin-flow-heading">
                <span className="step-number" aria-hidden="true">
                  2
                </span>
                Link as an administrator
              </h2>
              <p className="muted">
                The identity variant, checked by core as you type. The demo's own server holds the Management
                API credentials and calls the tenant; no Management token ever reaches this page.
              </p>
              <AdminFlow config={config} onTenantChanged={refresh} />
            </section>
          </>
        )}
      </main>
      <footer className="wrap footer">
        <p className="muted small">
          Linking moves the secondary into the primary's identities and discards the secondary's metadata;
          unlinking recreates it as a new user without metadata.
        </p>
      </footer>
    </>
  );
}
