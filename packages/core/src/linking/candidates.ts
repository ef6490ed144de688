import type { ManagementClient, User } from "../http/client.ts";
import { ValidationError } from "../present/errors.ts";
import { type AccountSummary, readAccount, summarizeAccount } from "./plan.ts";

/** Auth0's guidance, given with every unverified match. */
export const UNVERIFIED_EMAIL_WARNING =
  "Auth0 advises against linking on a matching email unless both emails are verified: an unverified address may belong to someone else, and linking would hand them the account.";

export interface LinkCandidates {
  email: string;
  /** The given user, or for an email the account suggested as primary (the oldest verified one). */
  primary: AccountSummary | undefined;
  /** Verified accounts sharing the email, suggested as secondaries of `primary`. */
  candidates: AccountSummary[];
  /** Accounts sharing the email that are not suggested, with the reason. */
  unverified: { account: AccountSummary; reason: string }[];
}

/**
 * Finds accounts that share a verified email with a user (`auth0|…`) or an email address: link suggestions.
 * Unverified matches are reported apart with the reason, never suggested. A user id that is an identity linked into
 * another user is refused naming that user, when the client may search. Changes nothing.
 */
export async function findLinkCandidates(
  client: Pick<ManagementClient, "getUser" | "usersByEmail"> & Partial<Pick<ManagementClient, "searchUsers">>,
  emailOrUserId: string,
): Promise<LinkCandidates> {
  const byId = !emailOrUserId.includes("@") || emailOrUserId.includes("|");
  const subject = byId ? await readAccount(client, emailOrUserId, "user") : undefined;
  const email = subject ? subject.email : emailOrUserId;
  if (!email) {
    throw new ValidationError(
      [{ path: "user", message: `${emailOrUserId} has no email address to match on` }],
      "lookup",
    );
  }
  const matches = (await client.usersByEmail(email)).filter((u) => u.user_id !== subject?.user_id);
  const everyone = subject ? [subject, ...matches] : matches;
  const primaryUser = subject ?? oldestVerified(everyone);
  const unverified: LinkCandidates["unverified"] = [];
  const candidates: AccountSummary[] = [];
  for (const user of everyone) {
    if (user === primaryUser) continue;
    const account = summarizeAccount(user);
    if (primaryUser && primaryUser.email_verified !== true) {
      unverified.push({
        account,
        reason: `the email of ${primaryUser.user_id} is not verified. ${UNVERIFIED_EMAIL_WARNING}`,
      });
    } else if (user.email_verified !== true) {
      unverified.push({ account, reason: `its email is not verified. ${UNVERIFIED_EMAIL_WARNING}` });
    } else {
      candidates.push(account);
    }
  }
  return { email, primary: primaryUser && summarizeAccount(primaryUser), candidates, unverified };
}

function oldestVerified(users: User[]): User | undefined {
  return users
    .filter((u) => u.email_verified === true)
    .sort((a, b) => (a.created_at ?? "").localeCompare(b.created_at ?? ""))[0];
}
