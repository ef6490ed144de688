import type { ErrorDescription } from "@idlink/core/browser";

/** An error in plain words first, then Auth0's own status, code and message, kept visible. */
export function ErrorNotice({ error }: { error: ErrorDescription }) {
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{error.title}</p>
      {error.hint && <p>{error.hint}</p>}
      {error.issues && error.issues.length > 0 && (
        <ul className="issue-list">
          {error.issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
      <p className="notice-detail">
        {error.status !== undefined && <span className="muted-inline">Auth0 answered </span>}
        {error.status !== undefined && (
          <span className="status" title="HTTP status from Auth0">
            {error.status}
            {error.code ? ` ${error.code}` : ""}
          </span>
        )}{" "}
        <span className="api-message">{error.message}</span>
      </p>
    </div>
  );
}
