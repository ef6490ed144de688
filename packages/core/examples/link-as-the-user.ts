// A page's own flow (the token variant): the primary's access token links the secondary's ID token, and the
// secondary's own access token reads the secondary for the plan. Everything here is in the browser entry.
import { createManagementClient, executeLink, previewLink } from "@idlink/core/browser";

declare const primaryAccessToken: string; // Management audience, update:current_user_identities read:current_user
declare const secondaryIdToken: string; // from a second sign-in through the same application
declare const secondaryAccessToken: string; // the secondary's own, read:current_user
declare const primaryUserId: string;

const domain = "your-tenant.eu.auth0.com";
const client = createManagementClient({ domain, token: primaryAccessToken });
const secondaryClient = createManagementClient({ domain, token: secondaryAccessToken });

const preview = await previewLink(
  client,
  { primary: primaryUserId, link_with: secondaryIdToken },
  { secondaryClient },
);
if (!preview.ok) throw new Error(preview.issues.map((issue) => issue.message).join("\n"));
if (preview.value.blockers.length === 0) await executeLink(client, preview.value);
