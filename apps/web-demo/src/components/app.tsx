import type { ErrorDescription } from "@idlink/core/browser";
import { useEffect, useState } from "react";
import type { PageConfig } from "../lib/api-types.ts";
import { loadConfig } from "../page-start.ts";
import { AdminFlow } from "./admin-flow.tsx";
import { toDescription } from "./describe.ts";
import { ErrorNotice } from "./error-notice.tsx";
import { UserFlow } from "./user-flow.tsx";

/**
 * The demo page: the two ways to link accounts, against the tenant the demo server names. Its first render needs
 * no configuration (the build prerenders it); the tenant's name fills in when the configuration arrives.
 */
export function App() {
  const [config, setConfig] = useState<PageConfig | undefined>();
  const [error, setError] = useState<ErrorDescription | undefined>();

  useEffect(() => {
    let current = true;
    loadConfig().then(
      (loaded) => current && setConfig(loaded),
      (e: unknown) => current && setError(toDescription(e)),
    );
    return () => {
      current = false;
    };
  }, []);

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
          <UserFlow tenant={config?.tenant} />
        </section>
        <section className="card card-later" aria-labelledby="admin-flow-heading">
          <h2 id="admin-flow-heading">
            <span className="step-number" aria-hidden="true">
              2
            </span>
            Link as an administrator
          </h2>
          <p className="muted">
            The identity variant, checked by core as you type. The demo's own server holds the Management API
            credentials and calls the tenant; no Management token ever reaches this page.
          </p>
          <AdminFlow tenant={config?.tenant} />
        </section>
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
