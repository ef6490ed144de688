// The client alone, for code that has already decided: it still validates before sending, and never repeats a write
// whose outcome is unknown (OutcomeUnknownError: read the primary before trying again).
import { createManagementClient, OutcomeUnknownError } from "@idlink/core";

const client = createManagementClient({
  domain: "your-tenant.eu.auth0.com",
  getToken: async () => "a Management API token with update:users", // called before each request; cache inside
});
try {
  const identities = await client.link("auth0|64f1a2b3c4d5e6f708192a3b", {
    provider: "google-oauth2",
    user_id: "108234567890123456789",
  });
  console.log(identities.map((i) => `${i.provider}|${i.user_id}`));
} catch (error) {
  if (error instanceof OutcomeUnknownError) console.error(error.message);
  else throw error;
}
