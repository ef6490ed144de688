import {
  createManagementClient,
  type IdentitySummary,
  type LinkPlan,
  linkPath,
  pathTemplate,
  planLink,
  preflightLink,
  summarizeIdentity,
} from "@idlink/core";
import { useEffect, useMemo, useRef, useState } from "react";
import type { PageConfig } from "../lib/api-types.ts";
import { type Session, type SignIn, signInProblem } from "../lib/sign-in.ts";
import { toDescription } from "./describe.ts";
import { ErrorNotice } from "./error-notice.tsx";
import { IdentityList } from "./identity-list.tsx";
import { PlanView } from "./plan-view.tsx";
import { RequestPreview } from "./request-preview.tsx";
import { SignInStep } from "./sign-in-step.tsx";
import { useAction } from "./use-action.ts";

function accountOf(session: Session | undefined) {
  if (!session) return undefined;
  const { claims } = session;
  return { userId: claims.sub, name: claims.name, email: claims.email, verified: claims.email_verified };
}

type PrimarySession = Session & { accessToken: string };

const signInFailed = (e: unknown) => ({ title: "Sign-in did not complete", message: signInProblem(e) });

/**
 * Auth0's client-side linking (the token variant): the primary signs in, the secondary signs in, and the page
 * calls link with `link_with` using the primary's own access token, straight to the tenant.
 */
