import {
  type IdentitySummary,
  type Issue,
  type LinkPlan,
  linkPath,
  type ManagementClient,
  pathTemplate,
} from "@idlink/core/browser";
import { useEffect, useMemo, useRef, useState } from "react";
import { type SecondarySession, type Session, type SignIn, signInProblem } from "../lib/sign-in.ts";
import { callbackUrl, loadSignIn, primarySignInId, signInPrimary, takeOverClicks } from "../page-start.ts";
import { toDescription } from "./describe.ts";
import { ErrorNotice } from "./error-notice.tsx";
import { IdentityList } from "./identity-list.tsx";
import { type Linking, loadLinking } from "./load-linking.ts";
import { PlanView } from "./plan-view.tsx";
import { RequestPreview, tenantPlaceholder } from "./request-preview.tsx";
import { SignInStep } from "./sign-in-step.tsx";
import { useAction } from "./use-action.ts";

/** The signed-in primary, with what the rest of the flow acts through: the SDK, core's linking code, a client. */
interface Primary {
  session: Session;
  signIn: SignIn;
  linking: Linking;
  /** Core's Management API client with the primary's own access token. */
  client: ManagementClient;
}

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

/** Completes the primary's sign-in from Universal Login's answer, with core's linking code loaded beside it. */
async function completePrimary(url: string): Promise<Primary> {
  const [sdk, linking] = await Promise.all([loadSignIn(), loadLinking()]);
  const session = await sdk.completeRedirect(url);
  const client = linking.createManagementClient({ domain: sdk.tenant, getToken: () => sdk.primaryToken() });
  return { session, signIn: sdk, linking, client };
}

/**
 * Auth0's client-side linking (the token variant), through core's one workflow like every other face: the primary
 * signs in, the secondary signs in, `previewLink` checks the primary's token and plans (the secondary read with its
 * own token), and `executeLink` sends `link_with` with the primary's access token, straight to the tenant, settling
 * an answer that was lost by reading the primary.
 */
export function UserFlow({
  tenant,
}: {
  /** The tenant's origin, once the page's configuration has arrived. */
  tenant: string | undefined;
}) {
  const [primary, setPrimary] = useState<Primary | undefined>();
  const [secondary, setSecondary] = useState<SecondarySession | undefined>();
  const [identities, setIdentities] = useState<IdentitySummary[] | undefined>();
  // The preview of the link: a plan, or the issues that stop it before anything is read.
  const [plan, setPlan] = useState<LinkPlan | undefined>();
  const [refused, setRefused] = useState<Issue[] | undefined>();
  const { error, setError, status, setStatus, busy, run } = useAction();
  const completing = useRef<Promise<Primary> | undefined>(undefined);

  // The callback is completed once (a code is single use), even if React runs this effect twice.
  useEffect(() => {
    if (!callbackUrl) return;
    completing.current ??= completePrimary(callbackUrl);
    let current = true;
    completing.current.then(
      (signedIn) => current && setPrimary(signedIn),
      (e: unknown) => current && setError(signInFailed(e)),
    );
    return () => {
      current = false;
    };
  }, [setError]);

  // From now on the button's own handler answers; a sign-in a click started before React took over is shown busy,
  // and its failure said here.
  useEffect(() => {
    const started = takeOverClicks();
    if (started) void run(() => started.catch((e: unknown) => setError(signInFailed(e))));
  }, []);

  const primaryId = primary?.session.claims.sub;

  useEffect(() => {
    setIdentities(undefined);
    if (!primary) return;
    let current = true;
    const { client, linking, session } = primary;
    client.getUser(session.claims.sub).then(
      (user) => current && setIdentities((user.identities ?? []).map(linking.summarizeIdentity)),
      (e: unknown) => current && setError(toDescription(e)),
    );
    return () => {
      current = false;
    };
  }, [primary, setError]);

  // The secondary's own token reads the secondary (the primary's may not: Auth0 answers 403), so the plan shows
  // the metadata the link discards.
  const secondaryClient = useMemo(
    () =>
      primary && secondary?.readsItself
        ? primary.linking.createManagementClient({
            domain: primary.signIn.tenant,
            getToken: () => primary.signIn.secondaryToken(),
          })
        : undefined,
    [primary, secondary],
  );

  useEffect(() => {
    setPlan(undefined);
    setRefused(undefined);
    if (!primary || !secondary) return;
    let current = true;
    const args = { primary: primary.session.claims.sub, link_with: secondary.idToken };
    primary.linking.previewLink(primary.client, args, secondaryClient ? { secondaryClient } : {}).then(
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
  }, [primary, secondary, secondaryClient, setError]);

  function startPrimarySignIn() {
    return run(async () => {
      try {
        // The first sign-in sets the SDK up (its chunk is already loaded), then leaves for Universal Login.
        await signInPrimary();
      } catch (e) {
        setError(signInFailed(e));
      }
    });
  }

  function signInSecondary() {
    if (!primary) return;
    return run(async () => {
      try {
        setSecondary(await primary.signIn.signInSecondary());
      } catch (e) {
        setError(signInFailed(e));
      }
    });
  }

  function signOutPrimary() {
    if (!primary) return;
    return run(async () => {
      setSecondary(undefined);
      setPrimary(undefined);
      await primary.signIn.signOut();
    });
  }

  function forgetSecondary() {
    setSecondary(undefined);
    setError(undefined);
    setStatus("");
    void primary?.signIn.forgetSecondary();
  }

  // Before the second sign-in the preview still names the token that will go there.
  const body = { link_with: secondary?.idToken ?? "pending" };
  // Core's plan holds every rule, Auth0's email guidance included.
  const blocked = (plan?.blockers.length ?? 0) > 0;

  function link() {
    if (!primary || !primaryId || !plan) return;
    const secondaryId = plan.secondary.user_id;
    return run(async () => {
      const outcome = await primary.linking.executeLink(primary.client, plan);
      setIdentities(outcome.identities);
      setSecondary(undefined);
      await primary.signIn.forgetSecondary();
      setStatus(
        `Linked: ${secondaryId} is now an identity of ${primaryId}.` +
          (outcome.via === "reconcile"
            ? " The tenant's answer was lost; reading the primary showed the link applied, so it was not sent again."
            : ""),
      );
    });
  }

  function unlink(identity: IdentitySummary) {
    if (!primary || !primaryId) return;
    const { client, linking } = primary;
    return run(async () => {
      const preview = await linking.previewUnlink(client, { primary: primaryId, secondary: identity.id });
      if (!preview.ok) return setError(refusedBeforeSending("unlink", preview.issues));
      setIdentities(await linking.executeUnlink(client, preview.value));
      setStatus(`Unlinked: ${identity.id} is a separate user again (with no metadata).`);
    });
  }

  return (
    <div className="flow">
      <ol className="steps">
        <li className="step">
          <h3>Sign in as the primary account</h3>
          <SignInStep
            title="Primary account"
            account={accountOf(primary?.session)}
            buttonLabel="Sign in as primary"
            buttonId={primarySignInId}
            busy={busy}
            onSignIn={startPrimarySignIn}
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
              origin: tenant ?? tenantPlaceholder,
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
          <h3 id="user-identities-heading">Identities of {primary?.session.claims.name ?? primaryId}</h3>
          <IdentityList primaryId={primaryId} identities={identities} onUnlink={unlink} busy={busy} />
        </section>
      )}
    </div>
  );
}
