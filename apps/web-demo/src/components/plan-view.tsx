import type { LinkPlan } from "@idlink/core/browser";

interface PlanViewProps {
  plan: LinkPlan;
  /** Offered when the secondary has user_metadata keys the primary lacks (admin flow only). */
  merge?: { checked: boolean; onChange: (checked: boolean) => void } | undefined;
  /** The region's name: each flow's plan has its own (landmarks must be told apart). */
  label: string;
  /** The heading's level under the flow's own headings (no level skipped). */
  level?: 3 | 4;
}

function MetadataBlock({ label, value }: { label: string; value: Record<string, unknown> }) {
  const keys = Object.keys(value);
  return (
    <div className="metadata">
      <p className="metadata-label">{label}</p>
      {keys.length === 0 ? <p className="muted">none</p> : <pre>{JSON.stringify(value, null, 2)}</pre>}
    </div>
  );
}

/** What linking will do, read before anything changes: identities after, discarded metadata, warnings. */
export function PlanView({ plan, merge, label, level = 4 }: PlanViewProps) {
  const Heading = level === 3 ? "h3" : "h4";
  return (
    <section className="plan" aria-label={label}>
      <Heading>The plan</Heading>
      {plan.blockers.length > 0 && (
        <div className="notice notice-error" role="alert">
          <p className="notice-title">This link cannot go ahead</p>
          <ul className="issue-list">
            {plan.blockers.map((b) => (
              <li key={b.message}>{b.message}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="plan-grid">
        <div>
          <p className="metadata-label">Identities of {plan.primary.user_id} after linking</p>
          <ol className="plain-list" aria-label="Identities after linking">
            {plan.identitiesAfter.map((identity) => (
              <li key={identity.id}>
                <span className="provider-chip">{identity.provider}</span> <code>{identity.id}</code>
              </li>
            ))}
          </ol>
        </div>
        <div>
          <p className="metadata-label">Discarded with {plan.secondary.user_id}</p>
          {plan.secondarySource === "id-token" ? (
            <p className="muted">
              Unknown: no token here may read the account to link (see below). Auth0 discards its metadata
              when linking; the administrator flow shows it and can merge it first.
            </p>
          ) : (
            <>
              <MetadataBlock label="user_metadata" value={plan.discarded.user_metadata} />
              <MetadataBlock label="app_metadata" value={plan.discarded.app_metadata} />
            </>
          )}
        </div>
      </div>
      {plan.warnings.length > 0 && (
        <div className="notice notice-warn">
          <p className="notice-title">Before you confirm</p>
          <ul className="issue-list" aria-label="Warnings">
            {plan.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      {merge && plan.mergeableKeys.length > 0 && (
        <label className="checkbox">
          <input type="checkbox" checked={merge.checked} onChange={(e) => merge.onChange(e.target.checked)} />
          Copy the secondary's user_metadata ({plan.mergeableKeys.join(", ")}) onto the primary first — Auth0
          never merges it, and the primary's own keys win
        </label>
      )}
    </section>
  );
}
