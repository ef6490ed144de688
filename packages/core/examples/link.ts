// Link as every idlink face does: parse and preflight, plan, then execute — with a machine-to-machine application.
import { createManagementClient, describeError, executeLink, previewLink } from "@idlink/core";
import { resolveCredentials, tokenOptions } from "@idlink/core/node";

const credentials = await resolveCredentials({ env: process.env }); // AUTH0_CLIENT_ID + a key or a secret
const client = createManagementClient({
  domain: "your-tenant.eu.auth0.com", // or the emulator: "http://127.0.0.1:4010"
  ...tokenOptions(credentials),
});

const preview = await previewLink(client, {
  primary: "auth0|64f1a2b3c4d5e6f708192a3b",
  secondary: "google-oauth2|108234567890123456789",
});
if (!preview.ok) throw new Error(preview.issues.map((issue) => issue.message).join("\n"));
const plan = preview.value; // identitiesAfter, discarded metadata, warnings, blockers — nothing sent yet
console.log(plan.warnings);
try {
  const outcome = await executeLink(client, plan, { mergeMetadata: true });
  console.log(
    outcome.identities.map((identity) => identity.id),
    outcome.via,
  );
} catch (error) {
  console.error(describeError(error)); // { title, message, status?, hint?, issues? } — never a token
}
