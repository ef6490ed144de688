import { retryable } from "../lib/retryable.ts";

/**
 * Loads core's linking code (the workflow, the client, the rules, zod: `linking.ts`): about a fifth of
 * the page's JavaScript, which nothing on the first view needs. It is loaded when a flow first does: a sign-in
 * comes back, the administrator's form is used.
 */
export const loadLinking = retryable(() => import("./linking.ts"));

export type Linking = Awaited<ReturnType<typeof loadLinking>>;
