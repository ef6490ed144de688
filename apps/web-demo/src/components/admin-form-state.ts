import { type Issue, type LinkBody, type Parsed, parseLinkRequest, parseUserId } from "@idlink/core/browser";

export const bodyFields = ["link_with", "provider", "user_id", "connection_id"] as const;
export type BodyField = (typeof bodyFields)[number];
export type FormField = "primary" | BodyField;
export type FormValues = Record<FormField, string>;

export const emptyForm: FormValues = {
  primary: "",
  link_with: "",
  provider: "",
  user_id: "",
  connection_id: "",
};

/** The seed page's body: all four fields, all empty strings, both variants mixed. */
export const seedBody: Readonly<Record<BodyField, string>> = {
  link_with: "",
  provider: "",
  user_id: "",
  connection_id: "",
};

/**
 * The link body the form stands for: an empty field is left out, unless `keepEmpty` sends it as "" (what the
 * seed page does, and what Auth0 rejects).
 */
export function bodyFrom(values: FormValues, keepEmpty: boolean): Record<string, string> {
  return Object.fromEntries(
    bodyFields.filter((f) => keepEmpty || values[f] !== "").map((f) => [f, values[f]]),
  );
}

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
