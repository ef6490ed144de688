import { type Issue, type LinkBody, type Parsed, parseLinkRequest, parseUserId } from "@idlink/core/browser";
import type { FormField, FormValues } from "./admin-form-state.ts";

export interface FormCheck {
  parsed: Parsed<LinkBody>;
  /** Messages for each field, where they belong. */
  byField: Record<FormField, string[]>;
  /** Messages about the body as a whole. */
  general: string[];
  valid: boolean;
}

/** Live validation with core's rules: the primary's id, then the body as Auth0 will see it. */
export function checkForm(values: FormValues, body: Record<string, string>): FormCheck {
  const primary = parseUserId(values.primary, "primary");
  const primaryIssues = primary.ok ? [] : primary.issues;
  const parsed = parseLinkRequest(body, primaryIssues.length === 0 ? { primary: values.primary } : {});
  const issues: Issue[] = [...primaryIssues, ...(parsed.ok ? [] : parsed.issues)];
  const byField: Record<FormField, string[]> = {
    primary: [],
    link_with: [],
    provider: [],
    user_id: [],
    connection_id: [],
  };
  const general: string[] = [];
  for (const issue of issues) {
    const field = issue.path.split(".")[0] ?? "";
    if (field in byField) byField[field as FormField].push(issue.message);
    else general.push(issue.message);
  }
  return { parsed, byField, general, valid: issues.length === 0 };
}
