import type { IdentitySummary } from "@idlink/core/browser";

interface IdentityListProps {
  primaryId: string;
  identities: IdentitySummary[];
  onUnlink: (identity: IdentitySummary) => void;
  busy: boolean;
}

/** The primary's identities; every one but the main identity can be unlinked. */
export function IdentityList({ primaryId, identities, onUnlink, busy }: IdentityListProps) {
  return (
    <ul className="identities" aria-label={`Identities of ${primaryId}`}>
      {identities.map((identity) => {
        const main = identity.id === primaryId;
        return (
          <li key={identity.id} className="identity">
            <span className="provider-chip">{identity.provider}</span>
            <code className="identity-id">{identity.id}</code>
            {main ? (
              <span className="badge">main identity</span>
            ) : (
              <button
                type="button"
                className="button button-small button-danger"
                disabled={busy}
                onClick={() => onUnlink(identity)}
                aria-label={`Unlink ${identity.id}`}
              >
                Unlink
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** The user_id of an identity summary: its id after the provider and the first |. */
export function identityUserId(identity: IdentitySummary): string {
  return identity.id.slice(identity.provider.length + 1);
}