export function UserFlow({
  config,
  signIn,
  callbackUrl,
  onTenantChanged,
}: {
  config: PageConfig;
  signIn: SignIn;
  /** The Universal Login answer this page was loaded with, if any. */
  callbackUrl: string | undefined;
  onTenantChanged: () => void;
}) {
  const [primary, setPrimary] = useState<PrimarySession | undefined>();
  const [secondary, setSecondary] = useState<Session | undefined>();
  const [identities, setIdentities] = useState<IdentitySummary[] | undefined>();
  const [plan, setPlan] = useState<LinkPlan | undefined>();
  const { error, setError, status, setStatus, busy, run } = useAction();
  const completing = useRef<Promise<PrimarySession> | undefined>(undefined);

  // The callback is completed once (a code is single use), even if React runs this effect twice.
  useEffect(() => {
    if (!callbackUrl) return;
    completing.current ??= signIn
      .completeRedirect(callbackUrl)
      .then(async (session) => ({ ...session, accessToken: await signIn.primaryToken() }));
    let current = true;
    completing.current.then(
      (session) => current && setPrimary(session),
      (e: unknown) => current && setError(signInFailed(e)),
    );
    return () => {
      current = false;
    };
  }, [signIn, callbackUrl, setError]);

  const client = useMemo(
    () =>
      primary
        ? createManagementClient({ domain: config.tenant, getToken: () => signIn.primaryToken() })
        : undefined,
    [config.tenant, signIn, primary],
  );
  const primaryId = primary?.claims.sub;

  useEffect(() => {
    setIdentities(undefined);
    if (!client || !primaryId) return;
    let current = true;
    client.getUser(primaryId).then(
      (user) => current && setIdentities((user.identities ?? []).map(summarizeIdentity)),
      (e: unknown) => current && setError(toDescription(e)),
    );
    return () => {
      current = false;
    };
  }, [client, primaryId]);

  useEffect(() => {
    setPlan(undefined);
    if (!client || !primaryId || !secondary) return;
    let current = true;
    planLink(client, primaryId, { link_with: secondary.idToken }).then(
      (p) => current && setPlan(p),
      (e: unknown) => current && setError(toDescription(e)),
    );
    return () => {
      current = false;
    };
  }, [client, primaryId, secondary]);

  function signInPrimary() {
    return run(async () => {
      try {
        await signIn.signInPrimary();
      } catch (e) {
        setError(signInFailed(e));
      }
    });
  }

  function signInSecondary() {
    return run(async () => {
      try {
        setSecondary(await signIn.signInSecondary());
      } catch (e) {
        setError(signInFailed(e));
      }
    });
  }

  function signOutPrimary() {
    return run(async () => {
      setSecondary(undefined);
      setPrimary(undefined);
      await signIn.signOut();
    });
  }

  function forgetSecondary() {
    setSecondary(undefined);
    setError(undefined);
    setStatus("");
    void signIn.forgetSecondary();
  }

  // Before the second sign-in the preview still names the token that will go there.
  const body = { link_with: secondary?.idToken ?? "pending" };
  const preflight =
    primary && primaryId && secondary
      ? preflightLink({
          token: primary.accessToken,
          primary: primaryId,
          body: { link_with: secondary.idToken },
        })
      : undefined;
  // Core's plan holds every rule, Auth0's email guidance included (the secondary's claims come from its ID token).
  const blocked = (preflight?.issues.length ?? 0) > 0 || (plan?.blockers.length ?? 0) > 0;

  function link() {
    if (!client || !primaryId || !secondary) return;
    const secondaryId = secondary.claims.sub;
    return run(async () => {
      const after = await client.link(primaryId, { link_with: secondary.idToken });
      setIdentities(after.map(summarizeIdentity));
      setSecondary(undefined);
      await signIn.forgetSecondary();
      setStatus(`Linked: ${secondaryId} is now an identity of ${primaryId}.`);
      onTenantChanged();
    });
  }

  function unlink(identity: IdentitySummary) {
    if (!client || !primaryId) return;
    return run(async () => {
      const after = await client.unlink(primaryId, identity.id);
      setIdentities(after.map(summarizeIdentity));
      setStatus(`Unlinked: ${identity.id} is a separate user again (with no metadata).`);
      onTenantChanged();
    });
  }

  return (
    <div className="flow">
      <ol className="steps">
        <li className="step">
          <h3>Sign in as the primary account</h3>
          <SignInStep
            title="Primary account"
            account={accountOf(primary)}
            buttonLabel="Sign in as primary"
            busy={busy}
            onSignIn={signInPrimary}
            signOutLabel="Sign out"
            onSignOut={signOutPrimary}
          />
        </li>
        <li className="step">
          <h3>Sign in to the account to link</h3>
          <SignInStep
            title="Account to link"
            account={accountOf(secondary)}
            buttonLabel="Link another account: sign in"
            disabled={!primary}
            busy={busy}
            onSignIn={signInSecondary}
            signOutLabel="Use another account"
            onSignOut={forgetSecondary}
          />
          {!primary && <p className="muted small">Sign in as the primary first.</p>}
        </li>
        <li className="step">
          <h3>Review and link</h3>
          {preflight && preflight.issues.length > 0 && (
            <ErrorNotice
              error={{
                title: "This token cannot link these accounts",
                message: "Checked in the page before sending.",
                issues: preflight.issues,
              }}
            />
          )}
          {plan && (
            <PlanView
              plan={plan}
              metadataUnknown="A user's own token cannot read the other account, so its metadata is unknown here; Auth0 discards it when linking. The administrator flow shows it and can merge it first."
            />
          )}
          <RequestPreview
            request={{
              method: "POST",
              origin: config.tenant,
              path: primaryId ? linkPath(primaryId) : pathTemplate,
              body,
              tokenVariable: "PRIMARY_ACCESS_TOKEN",
              secretFields: { link_with: "SECONDARY_ID_TOKEN" },
            }}
            note="Sent from this page straight to the tenant with the primary's access token (update:current_user_identities)."
          />
          <button
            type="button"
            className="button button-primary"
            disabled={!secondary || !plan || blocked || busy}
            onClick={link}
          >
            Link accounts
          </button>
        </li>
      </ol>
      {error && <ErrorNotice error={error} />}
      <p className="status-line" role="status" aria-live="polite">
        {status}
      </p>
      {primaryId && identities && (
        <section className="identities-panel" aria-labelledby="user-identities-heading">
          <h3 id="user-identities-heading">Identities of {primary?.claims.name ?? primaryId}</h3>
          <IdentityList primaryId={primaryId} identities={identities} onUnlink={unlink} busy={busy} />
        </section>
      )}
    </div>
  );
}
