import { describeError, type ErrorDescription } from "@idlink/core/browser";
import { DemoApiError } from "../lib/demo-api.ts";

/** Any error the page meets, described for a person (the demo server's answers are already described). */
export function toDescription(error: unknown): ErrorDescription {
  return error instanceof DemoApiError ? error.description : describeError(error);
}
