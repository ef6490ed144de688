import { type IdentitySummary, type LinkPlan, linkPath, pathTemplate, providers } from "@idlink/core/browser";
import { type FormEvent, useState } from "react";
import { demoApi } from "../lib/demo-api.ts";
import { bodyFrom, emptyForm, type FormField, type FormValues, seedBody } from "./admin-form-state.ts";
import { toDescription } from "./describe.ts";
import { ErrorNotice } from "./error-notice.tsx";
import { IdentityList, identityUserId } from "./identity-list.tsx";
import { PlanView } from "./plan-view.tsx";
import { RequestPreview, tenantPlaceholder } from "./request-preview.tsx";
import { TextField } from "./text-field.tsx";
import { useAction } from "./use-action.ts";
import { useLinking } from "./use-linking.ts";

const example: FormValues = {
  primary: "auth0|64f1a2b3c4d5e6f708192a3b",
  provider: "google-oauth2",
  user_id: "108234567890123456789",
  connection_id: "",
  link_with: "",
};

/**
 * Linking as an administrator (the identity variant): the demo's server holds the Management credentials and
 * calls the tenant; this page only sees plans, identities and errors.
 */
export function AdminFlow({
  tenant,
}: {
  /** The tenant's origin, once the page's configuration has arrived. */ tenant: string | undefined;
}) {
  const [values, setValues] = useState<FormValues>(emptyForm);
  const [keepEmpty, setKeepEmpty] = useState(false);
  const [touched, setTouched] = useState<ReadonlySet<FormField>>(new Set());
  const [showAll, setShowAll] = useState(false);
  const [plan, setPlan] = useState<{ key: string; plan: LinkPlan } | undefined>();
  const [merge, setMerge] = useState(false);
  const [identities, setIdentities] = useState<{ primary: string; list: IdentitySummary[] } | undefined>();
  const { error, setError, status, setStatus, busy, run } = useAction();
  // Core's rules check the form as it is typed in; their code loads when the form is first used (focus comes
  // before any typing or click), and nothing is checked or sent before it has.
  const [linking, needLinking] = useLinking((e: unknown) => setError(toDescription(e)));

  const body = bodyFrom(values, keepEmpty);
  const check = linking?.checkForm(values, body);
  const requestKey = JSON.stringify([values.primary, body]);
  const currentPlan = plan?.key === requestKey ? plan.plan : undefined;
  const visible = (field: FormField) =>
    check && (showAll || touched.has(field)) ? check.byField[field] : [];

  function set(field: FormField, value: string) {
    setValues((v) => ({ ...v, [field]: value }));
    setTouched((t) => new Set(t).add(field));
  }

  function reviewPlan(event: FormEvent) {
    event.preventDefault();
    setShowAll(true);
    if (!check?.valid) return;
    const key = requestKey;
    return run(async () => {
      const { plan: next } = await demoApi.plan({ primary: values.primary, body });
      setPlan({ key, plan: next });
      setMerge(false);
    });
  }

  function link() {
    const primary = values.primary;
    return run(async () => {
      const result = await demoApi.link({ primary, body, mergeMetadata: merge });
      setIdentities({ primary, list: result.identities });
      setPlan(undefined);
      const mergedNote =
        result.merged.length > 0 ? ` Copied user_metadata first: ${result.merged.join(", ")}.` : "";
      setStatus(`Linked into ${primary}.${mergedNote}`);
    });
  }

  function showIdentities() {
    const primary = values.primary;
    return run(async () => {
      const { user } = await demoApi.user(primary);
      setIdentities({ primary, list: user.identities });
    });
  }

  function unlink(identity: IdentitySummary) {
    if (!identities) return;
    const primary = identities.primary;
    return run(async () => {
      const result = await demoApi.unlink({
        primary,
        provider: identity.provider,
        user_id: identityUserId(identity),
      });
      setIdentities({ primary, list: result.identities });
      setPlan(undefined);
      setStatus(`Unlinked ${identity.id}: it is a separate user again, with no metadata.`);
    });
  }

  function loadSeedBody() {
    setValues((v) => ({ ...v, ...seedBody, primary: v.primary || example.primary }));
    setKeepEmpty(true);
    setShowAll(true);
  }

  const primaryValid = check !== undefined && check.byField.primary.length === 0;

  return (
    <div className="flow">
      <form
        className="admin-form"
        onSubmit={reviewPlan}
        onFocus={needLinking}
        noValidate
        aria-describedby="admin-form-summary"
      >
        <div className="form-tools">
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              setValues(example);
              setKeepEmpty(false);
              setTouched(new Set());
            }}
          >
            Fill an example
          </button>
          <button type="button" className="button button-quiet" onClick={loadSeedBody}>
            Load the seed page's body
          </button>
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              setValues(emptyForm);
              setKeepEmpty(false);
              setTouched(new Set());
              setShowAll(false);
            }}
          >
            Clear
          </button>
        </div>
        <TextField
          id="admin-primary"
          label="Primary user id"
          value={values.primary}
          onChange={(v) => set("primary", v)}
          messages={visible("primary")}
          placeholder="e.g. auth0|64f1a2b3c4d5e6f708192a3b"
          hint="The account that stays; the secondary becomes one of its identities."
        />
        <fieldset className="fieldset">
          <legend>Secondary account (identity variant)</legend>
          <div className="field-row">
            <TextField
              id="admin-provider"
              label="provider"
              value={values.provider}
              onChange={(v) => set("provider", v)}
              messages={visible("provider")}
              placeholder="e.g. google-oauth2"
              list="admin-providers"
            />
            <TextField
              id="admin-user_id"
              label="user_id"
              value={values.user_id}
              onChange={(v) => set("user_id", v)}
              messages={visible("user_id")}
              placeholder="e.g. 108234567890123456789"
              hint="The part after the first | of the secondary's id."
            />
          </div>
          <TextField
            id="admin-connection_id"
            label="connection_id"
            optional
            value={values.connection_id}
            onChange={(v) => set("connection_id", v)}
            messages={visible("connection_id")}
            placeholder="e.g. con_Kq3vX8mT2pL9wR4z"
            hint="Only when the secondary is in one of several database connections."
          />
          <datalist id="admin-providers">
            {providers.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </fieldset>
        <TextField
          id="admin-link_with"
          label="link_with — or the secondary's ID token (token variant, never together with the fields above)"
          optional
          multiline
          value={values.link_with}
          onChange={(v) => set("link_with", v)}
          messages={visible("link_with")}
        />
        <label className="checkbox">
          <input type="checkbox" checked={keepEmpty} onChange={(e) => setKeepEmpty(e.target.checked)} />
          Send empty fields as empty strings (as the seed page's sample does)
        </label>
        <div id="admin-form-summary" className="form-summary" aria-live="polite">
          {check?.valid ? (
            <p className="ok-text">
              The body is valid ({check.parsed.ok ? check.parsed.value.variant : ""} variant).
            </p>
          ) : check && (showAll || touched.size > 0) ? (
            <div className="notice notice-error">
              <p className="notice-title">
                Rejected before sending: {Object.values(check.byField).flat().length + check.general.length}{" "}
                problem(s) — nothing will be sent
              </p>
              {check.general.length > 0 && (
                <ul className="issue-list">
                  {check.general.map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              )}
            </div>
          ) : (
            <p className="muted small">Fill the primary, then provider and user_id (or link_with).</p>
          )}
        </div>
        <RequestPreview
          request={{
            method: "POST",
            origin: tenant ?? tenantPlaceholder,
            path: values.primary ? linkPath(values.primary) : pathTemplate,
            body,
            tokenVariable: "MANAGEMENT_API_TOKEN",
            secretFields: { link_with: "SECONDARY_ID_TOKEN" },
          }}
          note="The demo's server sends this for you with its Management API token (update:users); the token never reaches this page."
          label="Request preview (administrator)"
          level={3}
        />
        <div className="actions">
          <button type="submit" className="button button-primary" disabled={!check?.valid || busy}>
            Review the plan
          </button>
          <button
            type="button"
            className="button"
            disabled={!primaryValid || values.primary === "" || busy}
            onClick={showIdentities}
          >
            Show the primary's identities
          </button>
        </div>
      </form>
      {currentPlan && (
        <div className="plan-panel">
          <PlanView
            plan={currentPlan}
            merge={{ checked: merge, onChange: setMerge }}
            label="The plan (administrator)"
            level={3}
          />
          <button
            type="button"
            className="button button-primary"
            disabled={busy || currentPlan.blockers.length > 0}
            onClick={link}
          >
            Link accounts
          </button>
        </div>
      )}
      {error && <ErrorNotice error={error} />}
      <p className="status-line" role="status" aria-live="polite">
        {status}
      </p>
      {identities && (
        <section className="identities-panel" aria-labelledby="admin-identities-heading">
          <h3 id="admin-identities-heading">Identities of {identities.primary}</h3>
          <IdentityList
            primaryId={identities.primary}
            identities={identities.list}
            onUnlink={unlink}
            busy={busy}
          />
        </section>
      )}
    </div>
  );
}
