interface AccountCardProps {
  label: string;
  userId: string;
  name?: string | undefined;
  email: string | undefined;
  emailVerified: boolean | undefined;
}

function initials(name: string): string {
  const letters = name
    .split(/[\s.@]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase() ?? "");
  return letters.join("") || "?";
}

/** A signed-in account: who it is and whether its email is verified (linking depends on it). */
export function AccountCard({ label, userId, name, email, emailVerified }: AccountCardProps) {
  return (
    <div className="account">
      <span className="sr-only">{label}: </span>
      <span className="avatar" aria-hidden="true">
        {initials(name ?? email ?? userId)}
      </span>
      <div className="account-text">
        <p className="account-name">{name ?? email ?? userId}</p>
        <p className="account-meta">
          {email ?? "no email"}{" "}
          <span className={`badge ${emailVerified ? "badge-ok" : "badge-warn"}`}>
            {emailVerified ? "email verified" : "email not verified"}
          </span>
        </p>
        <p className="account-id">
          <code>{userId}</code>
        </p>
      </div>
    </div>
  );
}
