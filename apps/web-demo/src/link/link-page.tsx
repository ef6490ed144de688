import { StrictMode, useEffect, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import type { PageConfig } from "../lib/api-types.ts";
import { LinkApiError, linkCalls } from "./link-api.ts";
import type { CandidateView, LinkCallBase, LinkOutcomeResponse, LinkSessionResponse } from "./link-types.ts";
import { type Messages, messagesFor } from "./messages.ts";
import { ProofSignIn } from "./proof-sign-in.ts";
import "./link.css";

/**
 * The Action's redirect (`/link?session_token=…&state=…`), read once and taken off the address bar at once, so
 * neither stays in the tab's history; the page keeps them in memory (a reload means signing in again).
 */
function takeParams(): LinkCallBase | undefined {
  const params = new URLSearchParams(window.location.search);
  const token = params.get("session_token");
  const state = params.get("state");
  window.history.replaceState(null, "", window.location.pathname);
  return token ? { session_token: token, state: state ?? "" } : undefined;
}

const call = takeParams();
const t: Messages = messagesFor(navigator.languages.length > 0 ? navigator.languages : [navigator.language]);
document.documentElement.lang = t.lang;
document.title = t.title;

type Problem = { code: string | undefined; detail: string };

type Step =
  | { kind: "loading" }
  | { kind: "refused"; problem: Problem }
  | { kind: "choose"; session: LinkSessionResponse }
  | { kind: "done"; outcome: LinkOutcomeResponse };

function problemOf(error: unknown): Problem {
  if (error instanceof LinkApiError) return { code: error.description.code, detail: error.message };
  const record = error as { error?: unknown; error_description?: unknown; message?: unknown } | undefined;
  if (record?.error === "cancelled" || record?.error === "popup_closed") {
    return { code: "sign_in", detail: String(record.error) };
  }
  const detail = record?.error_description ?? record?.message;
  return { code: "sign_in", detail: typeof detail === "string" ? detail : String(error) };
}

function wording(problem: Problem): string {
  if (problem.code === "sign_in") return t.signInFailed;
  return (problem.code && t.refusals[problem.code as keyof Messages["refusals"]]) || t.unexpected;
}

/** The step's heading: focus moves to it when the step changes, so a screen reader starts there. */
function StepHeading({ children }: { children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <h1 ref={ref} tabIndex={-1} className="link-heading">
      {children}
    </h1>
  );
}

function ProblemNotice({ heading, problem, hint }: { heading?: string; problem: Problem; hint: string }) {
  return (
    <div className="notice notice-error" role="alert">
      {heading && <p className="notice-title">{heading}</p>}
      <p>{wording(problem)}</p>
      <p>{hint}</p>
      <p className="notice-detail">
        {t.detail}: <span lang="en">{problem.detail}</span>
      </p>
    </div>
  );
}

/** The linking page: the candidates with core's plans, the proof of ownership, and the answer to the Action. */
export function LinkPage() {
  const [step, setStep] = useState<Step>(
    call
      ? { kind: "loading" }
      : { kind: "refused", problem: { code: "session_missing", detail: "session_token" } },
  );
  const [config, setConfig] = useState<PageConfig | undefined>();
  const loaded = useRef(false);

  useEffect(() => {
    if (!call || loaded.current) return;
    loaded.current = true;
    linkCalls.config().then(setConfig, () => undefined);
    linkCalls.session(call).then(
      (session) => setStep({ kind: "choose", session }),
      (error: unknown) => setStep({ kind: "refused", problem: problemOf(error) }),
    );
  }, []);

  return (
    <main className="wrap link-page">
      {step.kind === "loading" && (
        <p className="muted" role="status">
          {t.loading}
        </p>
      )}
      {step.kind === "refused" && (
        <>
          <StepHeading>{t.refusedHeading}</StepHeading>
          <ProblemNotice problem={step.problem} hint={t.refusedHint} />
        </>
      )}
      {step.kind === "choose" && call && (
        <Choose
          call={call}
          session={step.session}
          config={config}
          onDone={(outcome) => setStep({ kind: "done", outcome })}
          onRefused={(problem) => setStep({ kind: "refused", problem })}
        />
      )}
      {step.kind === "done" && call && <Done outcome={step.outcome} state={call.state} />}
    </main>
  );
}

function Choose({
  call,
  session,
  config,
  onDone,
  onRefused,
}: {
  call: LinkCallBase;
  session: LinkSessionResponse;
  config: PageConfig | undefined;
  onDone: (outcome: LinkOutcomeResponse) => void;
  onRefused: (problem: Problem) => void;
}) {
  const [chosen, setChosen] = useState(session.candidates[0]?.user_id ?? "");
  const [merge, setMerge] = useState(false);
  const [busy, setBusy] = useState<string>("");
  const [problem, setProblem] = useState<Problem | undefined>();
  const [signIn, setSignIn] = useState<ProofSignIn | undefined>();
  const problemRef = useRef<HTMLDivElement>(null);
  const candidate = session.candidates.find((c) => c.user_id === chosen);
  const { current } = session;

  // Auth0's SDK is set up as soon as the tenant is known, so the click opens the popup at once.
  useEffect(() => {
    if (config) ProofSignIn.create(config).then(setSignIn, (error: unknown) => setProblem(problemOf(error)));
  }, [config]);

  useEffect(() => {
    if (problem) problemRef.current?.focus();
  }, [problem]);

  async function answer(action: () => Promise<LinkOutcomeResponse>, label: string) {
    setBusy(label);
    setProblem(undefined);
    try {
      onDone(await action());
    } catch (error) {
      const found = problemOf(error);
      // A refused session (expired meanwhile, answered elsewhere) ends the page; a refused proof may be tried again.
      if (found.code?.startsWith("session_") || found.code === "already_answered") onRefused(found);
      else setProblem(found);
    } finally {
      setBusy("");
    }
  }

  function prove() {
    if (!candidate || !signIn) return;
    const target = candidate;
    setBusy(t.busyProving);
    setProblem(undefined);
    // The popup opens within the click; the server links only once it has verified the sign-in.
    signIn.signIn(target.email).then(
      (idToken) =>
        answer(
          () =>
            linkCalls.link({ ...call, candidate: target.user_id, id_token: idToken, merge_metadata: merge }),
          t.busyLinking,
        ),
      (error: unknown) => {
        setBusy("");
        setProblem(problemOf(error));
      },
    );
  }

  const blocked = (candidate?.plan.blockers.length ?? 0) > 0;
  const who = [current.email, `${current.provider} (${current.connection})`].filter(Boolean).join(" — ");

  return (
    <>
      <StepHeading>{t.chooseHeading}</StepHeading>
      <p>{t.signedInAs(who)}</p>
      <p className="muted">{t.found(session.candidates.length)}</p>
      <fieldset className="fieldset link-candidates">
        <legend>{t.candidatesLegend}</legend>
        {session.candidates.map((c) => (
          <label key={c.user_id} className="link-candidate">
            <input
              type="radio"
              name="candidate"
              value={c.user_id}
              checked={c.user_id === chosen}
              onChange={() => {
                setChosen(c.user_id);
                setMerge(false);
              }}
            />
            <span>
              <span className="account-name">{t.account(c.email, c.provider, c.connection)}</span>{" "}
              <code className="account-id">{c.user_id}</code>
            </span>
          </label>
        ))}
      </fieldset>
      {candidate && <CandidatePlan candidate={candidate} merge={merge} onMerge={setMerge} />}
      {problem && (
        <div ref={problemRef} tabIndex={-1} className="link-problem">
          <ProblemNotice heading={t.proofRefused} problem={problem} hint={t.tryAgain} />
        </div>
      )}
      <p className="muted small" id="prove-hint">
        {t.proveHint}
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={!candidate || !signIn || blocked || busy !== ""}
          aria-describedby="prove-hint"
          onClick={prove}
        >
          {t.prove(candidate?.email ?? "")}
        </button>
        <button
          type="button"
          className="button"
          disabled={busy !== ""}
          onClick={() => answer(() => linkCalls.decline({ ...call, outcome: "not_mine" }), t.busyAnswering)}
        >
          {t.notMine}
        </button>
        {session.allowSkip && (
          <button
            type="button"
            className="button button-quiet"
            disabled={busy !== ""}
            onClick={() => answer(() => linkCalls.decline({ ...call, outcome: "skipped" }), t.busyAnswering)}
          >
            {t.skip}
          </button>
        )}
      </div>
      <p className="status-line" role="status" aria-live="polite">
        {busy}
      </p>
    </>
  );
}

function Metadata({ label, value }: { label: string; value: Record<string, unknown> }) {
  return (
    <div className="metadata">
      <p className="metadata-label">{label}</p>
      {Object.keys(value).length === 0 ? (
        <p className="muted">{t.none}</p>
      ) : (
        <pre>{JSON.stringify(value, null, 2)}</pre>
      )}
    </div>
  );
}

/** Core's plan for the chosen candidate: who stays the primary and why, identities after, what Auth0 discards. */
function CandidatePlan({
  candidate,
  merge,
  onMerge,
}: {
  candidate: CandidateView;
  merge: boolean;
  onMerge: (merge: boolean) => void;
}) {
  const { plan } = candidate;
  return (
    <section className="plan" aria-labelledby="link-plan-heading">
      <h2 id="link-plan-heading">
        {candidate.primary === "current" ? t.primaryCurrent : t.primaryCandidate}
      </h2>
      <p className="muted">{t.why(t.criteria[candidate.criterion])}</p>
      {plan.blockers.length > 0 && (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">{t.blocked}</p>
          <ul className="issue-list" lang="en">
            {plan.blockers.map((b) => (
              <li key={b.message}>{b.message}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="plan-grid">
        <div>
          <h3 className="metadata-label" id="link-after-heading">
            {t.identitiesAfter}
          </h3>
          <ol className="plain-list" aria-labelledby="link-after-heading">
            {plan.identitiesAfter.map((identity) => (
              <li key={identity.id}>
                <span className="provider-chip">{identity.provider}</span> <code>{identity.id}</code>
              </li>
            ))}
          </ol>
        </div>
        <div>
          <h3 className="metadata-label">{t.discarded(plan.secondary.user_id)}</h3>
          <Metadata label="user_metadata" value={plan.discarded.user_metadata} />
          <Metadata label="app_metadata" value={plan.discarded.app_metadata} />
        </div>
      </div>
      {plan.warnings.length > 0 && (
        <div className="notice notice-warn">
          <p className="notice-title">{t.warnings}</p>
          <ul className="issue-list" lang="en">
            {plan.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {plan.mergeableKeys.length > 0 && (
        <label className="checkbox">
          <input type="checkbox" checked={merge} onChange={(e) => onMerge(e.target.checked)} />
          {t.merge(plan.mergeableKeys.join(", "))}
        </label>
      )}
    </section>
  );
}

/** The answer for the Action, POSTed to the tenant's /continue (redirect-with-actions.mdx: POST, against replay). */
function Done({ outcome, state }: { outcome: LinkOutcomeResponse; state: string }) {
  const form = useRef<HTMLFormElement>(null);
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    form.current?.submit();
  }, []);
  return (
    <>
      <StepHeading>{t.done[outcome.outcome]}</StepHeading>
      {outcome.primaryUserId && <p>{t.linkedInto(outcome.primaryUserId)}</p>}
      <form ref={form} method="post" action={`${outcome.continueUri}?state=${encodeURIComponent(state)}`}>
        <input type="hidden" name="session_token" value={outcome.token} />
        <p className="muted" role="status">
          {t.returning}
        </p>
        <button type="submit" className="button button-primary">
          {t.continue}
        </button>
      </form>
    </>
  );
}

/** Renders the linking page into the page's (empty) root: main.tsx loads this chunk on its path only. */
export function mountLinkPage(root: HTMLElement): void {
  createRoot(root).render(
    <StrictMode>
      <LinkPage />
    </StrictMode>,
  );
}
