import { describeRequest, type PreviewRequest, toCurl, toFetch } from "@idlink/core/browser";
import { useState } from "react";

/** The tenant's origin in a preview shown before the page's configuration has arrived (the build prerenders it). */
export const tenantPlaceholder = "https://{tenant}";

/** What is about to be sent, with secrets as placeholders, and snippets that work as copied. */
export function RequestPreview({
  request,
  note,
  label,
  level = 4,
}: {
  request: PreviewRequest;
  note?: string;
  /** The region's name: each flow's preview has its own (landmarks must be told apart). */
  label: string;
  /** The heading's level under the flow's own headings (no level skipped). */
  level?: 3 | 4;
}) {
  const Heading = level === 3 ? "h3" : "h4";
  const [copied, setCopied] = useState("");
  async function copy(kind: "curl" | "fetch") {
    const text = kind === "curl" ? toCurl(request) : toFetch(request);
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`Copied as ${kind}.`);
    } catch {
      setCopied("The browser refused the clipboard — select the text above instead.");
    }
  }
  return (
    <section className="preview" aria-label={label}>
      <div className="preview-head">
        <Heading>Request</Heading>
        <div className="preview-actions">
          <button type="button" className="button button-small" onClick={() => copy("curl")}>
            Copy as curl
          </button>
          <button type="button" className="button button-small" onClick={() => copy("fetch")}>
            Copy as fetch
          </button>
        </div>
      </div>
      <pre className="code" data-testid="request-preview">
        {describeRequest(request)}
      </pre>
      {note && <p className="muted small">{note}</p>}
      <p className="small" role="status" aria-live="polite">
        {copied}
      </p>
    </section>
  );
}
