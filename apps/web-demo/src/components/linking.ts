// Core's linking code and zod, a chunk of its own (see load-linking.ts): the first view neither loads nor runs it.
// zod's JIT is turned off first, before core's rules build a schema.
import "../lib/zod-jitless.ts";

export {
  createManagementClient,
  executeLink,
  executeUnlink,
  previewLink,
  previewUnlink,
  summarizeIdentity,
} from "@idlink/core/browser";
export { checkForm } from "./admin-form-check.ts";
