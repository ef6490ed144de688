import {
  createManagementClient,
  executeLink,
  executeUnlink,
  type IdentitySummary,
  type Issue,
  type LinkPlan,
  linkPath,
  pathTemplate,
  previewLink,
  previewUnlink,
  summarizeIdentity,
} from "@idlink/core/browser";
import { useEffect, useMemo, useRef, useState } from "react";
import type { PageConfig } from "../lib/api-types.ts";
import { type SecondarySession, type Session, type SignIn, signInProblem } from "../lib/sign-in.ts";
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

const signInFailed = (e: unknown) => ({ title: "Sign-in did not complete", message: signInProblem(e) });

const refusedBeforeSending = (action: "link" | "unlink", issues: Issue[]) => ({
  title: `This ${action} cannot go ahead`,
  message: "Checked in the page before sending: nothing was sent.",
  issues,
});

/**
 * Auth0's client-side linking (the token variant), through core's one workflow like every other face: the primary
 * signs in, the secondary signs in, `previewLink` checks the primary's token and plans (the secondary read with its
 * own token), and `executeLink` sends `link_with` with the primary's access token, straight to the tenant, settling
 * an answer that was lost by reading the primary.
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
  const [primary, setPrimary] = useState<Session | undefined>();
  const [secondary, setSecondary] = useState<SecondarySession | undefined>();
  const [identities, setIdentities] = useState<IdentitySummary[] | undefined>();
  // The preview of the link: a plan, or the issues that stop it before anything is read.
  const [plan, setPlan] = useState<LinkPlan | undefined>();
  const [refused, setRefused] = useState<Issue[] | undefined>();
  const { error, setError, status, setStatus, busy, run } = useAction();
  const completing = useRef<Promise<Session> | undefined>(undefined);

  // The callback is completed once (a code is single use), even if React runs this effect twice.
  useEffect(() => {
    if (!callbackUrl) return;
    completing.current ??= signIn.completeRedirect(callbackUrl);
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

  // The secondary's own token reads the secondary (the primary's may not: Auth0 answers 403), so the plan shows
  // the metadata the link discards.
  const secondaryClient = useMemo(
    () =>
      secondary?.readsItself
        ? createManagementClient({ domain: config.tenant, getToken: () => signIn.secondaryToken() })
        : undefined,
    [config.tenant, signIn, secondary],
  );

  useEffect(() => {
    setPlan(undefined);
    setRefused(undefined);
    if (!client || !primaryId || !secondary) return;
    let current = true;
    const args = { primary: primaryId, link_with: secondary.idToken };
    previewLink(client, args, secondaryClient ? { secondaryClient } : {}).then(
      (preview) => {
        if (!current) return;
        if (preview.ok) setPlan(preview.value);
        else setRefused(preview.issues);
      },
      (e: unknown) => current && setError(toDescription(e)),
    );
    return () => {
      current = false;
    };
  }, [client, primaryId, secondary, secondaryClient, setError]);

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
  // Core's plan holds every rule, Auth0's email guidance included.
  const blocked = (plan?.blockers.length ?? 0) > 0;

  function link() {
    if (!client || !primaryId || !plan) return;
    const secondaryId = plan.secondary.user_id;
    return run(async () => {
      const outcome = await executeLink(client, plan);
      setIdentities(outcome.identities);
      setSecondary(undefined);
      await signIn.forgetSecondary();
      setStatus(
        `Linked: ${secondaryId} is now an identity of ${primaryId}.` +
          (outcome.via === "reconcile"
            ? " The tenant's answer was lost; reading the primary showed the link applied, so it was not sent again."
            : ""),
      );
      onTenantChanged();
    });
  }

  function unlink(identity: IdentitySummary) {
    if (!client || !primaryId) return;
    return run(async () => {
      const preview = await previewUnlink(client, { primary: primaryId, secondary: identity.id });
      if (!preview.ok) return setError(refusedBeforeSending("unlink", preview.issues));
      setIdentities(await executeUnlink(client, preview.value));
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
          {refused && <ErrorNotice error={refusedBeforeSending("link", refused)} />}
          {plan && <PlanView plan={plan} label="The plan (signed-in user)" />}
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
            label="Request preview (signed-in user)"
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
