import type { ManagementClient, User } from "../http/client.ts";
import { identityQuery } from "../ids/search.ts";
import { fullUserId, parseUserId } from "../ids/user-id.ts";
import { type IdentityOwner, ManagementApiError, NetworkError } from "../present/errors.ts";

/**
 * Where an identity that is no user of its own lives: `IdentityOwner`, the user holding it as a linked identity;
 * `none`, no user holds it as far as search sees (search lags changes by seconds); `unknown`, this client may not
 * search (`read:users`), the search failed, or the id is no identity id. One search, `identities.user_id` and `identities.provider`
 * (user-search-query-syntax.mdx), checked against the answer since both terms may match different identities.
 */
export async function findOwner(
  client: Pick<ManagementClient, "searchUsers">,
  identityId: string,
): Promise<IdentityOwner | "none" | "unknown"> {
  const parsed = parseUserId(identityId);
  if (!parsed.ok) return "unknown";
  const identity = parsed.value;
  try {
    const { users } = await client.searchUsers({
      q: identityQuery(identity),
      perPage: 5,
      fields: ["user_id", "email", "identities"],
    });
    const owner = users.find((user) => holdsIdentity(user, identityId));
    return owner?.user_id ? { user_id: owner.user_id, email: owner.email } : "none";
  } catch (error) {
    // The search only explains a 404 the caller already has: a token that may not search (a user's own, or
    // without read:users), a search Auth0 refuses or cannot answer leaves the 404 as it is, saying less.
    if (error instanceof ManagementApiError || error instanceof NetworkError) return "unknown";
    throw error;
  }
}

/** Whether `user` holds `identityId` among its identities, the main one included. */
export function holdsIdentity(user: User, identityId: string): boolean {
  return (user.identities ?? []).some(
    (i) => fullUserId({ provider: i.provider ?? "", user_id: i.user_id ?? "" }) === identityId,
  );
}
