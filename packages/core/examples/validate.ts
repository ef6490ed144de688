// Check what a person typed without sending anything: every issue names the field and the fix.
import { parseLinkArguments, parseLinkRequest } from "@idlink/core";

const seedPageBody = { provider: "", connection_id: "", user_id: "", link_with: "" };
const body = parseLinkRequest(seedPageBody);
if (!body.ok) console.log(body.issues);
// [ { path: "link_with", message: "link_with cannot be combined with provider, user_id or connection_id — send one variant" },
//   { path: "provider", message: "provider must not be empty — use the part before the first | of the secondary's id, e.g. google-oauth2" },
//   { path: "user_id", message: "user_id must not be empty — use the part after the first | of the secondary's id" },
//   { path: "connection_id", message: "connection_id must not be empty — leave it out unless …" } ]

const target = parseLinkArguments({
  primary: "auth0|64f1a2b3c4d5e6f708192a3b",
  secondary: "samlp|acme|jane",
});
if (target.ok) console.log(target.value.body); // { provider: "samlp", user_id: "acme|jane" }: split on the first |
