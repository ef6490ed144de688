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
